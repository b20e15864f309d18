"""Incident use cases. Each is one transaction: lock, check, transition or change, record (via the core)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm import can_proceed

from cmdb.choices import CIType
from cmdb.models import ConfigurationItem
from servicedesk import services as core
from servicedesk.choices import Channel, Priority

from .choices import HoldReason, Impact, IncidentState, ResolutionCode, Urgency
from .models import OPEN_STATES, Category, Incident, IncidentPolicy, PriorityMatrixEntry

S = IncidentState


def priority_for(impact: int, urgency: int) -> int:
    """The priority the impact x urgency matrix gives (P3 when the cell is missing from the matrix)."""
    entry = PriorityMatrixEntry.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True)
    return entry.first() or Priority.MODERATE


def report_incident(
    *,
    actor,
    title: str,
    description: str = "",
    requester=None,
    channel: str = Channel.PORTAL,
    impact: int = Impact.LOW,
    urgency: int = Urgency.MEDIUM,
    category: Category | None = None,
    subcategory: Category | None = None,
    affected_service=None,
    configuration_item=None,
    files=(),
) -> Incident:
    """Record a new incident for a requester (the actor themselves in the portal), prioritised by the matrix."""
    title = (title or "").strip()
    if not title:
        raise core.TicketError(_("Give the incident a short title."))
    _check_categories(category, subcategory)
    _check_cis(actor, affected_service, configuration_item)
    core.validate_uploads(files)
    requester = requester or actor
    if requester != actor:
        core.require(actor, "servicedesk.access_desk")
    with transaction.atomic():
        incident = Incident(
            kind=Incident.KIND,
            title=title,
            description=description,
            requester=requester,
            opened_by=actor,
            channel=channel,
            impact=impact,
            urgency=urgency,
            priority=priority_for(impact, urgency),
            category=category,
            subcategory=subcategory,
            affected_service=affected_service,
            configuration_item=configuration_item,
        )
        from .routing import route_new_incident

        route_new_incident(incident)  # chooses group (and engineer) before the first save; the reason is kept
        incident = core.open_ticket(ticket=incident, actor=actor)
        if files:
            core.add_comment(ticket=incident, author=actor, body="", files=files)
    return Incident.objects.get(pk=incident.pk)


def _check_cis(actor, affected_service, configuration_item) -> None:
    """The service is a business service, and both are CIs in use the reporter may pick (an end user's own CIs
    and the services offered to everyone; the desk any)."""
    if affected_service is not None and affected_service.ci_type != CIType.BUSINESS_SERVICE:
        raise core.TicketError(_("%(name)s is not a business service.") % {"name": affected_service})
    chosen = [ci.pk for ci in (affected_service, configuration_item) if ci is not None]
    if chosen and ConfigurationItem.objects.visible_to(actor).filter(pk__in=chosen).count() != len(set(chosen)):
        raise core.TicketError(_("Choose a service or configuration item that is in use and that you may pick."))


def _check_categories(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise core.TicketError(_("%(name)s is a subcategory, not a category.") % {"name": category})
    if subcategory is not None and (category is None or subcategory.parent_id != category.pk):
        raise core.TicketError(_("%(name)s is not a subcategory of the chosen category.") % {"name": subcategory})


def run_transition(
    incident: Incident, *, actor, name: str, expected_version: int | None = None, reason: str = "", **kwargs
) -> Incident:
    """Lock, check the transition's source state, conditions and permission, run it and record it.

    `actor=None` is the system (beat jobs, cascades): it needs no permission and is logged as "System".
    """
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        method = getattr(incident, name)
        if not can_proceed(method, check_conditions=False):
            raise core.TicketError(
                _("%(number)s is %(state)s: that cannot be done now.")
                % {"number": incident.number, "state": incident.state_info.label}
            )
        # The transition's own permission only (django-fsm's has_transition_perm also tests the conditions,
        # which would turn "too late to reopen" into a 403).
        if actor is not None and not method._django_fsm.has_transition_perm(incident, incident.state, actor):
            raise PermissionDenied(name)
        if not can_proceed(method):
            raise core.TicketError(_refusal(incident, name))
        with core.changing(incident, actor=actor, reason=reason):
            method(**kwargs)
    return incident


def _refusal(incident: Incident, name: str) -> str:
    """Why a transition's condition failed, in words for the user."""
    if name == "reopen":
        days = IncidentPolicy.current().reopen_window_days
        return ngettext(
            "%(number)s was resolved more than %(days)d day ago and can no longer be reopened: "
            "please report a new incident.",
            "%(number)s was resolved more than %(days)d days ago and can no longer be reopened: "
            "please report a new incident.",
            days,
        ) % {"number": incident.number, "days": days}
    if name == "mark_assigned":
        return _("%(number)s has no assignee yet.") % {"number": incident.number}
    return _("%(number)s cannot be changed that way now.") % {"number": incident.number}


def start_work(*, incident: Incident, actor, expected_version=None) -> Incident:
    return run_transition(incident, actor=actor, name="start_work", expected_version=expected_version)


def take_incident(*, incident: Incident, actor, expected_version=None) -> Incident:
    """Assign to me and start work, in one step."""
    with transaction.atomic():
        core.assign_to_me(ticket=incident, actor=actor, expected_version=expected_version)
        incident = Incident.objects.get(pk=incident.pk)
        if incident.state in (S.NEW, S.ASSIGNED):
            incident = start_work(incident=incident, actor=actor)
    return incident


