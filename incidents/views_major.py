"""Desk actions of the major incident and merge panel: promote, link and unlink children, announce, merge.

Every ticket named (in the URL or typed in a form) is fetched within the engineer's desk scope: 404 otherwise.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk import selectors
from servicedesk.views import desk_required, form_is_valid, report_outcome

from . import major
from .forms_major import AnnouncementForm, LinkChildForm, MergeForm, PromoteMajorForm, UnlinkChildForm
from .merge import merge_incidents
from .models import Incident
from .selectors import incident_for_user


def _incident(request: HttpRequest, number: str) -> Incident:
    return incident_for_user(request.user, number, surface="desk")


def _desk_ticket(request: HttpRequest, number: str):
    """Any ticket the engineer may open in the desk, as its practice's model (services refuse other kinds)."""
    return selectors.specific(selectors.ticket_for_user(request.user, number, surface="desk"))


def _back(incident: Incident) -> HttpResponse:
    return redirect("servicedesk:desk_ticket", number=incident.number)


@desk_required
@require_POST
def promote(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = PromoteMajorForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: major.promote_to_major(
            incident=incident,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            announcement=form.cleaned_data["announcement"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("%(number)s is now a major incident.") % {"number": incident.number})
    return _back(incident)


@desk_required
@require_POST
def announcement(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = AnnouncementForm(request.POST)
    if form_is_valid(request, form) and report_outcome(
        request,
        lambda: major.update_announcement(
            incident=incident,
            actor=request.user,
            announcement=form.cleaned_data["announcement"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, _("The announcement is saved."))
    return _back(incident)


@desk_required
@require_POST
def link(request: HttpRequest, number: str) -> HttpResponse:
    parent = _incident(request, number)
    form = LinkChildForm(request.POST)
    if form_is_valid(request, form):
        child = _desk_ticket(request, form.cleaned_data["number"])
        if report_outcome(
            request,
            lambda: major.link_child(
                parent=parent,
                child=child,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            ),
        ):
            messages.success(
                request, _("%(child)s is linked to %(parent)s.") % {"child": child.number, "parent": parent.number}
            )
    return _back(parent)


@desk_required
@require_POST
def unlink(request: HttpRequest, number: str) -> HttpResponse:
    parent = _incident(request, number)
    form = UnlinkChildForm(request.POST)
    if form_is_valid(request, form):
        child = _desk_ticket(request, form.cleaned_data["number"])
        if report_outcome(
            request,
            lambda: major.unlink_child(
                parent=parent, child=child, actor=request.user, expected_version=form.cleaned_data["version"]
            ),
        ):
            messages.success(
                request,
                _("%(child)s is no longer linked to %(parent)s.") % {"child": child.number, "parent": parent.number},
            )
    return _back(parent)


@desk_required
@require_POST
def merge(request: HttpRequest, number: str) -> HttpResponse:
    original = _incident(request, number)
    form = MergeForm(request.POST)
    if form_is_valid(request, form):
        duplicates = [_desk_ticket(request, n) for n in form.cleaned_data["numbers"]]
        version = form.cleaned_data["version"]
        if report_outcome(
            request,
            lambda: merge_incidents(
                original=original,
                duplicates=duplicates,
                actor=request.user,
                expected_versions=None if version is None else {original.pk: version},
            ),
        ):
            messages.success(
                request,
                _("Merged into %(number)s: %(numbers)s.")
                % {"number": original.number, "numbers": ", ".join(d.number for d in duplicates)},
            )
    return _back(original)
