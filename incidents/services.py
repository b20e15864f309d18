"""Incident use cases: report, start, resolve, accept, reopen, cancel. Each is one transaction."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from servicedesk import services as core
from servicedesk.choices import Channel, Priority

from .choices import IncidentState, ResolutionCode
from .models import Incident


def report_incident(
    *,
    actor,
    title: str,
    description: str = "",
    requester=None,
    channel: str = Channel.PORTAL,
    priority: int = Priority.LOW,
    files=(),
) -> Incident:
    """Record a new incident for a requester (the actor themselves in the portal)."""
    title = (title or "").strip()
    if not title:
        raise core.TicketError(_("Give the incident a short title."))
    core.validate_uploads(files)
    requester = requester or actor
    if requester != actor:
        core.require(actor, "servicedesk.access_desk")
    with transaction.atomic():
        incident = core.open_ticket(
            ticket=Incident(
                kind=Incident.KIND,
                title=title,
                description=description,
                requester=requester,
                opened_by=actor,
                channel=channel,
                priority=priority,
            ),
            actor=actor,
        )
        if files:
            core.add_comment(ticket=incident, author=actor, body="", files=files)
            incident.refresh_from_db()
    return incident


def _run(incident: Incident, *, actor, transition_name: str, expected_version=None, reason="", **kwargs) -> Incident:
    """Lock, check the transition's source state and permission, run it and record it."""
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        method = getattr(incident, transition_name)
        if not can_proceed(method):
            raise core.TicketError(
                _("%(number)s is %(state)s: that cannot be done now.")
                % {"number": incident.number, "state": incident.state_info.label}
            )
        if not has_transition_perm(method, actor):
            raise core.PermissionDenied(transition_name)
        with core.changing(incident, actor=actor, reason=reason):
            method(**kwargs)
    return incident


def start_work(*, incident: Incident, actor, expected_version=None) -> Incident:
    return _run(incident, actor=actor, transition_name="start_work", expected_version=expected_version)


def take_incident(*, incident: Incident, actor, expected_version=None) -> Incident:
    """Assign to me and, when it is New, start work on it, in one step."""
    with transaction.atomic():
        core.assign_to_me(ticket=incident, actor=actor, expected_version=expected_version)
        incident = Incident.objects.get(pk=incident.pk)
        if incident.state == IncidentState.NEW:
            incident = start_work(incident=incident, actor=actor)
    return incident


def resolve_incident(*, incident: Incident, actor, code: str, notes: str, expected_version=None) -> Incident:
    """Record the fix: a resolution code and notes are required; the requester is asked to confirm."""
    if code not in ResolutionCode.values:
        raise core.TicketError(_("Choose a resolution code."))
    if not (notes or "").strip():
        raise core.TicketError(_("Describe the resolution for the requester."))
    return _run(
        incident,
        actor=actor,
        transition_name="resolve",
        expected_version=expected_version,
        code=code,
        notes=notes.strip(),
    )


def accept_resolution(*, incident: Incident, actor, expected_version=None) -> Incident:
    return _run(incident, actor=actor, transition_name="close", expected_version=expected_version)


def reopen_incident(*, incident: Incident, actor, reason: str, expected_version=None) -> Incident:
    """The requester says it is not solved: back to In Progress, with their reason as a public reply."""
    reason = (reason or "").strip()
    if not reason:
        raise core.TicketError(_("Tell the service desk what is still wrong."))
    with transaction.atomic():
        incident = _run(
            incident, actor=actor, transition_name="reopen", expected_version=expected_version, reason=reason
        )
        core.add_comment(ticket=incident, author=actor, body=reason)
    return Incident.objects.get(pk=incident.pk)


def cancel_incident(*, incident: Incident, actor, reason: str = "", expected_version=None) -> Incident:
    return _run(incident, actor=actor, transition_name="cancel", expected_version=expected_version, reason=reason)
