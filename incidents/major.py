"""Major incidents: promote one with a reason, link related incidents to it as children, keep its announcement.

Each use case is one transaction. When two incidents are locked, the major (parent) is always locked first:
resolving a major locks it and then its children (see `listeners_major`), so the same order everywhere
keeps two desks from deadlocking each other.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind, Priority
from servicedesk.models import Comment, TicketEvent

from .models import Incident


def promote_to_major(*, incident: Incident, actor, reason: str, announcement: str = "", expected_version=None):
    """Declare an open incident a major incident: priority P1 (held against the matrix), logged with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise core.TicketError(_("Say why this is a major incident."))
    announcement = (announcement or "").strip()
    with transaction.atomic():
        incident = _lock_incident(incident, expected_version=expected_version)
        core.require(actor, "incidents.promote_major", incident)
        _check_open(incident)
        if incident.is_major:
            raise core.TicketError(_("%(number)s is already a major incident.") % {"number": incident.number})
        if incident.parent_id is not None:
            raise core.TicketError(
                _("%(number)s is linked to the major incident %(parent)s: unlink it first.")
                % {"number": incident.number, "parent": incident.parent.number}
            )
        with core.changing(incident, actor=actor, reason=reason) as change:
            incident.is_major = True
            incident.priority = Priority.CRITICAL
            incident.priority_overridden = True
            if announcement:
                change.add_event(_announcement_event(incident, announcement))
                incident.major_announcement = announcement
    return incident


def update_announcement(*, incident: Incident, actor, announcement: str, expected_version=None) -> Incident:
    """Change (or clear) the text the banner shows the affected users while the major incident is open."""
    announcement = (announcement or "").strip()
    with transaction.atomic():
        incident = _lock_incident(incident, expected_version=expected_version)
        core.require(actor, "incidents.promote_major", incident)
        _check_major_and_open(incident)
        if announcement == incident.major_announcement:
            return incident
        with core.changing(incident, actor=actor) as change:
            # The announcement is not a tracked field of the kind: its event is written here, with both texts.
            change.add_event(_announcement_event(incident, announcement))
            incident.major_announcement = announcement
    return incident


def link_child(*, parent: Incident, child: Incident, actor, reason: str = "", expected_version=None) -> Incident:
    """Attach a related open incident to an open major incident; it is resolved together with it.

    `expected_version` is the parent's (the form is on the major incident's page). Returns the child.
    """
    reason = (reason or "").strip()
    _check_kind(child)
    if child.pk == parent.pk:
        raise core.TicketError(_("An incident cannot be linked to itself."))
    with transaction.atomic():
        parent = _lock_incident(parent, expected_version=expected_version)
        child = _lock_incident(child)
        core.require(actor, "incidents.promote_major", parent)
        core.require(actor, "incidents.work_incident", child)
        _check_major_and_open(parent)
        if parent.parent_id is not None:
            raise core.TicketError(
                _("%(number)s is itself linked to %(parent)s: link the incident there.")
                % {"number": parent.number, "parent": parent.parent.number}
            )
        if not child.is_open:
            raise core.TicketError(_("%(number)s is no longer open.") % {"number": child.number})
        if child.parent_id == parent.pk:
            raise core.TicketError(
                _("%(number)s is already linked to %(parent)s.") % {"number": child.number, "parent": parent.number}
            )
        if child.parent_id is not None:
            raise core.TicketError(
                _("%(number)s is already linked to %(parent)s: unlink it there first.")
                % {"number": child.number, "parent": child.parent.number}
            )
        if child.is_major and child.children.exists():
            raise core.TicketError(
                _("%(number)s is a major incident with linked incidents of its own.") % {"number": child.number}
            )
        with core.changing(child, actor=actor, reason=reason):
            child.parent = parent
        _note(parent, actor, reason, _("Linked %(number)s (%(title)s) to this major incident."), child)
    return child


def unlink_child(*, parent: Incident, child: Incident, actor, reason: str = "", expected_version=None) -> Incident:
    """Take an incident off a major incident again; it no longer follows the major's resolution. Returns the child."""
    reason = (reason or "").strip()
    with transaction.atomic():
        parent = _lock_incident(parent, expected_version=expected_version)
        child = _lock_incident(child)
        core.require(actor, "incidents.promote_major", parent)
        core.require(actor, "incidents.work_incident", child)
        if child.parent_id != parent.pk:
            raise core.TicketError(
                _("%(number)s is not linked to %(parent)s.") % {"number": child.number, "parent": parent.number}
            )
        if child.closed_at is not None:
            raise core.TicketError(_("%(number)s is closed.") % {"number": child.number})
        with core.changing(child, actor=actor, reason=reason):
            child.parent = None
        _note(parent, actor, reason, _("Unlinked %(number)s (%(title)s) from this major incident."), child)
    return child


# -- helpers -----------------------------------------------------------------------------------------


def _lock_incident(incident, *, expected_version=None) -> Incident:
    _check_kind(incident)
    return core.lock_ticket(incident, expected_version=expected_version)


def _check_kind(ticket) -> None:
    if ticket.kind != Incident.KIND:
        raise core.TicketError(_("%(number)s is not an incident.") % {"number": ticket.number})


def _check_open(incident: Incident) -> None:
    if not incident.is_open:
        raise core.TicketError(_("%(number)s is no longer open.") % {"number": incident.number})


def _check_major_and_open(incident: Incident) -> None:
    if not incident.is_major:
        raise core.TicketError(_("%(number)s is not a major incident.") % {"number": incident.number})
    _check_open(incident)


def _announcement_event(incident: Incident, announcement: str) -> TicketEvent:
    return TicketEvent(
        kind=EventKind.FIELD,
        field="major_announcement",
        old_value=incident.major_announcement,
        new_value=announcement,
    )


def _note(parent: Incident, actor, reason: str, text: str, child: Incident) -> None:
    """An internal work note on the major incident, so its own timeline shows what was linked or unlinked."""
    body = text % {"number": child.number, "title": child.title}
    if reason:
        body = f"{body}\n\n{reason}"
    with core.changing(parent, actor=actor, reason=reason) as change:
        comment = Comment.objects.create(ticket=parent, author=actor, body=body, is_internal=True)
        change.add_event(TicketEvent(kind=EventKind.WORK_NOTE, comment=comment))
