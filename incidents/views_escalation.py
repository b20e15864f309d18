"""Desk: escalate an incident to another group or to its group's manager (POST only; refusals become messages)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk import selectors
from servicedesk.views import desk_required, report_outcome

from . import escalation
from .forms_escalation import EscalateToGroupForm, EscalateToManagerForm
from .models import Incident


def _incident(request: HttpRequest, number: str) -> Incident:
    """The incident if it is in the engineer's desk scope, else 404 (the same answer as for no such number)."""
    incident = selectors.specific(selectors.ticket_for_user(request.user, number, surface="desk"))
    if not isinstance(incident, Incident):
        raise Http404("Not an incident.")
    return incident


def _report_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@desk_required
@require_POST
def escalate_group(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = EscalateToGroupForm(request.POST, incident=incident)
    if not form.is_valid():
        _report_errors(request, form)
    elif report_outcome(
        request,
        lambda: escalation.escalate_to_group(
            incident=incident,
            actor=request.user,
            group=form.cleaned_data["group"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(
            request,
            _("%(number)s is escalated to %(group)s.")
            % {"number": incident.number, "group": form.cleaned_data["group"]},
        )
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def escalate_manager(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = EscalateToManagerForm(request.POST)
    if not form.is_valid():
        _report_errors(request, form)
    elif report_outcome(
        request,
        lambda: escalation.escalate_to_manager(
            incident=incident,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("The manager was told about %(number)s.") % {"number": incident.number})
    return redirect("servicedesk:desk_ticket", number=incident.number)
