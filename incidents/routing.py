"""Routing of new incidents: assignment rules pick the group, then an engineer inside it."""

from .models import Incident


def route_new_incident(incident: Incident) -> None:
    """Choose the group (and engineer) of an unsaved incident; the core falls back to the default group."""
    if incident.assignment_group_id is None:
        incident.routing_reason = ""
