"""Reads of the incident practice's views."""

from django.http import Http404

from servicedesk import selectors

from .models import Incident


def incident_for_user(user, number: str, *, surface: str) -> Incident:
    """The incident if the user may see it on this surface, else 404 (the same answer as for no such number)."""
    incident = selectors.specific(selectors.ticket_for_user(user, number, surface=surface))
    if not isinstance(incident, Incident):
        raise Http404("Not an incident.")
    return incident
