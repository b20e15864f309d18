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


@dataclass
class _Writes:
    """What a batch's notify-only levels write, saved in a few statements at the end of the batch."""

    clock_events: list = field(default_factory=list)
    clocks: dict = field(default_factory=dict)  # pk -> clock, saved once however many levels it fired
    ticket_events: list = field(default_factory=list)
    messages: list = field(default_factory=list)  # (event, recipients, topic)

    def flush(self) -> None:
        from servicedesk.notifications import notify_many

        SLAClockEvent.objects.bulk_create(self.clock_events)
        _update_clocks(list(self.clocks.values()))
        TicketEvent.objects.bulk_create(self.ticket_events)  # PostgreSQL hands back their ids for the outbox
        notify_many(self.messages)


def _update_clocks(clocks: list[SLAClock]) -> None:
    """One UPDATE … FROM (VALUES …) for the batch (Django's bulk_update builds a CASE per row and field, which
    cost more than the rest of the sweep)."""
    if not clocks:
        return
    from django.db import connection
    from psycopg2.extras import execute_values

    rows = [(c.pk, c.warned_percent, c.breached_at, c.breach_at, c.next_check_at) for c in clocks]
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            "UPDATE sla_slaclock AS c SET warned_percent = v.warned, breached_at = v.breached, "
            "breach_at = v.breach, next_check_at = v.next_check "
            "FROM (VALUES %s) AS v(id, warned, breached, breach, next_check) WHERE c.id = v.id",
            rows,
            template="(%s, %s, %s::timestamptz, %s::timestamptz, %s::timestamptz)",
        )


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
            writes = _Writes()
            for clock in due:
                result.examined += 1
                if clock.policy_id not in actions:
                    actions[clock.policy_id] = list(clock.policy.actions.select_related("group__manager"))
                _check(clock, now, result, actions[clock.policy_id], writes)
            writes.flush()
        if len(due) < batch_size:
            break
    return result


# Actions that change the ticket itself: they go through the core's change (row lock, activity log, listeners).
CHANGES_TICKET = frozenset({SLAAction.Do.RAISE_PRIORITY, SLAAction.Do.REASSIGN, SLAAction.Do.ESCALATE})


def _check(clock: SLAClock, now: datetime, result: SweepResult, policy_actions: list[SLAAction], writes) -> None:
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
        if ticket is None:
            # Only notifications: written with the batch (the clock, its timeline, the activity row, the outbox).
            _fire(clock, percent, reached_at, result, writes)
            writes.ticket_events.append(_activity_row(clock, percent, now))
            writes.messages.extend(_messages(writes.ticket_events[-1], clock.ticket, actions, percent))
            saved = True
            continue
        _fire(clock, percent, reached_at, result, None)
        event = _activity_row(clock, percent, now)
        with core.changing(ticket, actor=None, reason=event.reason) as change:
            change.add_event(event)
            for action in actions:
                _change_ticket(ticket, action)
        writes.messages.extend(_messages(event, ticket, actions, percent))
        # The change may have re-targeted the clock (a raised priority): read it again.
        clock.refresh_from_db()
        if clock.status != ClockStatus.RUNNING:
            return
        saved = False
    if not saved:
        engine.schedule(clock)
        clock.save(update_fields=["breach_at", "next_check_at"])


def _fire(clock: SLAClock, percent: int, reached_at: datetime, result: SweepResult, writes: _Writes | None) -> None:
    """Record the level on the clock and its timeline: now, or with the batch when `writes` is given."""
    breach = percent == 100
    clock.warned_percent = max(clock.warned_percent, percent)
    if breach:
        clock.breached_at = reached_at
    timeline_row = SLAClockEvent(
        clock=clock,
        kind=K.BREACHED if breach else K.WARNED,
        at=reached_at,
        elapsed=max(clock.elapsed, clock.target * percent / 100),
        target=clock.target,
        percent=percent,
        detail=_("%(metric)s target at %(percent)d%%") % {"metric": clock.get_metric_display(), "percent": percent},
    )
    engine.schedule(clock)
    if writes is None:
        timeline_row.save()
        clock.save(update_fields=["warned_percent", "breached_at", "breach_at", "next_check_at"])
    else:
        writes.clock_events.append(timeline_row)
        writes.clocks[clock.pk] = clock
    result.fired.append((clock.pk, percent))
    if breach:
        result.breaches += 1
    else:
        result.warnings += 1


def _activity_row(clock: SLAClock, percent: int, now: datetime) -> TicketEvent:
    """The row on the ticket's activity log that says which target reached which level."""
    breach = percent == 100
    text = (_("%(metric)s target breached") if breach else _("%(metric)s target at %(percent)d%%")) % {
        "metric": clock.get_metric_display(),
        "percent": percent,
    }
    return TicketEvent(
        ticket_id=clock.ticket_id,
        kind=EventKind.SLA,
        field="breach" if breach else "warning",
        new_value=str(percent),
        new_display=text,
        reason=text,
        created_at=now,
    )


def _messages(event: TicketEvent, ticket, actions: list[SLAAction], percent: int) -> list:
    recipients = {user for action in actions for user in _recipients(ticket, action)}
    if not recipients:
        return []
    return [(event, recipients, "sla_breached" if percent == 100 else "sla_warning")]


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
