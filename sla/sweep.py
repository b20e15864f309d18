"""The sweep: fire the warnings and breaches that have come due, exactly once, and run their actions.

It reads only running clocks whose `next_check_at` has passed (a partial index), in batches locked with
FOR UPDATE SKIP LOCKED, so several workers share the work and none waits for another. Everything a clock's
level causes (its timeline row, the activity row on the ticket, the outbox rows, a priority or group change)
is written in the batch's transaction: a worker that dies mid-batch leaves nothing half done, and the next
sweep finds the same clocks due again. The timeline's unique (clock, kind, level) is the last guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind
from servicedesk.models import Ticket, TicketEvent

from . import engine
from .models import ClockStatus, SLAAction, SLAClock, SLAClockEvent

K = SLAClockEvent.Kind
# A ticket someone is changing right now is left for the next sweep rather than waited for.
RETRY_LOCKED_AFTER = timedelta(seconds=5)


@dataclass
class SweepResult:
    examined: int = 0
    warnings: int = 0
    breaches: int = 0
    postponed: int = 0
    batches: int = 0
    fired: list[tuple[int, int]] = field(default_factory=list)  # (clock id, level)


def sweep(*, now: datetime | None = None, batch_size: int = 200, max_batches: int = 50) -> SweepResult:
    """One pass over the clocks that are due, batch by batch until none is left (or `max_batches`)."""
    now = now or timezone.now()
    result = SweepResult()
    actions: dict[int, list[SLAAction]] = {}  # per policy, read once per pass
    for _batch in range(max_batches):
        with transaction.atomic():
            due = list(
                SLAClock.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("policy__calendar", "ticket__assignee", "ticket__assignment_group__manager")
                .filter(status=ClockStatus.RUNNING, next_check_at__lte=now)
                .order_by("next_check_at")[:batch_size]
            )
            if not due:
                break
            result.batches += 1
            messages: list = []  # (event, recipients, topic), written to the outbox at once per batch
            for clock in due:
                result.examined += 1
                if clock.policy_id not in actions:
                    actions[clock.policy_id] = list(clock.policy.actions.select_related("group__manager"))
                _check(clock, now, result, actions[clock.policy_id], messages)
            if messages:
                from servicedesk.notifications import notify_many

                notify_many(messages)
        if len(due) < batch_size:
            break
    return result


# Actions that change the ticket itself: they go through the core's change (row lock, activity log, listeners).
CHANGES_TICKET = frozenset({SLAAction.Do.RAISE_PRIORITY, SLAAction.Do.REASSIGN, SLAAction.Do.ESCALATE})


def _check(clock: SLAClock, now: datetime, result: SweepResult, policy_actions: list[SLAAction], messages) -> None:
    """Fire every level of this clock that has come due, oldest first; then schedule its next check."""
    saved = False  # whether the clock row already holds its next check (each firing saves it)
    for percent in engine.levels(clock):
        if percent <= clock.warned_percent or (percent == 100 and clock.breached_at):
            continue
        reached_at = engine.level_instant(clock, percent)
        if reached_at > now:
            break
        actions = [a for a in policy_actions if a.at_percent == percent and a.metric in ("", clock.metric)]
        ticket = None
        if any(action.action in CHANGES_TICKET for action in actions):
            # A ticket being changed right now is left for the next sweep rather than waited for.
            ticket = core.lock_ticket(Ticket(pk=clock.ticket_id, kind=clock.ticket.kind), skip_locked=True)
            if ticket is None:
                clock.next_check_at = now + RETRY_LOCKED_AFTER
                clock.save(update_fields=["next_check_at"])
                result.postponed += 1
                return
        _fire(clock, percent, reached_at, result)
        saved = True
        messages.extend(_run_actions(clock, ticket, percent, actions, now))
        if ticket is not None:
            # The change may have re-targeted the clock (a raised priority): read it again.
            clock.refresh_from_db()
            if clock.status != ClockStatus.RUNNING:
                return
            saved = False
    if not saved:
        engine.schedule(clock)
        clock.save(update_fields=["breach_at", "next_check_at"])


def _fire(clock: SLAClock, percent: int, reached_at: datetime, result: SweepResult) -> None:
    breach = percent == 100
    clock.warned_percent = max(clock.warned_percent, percent)
    if breach:
        clock.breached_at = reached_at
    elapsed = clock.elapsed  # as of the last change; the event says how far in the target the level is
    SLAClockEvent.objects.create(
        clock=clock,
        kind=K.BREACHED if breach else K.WARNED,
        at=reached_at,
        elapsed=max(elapsed, clock.target * percent / 100),
        target=clock.target,
        percent=percent,
        detail=_("%(metric)s target at %(percent)d%%") % {"metric": clock.get_metric_display(), "percent": percent},
    )
    engine.schedule(clock)
    clock.save(update_fields=["warned_percent", "breached_at", "breach_at", "next_check_at"])
    result.fired.append((clock.pk, percent))
    if breach:
        result.breaches += 1
    else:
        result.warnings += 1


def _run_actions(clock: SLAClock, ticket, percent: int, actions: list[SLAAction], now: datetime) -> list:
    """The ticket's activity log says what happened; the outbox tells the people the policy names.

    Without an action that changes the ticket, the activity row is simply appended (no ticket update, no
    listeners): that keeps a sweep of a thousand warnings to a few statements each.
    """
    breach = percent == 100
    text = (_("%(metric)s target breached") if breach else _("%(metric)s target at %(percent)d%%")) % {
        "metric": clock.get_metric_display(),
        "percent": percent,
    }
    event = TicketEvent(
        kind=EventKind.SLA, field="breach" if breach else "warning", new_value=str(percent), new_display=text
    )
    if ticket is None:
        ticket = clock.ticket
        event.ticket_id, event.created_at, event.reason = ticket.pk, now, text
        event.save()
    else:
        with core.changing(ticket, actor=None, reason=text) as change:
            change.add_event(event)
            for action in actions:
                _change_ticket(ticket, action)
    recipients = {user for action in actions for user in _recipients(ticket, action)}
    if not recipients or not event.pk:
        return []
    return [(event, recipients, "sla_breached" if breach else "sla_warning")]


def _change_ticket(ticket, action: SLAAction) -> None:
    if action.action == SLAAction.Do.RAISE_PRIORITY and ticket.priority > 1:
        ticket.priority -= 1
        if hasattr(ticket, "priority_overridden"):
            ticket.priority_overridden = True  # the matrix must not put it back
    elif action.action == SLAAction.Do.REASSIGN:
        ticket.assignee = None
    elif action.action == SLAAction.Do.ESCALATE and action.group_id:
        ticket.assignment_group = action.group
        ticket.assignee = None


def _recipients(ticket, action: SLAAction) -> set:
    group = ticket.assignment_group
    if action.action == SLAAction.Do.NOTIFY_ASSIGNEE and ticket.assignee_id:
        return {ticket.assignee}
    if action.action == SLAAction.Do.NOTIFY_GROUP and group is not None:
        return set(group.members.filter(is_active=True))
    if action.action == SLAAction.Do.NOTIFY_MANAGER and group is not None and group.manager_id:
        return {group.manager}
    if action.action == SLAAction.Do.ESCALATE and action.group_id and action.group.manager_id:
        return {action.group.manager}
    return set()