def put_on_hold(*, incident: Incident, actor, reason: str, note: str = "", expected_version=None) -> Incident:
    """Wait for the caller, a vendor, a change or a problem; a reason is required, a note is optional."""
    if reason not in HoldReason.values:
        raise core.TicketError(_("Choose why the incident waits."))
    return run_transition(
        incident,
        actor=actor,
        name="put_on_hold",
        expected_version=expected_version,
        reason=(note or "").strip(),
        hold_reason=reason,
    )


def resume_work(*, incident: Incident, actor, expected_version=None) -> Incident:
    return run_transition(incident, actor=actor, name="resume", expected_version=expected_version)


def resolve_incident(*, incident: Incident, actor, code: str, notes: str, expected_version=None) -> Incident:
    """Record the fix: a resolution code and notes are required; the requester is asked to confirm."""
    if code not in ResolutionCode.values:
        raise core.TicketError(_("Choose a resolution code."))
    if not (notes or "").strip():
        raise core.TicketError(_("Describe the resolution for the requester."))
    return run_transition(
        incident, actor=actor, name="resolve", expected_version=expected_version, code=code, notes=notes.strip()
    )


def accept_resolution(*, incident: Incident, actor, expected_version=None) -> Incident:
    return run_transition(incident, actor=actor, name="close", expected_version=expected_version)


def reopen_incident(*, incident: Incident, actor, reason: str, expected_version=None) -> Incident:
    """The requester says it is not solved: back to In Progress, with their reason as a public reply."""
    reason = (reason or "").strip()
    if not reason:
        raise core.TicketError(_("Tell the service desk what is still wrong."))
    with transaction.atomic():
        incident = run_transition(
            incident, actor=actor, name="reopen", expected_version=expected_version, reason=reason
        )
        core.add_comment(ticket=incident, author=actor, body=reason)
    return Incident.objects.get(pk=incident.pk)


def cancel_incident(*, incident: Incident, actor, reason: str = "", expected_version=None) -> Incident:
    """Withdraw an incident: its requester while it is New, the desk while it is open."""
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        if (
            incident.requester_id == actor.pk
            and incident.state in OPEN_STATES
            and not actor.has_perm("incidents.cancel_incident", incident)
        ):
            # A requester may see the button's state change under them: explain rather than answer 403.
            raise core.TicketError(
                _(
                    "%(number)s is %(state)s: that cannot be done now. An engineer is already on it; "
                    "reply to tell the service desk it is no longer needed."
                )
                % {"number": incident.number, "state": incident.state_info.label}
            )
        return run_transition(incident, actor=actor, name="cancel", reason=reason)


CLASSIFICATION_FIELDS = ("impact", "urgency", "category", "subcategory", "affected_service", "configuration_item")


def classify_incident(*, incident: Incident, actor, expected_version=None, **fields) -> Incident:
    """Change impact, urgency, categories, service or CI; the matrix resets the priority unless it was overridden."""
    unknown = set(fields) - set(CLASSIFICATION_FIELDS)
    if unknown:
        raise ValueError(f"not classification fields: {sorted(unknown)}")
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        core.require(actor, "incidents.work_incident", incident)
        if not incident.is_open:
            raise core.TicketError(_("%(number)s is no longer open.") % {"number": incident.number})
        category = fields.get("category", incident.category)
        subcategory = fields.get("subcategory", incident.subcategory)
        _check_categories(category, subcategory)
        with core.changing(incident, actor=actor):
            for name, value in fields.items():
                setattr(incident, name, value)
            if not incident.priority_overridden:
                incident.priority = priority_for(incident.impact, incident.urgency)
    return incident


def override_priority(*, incident: Incident, actor, priority: int, reason: str, expected_version=None) -> Incident:
    """Set the priority by hand, against the matrix: only with a reason, which the activity log keeps."""
    reason = (reason or "").strip()
    if not reason:
        raise core.TicketError(_("Say why the priority differs from the matrix."))
    if priority not in Priority.values:
        raise core.TicketError(_("Choose a priority."))
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        core.require(actor, "incidents.override_priority", incident)
        if not incident.is_open:
            raise core.TicketError(_("%(number)s is no longer open.") % {"number": incident.number})
        with core.changing(incident, actor=actor, reason=reason):
            incident.priority = priority
            incident.priority_overridden = True
    return incident


def restore_matrix_priority(*, incident: Incident, actor, expected_version=None) -> Incident:
    """Hand the priority back to the matrix."""
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        core.require(actor, "incidents.override_priority", incident)
        with core.changing(incident, actor=actor, reason=_("Priority from the matrix again")):
            incident.priority_overridden = False
            incident.priority = priority_for(incident.impact, incident.urgency)
    return incident


def close_expired_resolutions(*, limit: int = 500) -> int:
    """Close, as the system, resolved incidents the requester did not confirm within the policy's days."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(days=IncidentPolicy.current().auto_close_after_days)
    due = list(Incident.objects.filter(state=S.RESOLVED, resolved_at__lte=cutoff).order_by("resolved_at")[:limit])
    closed = 0
    for incident in due:
        try:
            run_transition(
                incident, actor=None, name="close", reason=_("Closed automatically: the resolution was not disputed.")
            )
        except core.TicketError:
            continue  # changed meanwhile (reopened or closed by a person): nothing to do
        closed += 1
    return closed
