"""Escalation of incidents: functional (to another group, L1 → L2) and hierarchic (a flag to the group's manager).

Both need a reason and end in the activity log through the core's `changing` block; the reason is kept on an
internal event, so the requester, who sees group changes in the portal, does not read the desk's reasoning.
The permission is defined here; IncidentsConfig.ready() imports this module so it exists from startup.
"""

from __future__ import annotations

import rules
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind
from servicedesk.models import AssignmentGroup, NotificationTopic, TicketEvent
from servicedesk.notifications import notify
from servicedesk.rules import in_desk_scope

from .models import Incident
from .routing import pick_engineer

# Engineers who may work the incident may also hand it on or call their manager in.
rules.add_perm("incidents.escalate_incident", in_desk_scope)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _check_open(incident: Incident) -> None:
    if not incident.is_open:
        raise core.TicketError(
            _("%(number)s is %(state)s: only an open incident can be escalated.")
            % {"number": incident.number, "state": incident.state_info.label}
        )


def escalate_to_group(
    *, incident: Incident, actor, group: AssignmentGroup | None, reason: str, expected_version: int | None = None
) -> Incident:
    """Functional escalation: hand the incident to another group with a reason; routing picks an engineer there.

    `actor=None` is the system (an SLA job, say): it needs no permission and is logged as "System".
    """
    reason = (reason or "").strip()
    if group is None:
        raise core.TicketError(_("Choose the group to escalate to."))
    if not reason:
        raise core.TicketError(_("Say why the incident is escalated."))
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        if actor is not None:
            core.require(actor, "incidents.escalate_incident", incident)
        _check_open(incident)
        if not group.is_active:
            raise core.TicketError(_("%(group)s is not an active group.") % {"group": group})
        if group.pk == incident.assignment_group_id:
            raise core.TicketError(
                _("%(number)s is already with %(group)s.") % {"number": incident.number, "group": group}
            )
        with translation.override(settings.LANGUAGE_CODE):
            pick = pick_engineer(group=group, incident=incident)
            routing = _("Escalated from %(old)s to %(new)s by %(actor)s: %(reason)s; %(pick)s.") % {
                "old": incident.assignment_group or _("no group"),
                "new": group,
                "actor": _name(actor) or _("the system"),
                "reason": reason,
                "pick": pick.reason,
            }
        with core.changing(incident, actor=actor) as change:
            change.add_event(
                TicketEvent(
                    kind=EventKind.FIELD,
                    field="routing_reason",
                    old_value=incident.routing_reason,
                    new_value=routing,
                    reason=reason,
                )
            )
            if incident.manager_escalated_at is not None:
                # The flag was raised with the previous group's manager; the new group starts without one.
                change.add_event(
                    _manager_flag_event(
                        old_at=incident.manager_escalated_at,
                        new_at=None,
                        old_manager=incident.assignment_group.manager if incident.assignment_group else None,
                        new_manager=None,
                    )
                )
                incident.manager_escalated_at = None
            incident.assignment_group = group
            incident.assignee = pick.engineer
            incident.routing_reason = routing
    return incident


def escalate_to_manager(*, incident: Incident, actor, reason: str, expected_version: int | None = None) -> Incident:
    """Hierarchic escalation: flag the incident to its group's manager with a reason; they get a notification."""
    reason = (reason or "").strip()
    if not reason:
        raise core.TicketError(_("Say why the manager is needed."))
    with transaction.atomic():
        incident = core.lock_ticket(incident, expected_version=expected_version)
        if actor is not None:
            core.require(actor, "incidents.escalate_incident", incident)
        _check_open(incident)
        group = incident.assignment_group
        if group is None:
            raise core.TicketError(
                _("%(number)s has no assignment group, so there is no manager to escalate to.")
                % {"number": incident.number}
            )
        manager = group.manager
        if manager is None or not manager.is_active:
            raise core.TicketError(_("%(group)s has no manager to escalate to.") % {"group": group})
        with core.changing(incident, actor=actor, reason=reason) as change:
            now = timezone.now()
            event = _manager_flag_event(
                old_at=incident.manager_escalated_at, new_at=now, old_manager=manager, new_manager=manager
            )
            incident.manager_escalated_at = now
            change.add_event(event)
        if actor is None or manager.pk != actor.pk:
            # Through the manager's preferences, like every message: by email and chat as they chose.
            notify(event, [manager], NotificationTopic.ESCALATED)
    return incident


def _manager_flag_event(*, old_at, new_at, old_manager, new_manager) -> TicketEvent:
    """An internal log row for `manager_escalated_at` (not a tracked field: the core does not diff it)."""
    return TicketEvent(
        kind=EventKind.FIELD,
        field="manager_escalated_at",
        old_value=old_at.isoformat() if old_at else "",
        new_value=new_at.isoformat() if new_at else "",
        old_display=_name(old_manager) if old_at else "",
        new_display=_name(new_manager) if new_at else "",
        is_public=False,
    )
