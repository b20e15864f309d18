"""Desk: escalate an incident to another group or to its group's manager (POST only; refusals become messages)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.views import desk_required, form_is_valid, report_outcome

from . import escalation
from .forms_escalation import EscalateToGroupForm, EscalateToManagerForm
from .models import Incident
from .selectors import incident_for_user


def _incident(request: HttpRequest, number: str) -> Incident:
    return incident_for_user(request.user, number, surface="desk")


@desk_required
@require_POST
def escalate_group(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = EscalateToGroupForm(request.POST, incident=incident)
    if form_is_valid(request, form) and report_outcome(
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
    if form_is_valid(request, form) and report_outcome(
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
