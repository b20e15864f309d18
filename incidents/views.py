"""Incident pages: report in the portal; take, start, resolve in the desk; accept, reopen, cancel in the portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.views import desk_required, form_is_valid, posted_version, report_outcome

from . import services
from .forms import ClassifyForm, HoldForm, OverridePriorityForm, ReopenForm, ReportIncidentForm, ResolveForm
from .models import Incident
from .selectors import incident_for_user


def _incident(request: HttpRequest, number: str, surface: str) -> Incident:
    return incident_for_user(request.user, number, surface=surface)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Portal: an end user reports an issue."""
    form = ReportIncidentForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        created = []
        if report_outcome(
            request,
            lambda: created.append(
                services.report_incident(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    urgency=form.cleaned_data["urgency"],
                    category=form.cleaned_data["category"],
                    affected_service=form.cleaned_data["affected_service"],
                    configuration_item=form.cleaned_data.get("configuration_item"),
                    files=form.cleaned_data["files"],
                )
            ),
        ):
            incident = created[0]
            messages.success(
                request, _("Thank you. Your incident %(number)s was recorded.") % {"number": incident.number}
            )
            return redirect("servicedesk:portal_ticket", number=incident.number)
    return render(request, "incidents/report.html", {"form": form})


@desk_required
@require_POST
def take(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    if report_outcome(
        request,
        lambda: services.take_incident(incident=incident, actor=request.user, expected_version=posted_version(request)),
    ):
        messages.success(request, _("You are working on %(number)s.") % {"number": incident.number})
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def start(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    report_outcome(
        request,
        lambda: services.start_work(incident=incident, actor=request.user, expected_version=posted_version(request)),
    )
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def resolve(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    form = ResolveForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.resolve_incident(
            incident=incident,
            actor=request.user,
            code=form.cleaned_data["code"],
            notes=form.cleaned_data["notes"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(
            request, _("%(number)s is resolved; the requester is asked to confirm.") % {"number": incident.number}
        )
    return redirect("servicedesk:desk_ticket", number=incident.number)


@login_required
@require_POST
def accept(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "portal")
    if report_outcome(
        request,
        lambda: services.accept_resolution(
            incident=incident, actor=request.user, expected_version=posted_version(request)
        ),
    ):
        messages.success(request, _("Thank you for confirming. %(number)s is closed.") % {"number": incident.number})
    return redirect("servicedesk:portal_ticket", number=incident.number)


@login_required
@require_POST
def reopen(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "portal")
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tell the service desk what is still wrong."))
    elif report_outcome(
        request,
        lambda: services.reopen_incident(
            incident=incident,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(
            request, _("%(number)s is reopened; an engineer will look at it again.") % {"number": incident.number}
        )
    return redirect("servicedesk:portal_ticket", number=incident.number)


@login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "portal")
    if report_outcome(
        request,
        lambda: services.cancel_incident(
            incident=incident,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            expected_version=posted_version(request),
        ),
    ):
        messages.success(request, _("%(number)s is cancelled.") % {"number": incident.number})
    return redirect("servicedesk:portal_ticket", number=incident.number)


@desk_required
@require_POST
def hold(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    form = HoldForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.put_on_hold(
            incident=incident,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("%(number)s is on hold.") % {"number": incident.number})
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def resume(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    if report_outcome(
        request,
        lambda: services.resume_work(incident=incident, actor=request.user, expected_version=posted_version(request)),
    ):
        messages.success(request, _("%(number)s is in progress again.") % {"number": incident.number})
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def classify(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    form = ClassifyForm(request.POST)
    if form_is_valid(request, form):
        fields = {name: form.cleaned_data[name] for name in services.CLASSIFICATION_FIELDS}
        if report_outcome(
            request,
            lambda: services.classify_incident(
                incident=incident, actor=request.user, expected_version=form.cleaned_data["version"], **fields
            ),
        ):
            messages.success(request, _("Classification saved."))
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def override_priority(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    form = OverridePriorityForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: services.override_priority(
            incident=incident,
            actor=request.user,
            priority=form.cleaned_data["priority"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("Priority set by hand."))
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def restore_priority(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number, "desk")
    if report_outcome(
        request,
        lambda: services.restore_matrix_priority(
            incident=incident, actor=request.user, expected_version=posted_version(request)
        ),
    ):
        messages.success(request, _("The priority follows the matrix again."))
    return redirect("servicedesk:desk_ticket", number=incident.number)
