"""How incidents react to changes recorded by the core (registered in IncidentsConfig.ready).

Listeners run inside the transaction of the change, on the locked ticket, so what they do is part of it.
`follow_assignment` runs earlier, before the change is saved (the kind's `before_commit`).
"""

from django.utils.translation import gettext_lazy as _

from servicedesk import services as core
from servicedesk.choices import EventKind

from .choices import HoldReason, IncidentState


def follow_assignment(ticket) -> None:
    """Before a change is saved: a New incident that got an engineer is Assigned; an Assigned one without, New.

    Registered as the kind's `before_commit`, so the state moves in the same save as the assignment.
    """
    if ticket.state == IncidentState.NEW and ticket.assignee_id is not None:
        ticket.mark_assigned()
    elif ticket.state == IncidentState.ASSIGNED and ticket.assignee_id is None:
        ticket.mark_unassigned()


def resume_on_caller_reply(*, ticket, events) -> None:
    """The caller answered while the incident waited for them: it is In Progress again."""
    if ticket.kind != "incident" or ticket.state != IncidentState.ON_HOLD:
        return
    if ticket.on_hold_reason != HoldReason.AWAITING_CALLER:
        return
    reply = next(
        (e for e in events if e.kind == EventKind.COMMENT and e.actor_id == ticket.requester_id),
        None,
    )
    if reply is None:
        return
    with core.changing(ticket, actor=reply.actor, reason=str(_("The caller replied."))):
        ticket.resume()
