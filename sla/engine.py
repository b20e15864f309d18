"""SLA clocks: which policy a ticket gets, and how its clocks follow the ticket's changes.

`track_clocks` is a change listener (registered in SlaConfig.ready): it runs inside the transaction that
changed the ticket, with the ticket's row locked, so a clock never disagrees with the ticket it measures.

The rules peers get wrong, kept here on purpose:
* A priority change re-targets the running clocks and keeps the business time already spent: a P3 that
  becomes P1 after 3 h is 3 h into its P1 target, not starting afresh.
* A pause freezes the elapsed time; resuming schedules the next warning from what is left, so a ticket that
  comes back from a long pause is not escalated at once for time it spent paused.
* A reopened ticket's resolution clock runs on from where it stopped, not from zero and not from the wall-clock
  time since it opened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.choices import EventKind, Priority
from servicedesk.models import Profile, Ticket

from .calendars import CalendarSpec, add_business_time, business_time_between
from .models import ClockStatus, Metric, SLAClock, SLAClockEvent, SLAPolicy, SLATarget

K = SLAClockEvent.Kind


# -- which policy ----------------------------------------------------------------------------------------


def ticket_facts(ticket) -> dict:
    """What policies match on, read from whatever practice model the ticket is (duck-typed: the SLA app knows
    no practice). Category and service exist on incidents; the department comes from the requester's profile."""
    category = getattr(ticket, "category", None)
    department = Profile.objects.filter(user_id=ticket.requester_id).values_list("department_id", flat=True).first()
    return {
        "kind": ticket.kind,
        "priority": ticket.priority,
        "category": getattr(category, "name", "") or "",
        "service_id": getattr(ticket, "affected_service_id", None),
        "department_id": department,
    }


def policy_for(facts: dict) -> SLAPolicy | None:
    """The first active policy, by position, whose every set condition matches."""
    for policy in SLAPolicy.objects.filter(is_active=True, kind=facts["kind"]).select_related("calendar"):
        if policy.priority_set and facts["priority"] not in policy.priority_set:
            continue
        if policy.category and policy.category.casefold() != facts["category"].casefold():
            continue
        if policy.service_id and policy.service_id != facts["service_id"]:
            continue
        if policy.organisation_id and policy.organisation_id != facts["department_id"]:
            continue
        return policy
    return None


def target_for(policy: SLAPolicy, priority: int, metric: str) -> timedelta | None:
    row = SLATarget.objects.filter(policy=policy, priority=priority).first()
    return None if row is None else getattr(row, metric)


_specs: dict[tuple[int, datetime], CalendarSpec] = {}


def spec_of(policy: SLAPolicy) -> CalendarSpec:
    """The policy's calendar as an arithmetic snapshot, kept per process until the calendar row is saved again
    (its `updated_at` moves on every save, the admin's inline edits included)."""
    calendar = policy.calendar
    key = (calendar.pk, calendar.updated_at)
    spec = _specs.get(key)
    if spec is None:
        if len(_specs) > 256:
            _specs.clear()
        spec = _specs[key] = CalendarSpec.load(calendar)
    return spec


# -- the listener ------------------------------------------------------------------------------------------


def track_clocks(*, ticket, events) -> None:
    """Change listener: start, pause, resume, re-target and stop the ticket's clocks as it changes."""
    now = max((event.created_at for event in events), default=timezone.now())
    clocks = list(SLAClock.objects.select_for_update().select_related("policy__calendar").filter(ticket=ticket))
    if not clocks:
        if any(event.kind == EventKind.CREATED for event in events):
            start_clocks(ticket, now)
        return
    priority_changed = any(event.field == "priority" for event in events)
    responded = _responded(ticket, events)
    for clock in clocks:
        if priority_changed:
            retarget(clock, ticket, now)
        if clock.metric == Metric.RESPONSE and responded and clock.status != ClockStatus.STOPPED:
            stop(clock, now, _("First response"))
            continue
        follow_state(clock, ticket, now)
    mark_due(ticket, clocks)


def _responded(ticket, events) -> bool:
    """Someone other than the requester acted: an engineer assigned, replied publicly, or moved the state on."""
    initial = ticket.kind_info.initial_state
    for event in events:
        if event.kind == EventKind.FIELD and event.field == "assignee" and event.new_value:
            return True
        if event.kind == EventKind.COMMENT and event.actor_id not in (None, ticket.requester_id):
            return True
        if event.kind == EventKind.STATE and event.old_value == initial and event.actor_id != ticket.requester_id:
            return True
    return False


def start_clocks(ticket, now: datetime) -> list[SLAClock]:
    policy = policy_for(ticket_facts(ticket))
    if policy is None:
        return []
    started = []
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        target = target_for(policy, ticket.priority, metric)
        if target is None:
            continue
        clock = SLAClock(
            ticket_id=ticket.pk, metric=metric, policy=policy, target=target, started_at=now, resumed_at=now
        )
        schedule(clock)
        clock.save()
        _record(
            clock,
            K.STARTED,
            now,
            detail=_("%(policy)s, %(priority)s") % {"policy": policy.name, "priority": Priority(ticket.priority).label},
        )
        started.append(clock)
    for clock in started:
        follow_state(clock, ticket, now)  # a ticket may be born paused (e.g. opened On Hold)
    mark_due(ticket, started)
    return started


def mark_due(ticket, clocks: list[SLAClock]) -> None:
    """Copy the nearest deadline of the running clocks onto the ticket row (queues sort and filter on it)."""
    due = min((c.breach_at for c in clocks if c.status == ClockStatus.RUNNING and c.breach_at), default=None)
    if due != getattr(ticket, "sla_due_at", None):
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
        ticket.sla_due_at = due


def _pause_key_matches(policy: SLAPolicy, ticket) -> str:
    """The pause state that holds now ("" when none): a state, or state:reason for states with a reason."""
    reason = getattr(ticket, "on_hold_reason", "") or ""
    for key in (f"{ticket.state}:{reason}" if reason else None, ticket.state):
        if key and key in policy.pause_set:
            return key
    return ""


def follow_state(clock: SLAClock, ticket, now: datetime) -> None:
    """Bring the clock's status in line with the ticket: stopped when closed, paused in a pause state."""
    if not ticket.is_open:
        if clock.status != ClockStatus.STOPPED:
            stop(clock, now, ticket.state_info.label)
        return
    if clock.metric == Metric.RESPONSE and clock.status == ClockStatus.STOPPED:
        return  # answered once is answered
    pause_key = _pause_key_matches(clock.policy, ticket)
    if clock.status == ClockStatus.STOPPED:
        _run_again(clock, now, K.REOPENED, _("Reopened"))
    if pause_key and clock.status == ClockStatus.RUNNING:
        _accumulate(clock, now)
        clock.status = ClockStatus.PAUSED
        clock.resumed_at = None
        schedule(clock)
        clock.save()
        _record(clock, K.PAUSED, now, detail=_display_state(ticket))
    elif not pause_key and clock.status == ClockStatus.PAUSED:
        paused_since = clock.events.filter(kind=K.PAUSED).order_by("-at").values_list("at", flat=True).first()
        _run_again(
            clock,
            now,
            K.RESUMED,
            _("after %(duration)s paused") % {"duration": _human(now - paused_since)} if paused_since else "",
        )


def _display_state(ticket) -> str:
    reason = getattr(ticket, "get_on_hold_reason_display", None)
    label = str(ticket.state_info.label)
    return f"{label}: {reason()}" if reason and getattr(ticket, "on_hold_reason", "") else label


def _run_again(clock: SLAClock, now: datetime, kind: str, detail: str) -> None:
    clock.status = ClockStatus.RUNNING
    clock.resumed_at = now
    clock.stopped_at = None
    schedule(clock)
    clock.save()
    _record(clock, kind, now, detail=detail)


def stop(clock: SLAClock, now: datetime, why: str) -> None:
    if clock.status == ClockStatus.RUNNING:
        _accumulate(clock, now)
    clock.status = ClockStatus.STOPPED
    clock.resumed_at = None
    clock.stopped_at = now
    if clock.breached_at is None and clock.elapsed > clock.target:
        clock.breached_at = now  # went past the target between two sweeps: the stop records it
    schedule(clock)
    clock.save()
    verdict = _("target missed") if clock.breached_at else _("target met")
    _record(clock, K.STOPPED, now, detail=f"{why} ({verdict})")


def retarget(clock: SLAClock, ticket, now: datetime) -> None:
    """A new priority: the policy and target it gives now, keeping the business time already spent."""
    policy = policy_for(ticket_facts(ticket)) or clock.policy
    target = target_for(policy, ticket.priority, clock.metric)
    if target is None or (target == clock.target and policy.pk == clock.policy_id):
        return
    if clock.status == ClockStatus.RUNNING:
        # Count what was spent under the old calendar before switching to the new one.
        _accumulate(clock, now)
        clock.resumed_at = now
    old_target, old_policy = clock.target, clock.policy
    clock.policy, clock.target = policy, target
    schedule(clock)
    clock.save()
    detail = _("priority now %(priority)s") % {"priority": Priority(ticket.priority).label}
    if policy.pk != old_policy.pk:
        detail += " · " + _("policy %(old)s → %(new)s") % {"old": old_policy.name, "new": policy.name}
    _record(clock, K.RETARGETED, now, old_target=old_target, detail=detail)


# -- time ---------------------------------------------------------------------------------------------


def _accumulate(clock: SLAClock, now: datetime) -> None:
    if clock.resumed_at is not None and now > clock.resumed_at:
        clock.elapsed += business_time_between(spec_of(clock.policy), clock.resumed_at, now)


def elapsed_at(clock: SLAClock, now: datetime) -> timedelta:
    """Business time spent by `now` (what a page shows; the stored `elapsed` counts only to the last change)."""
    if clock.status != ClockStatus.RUNNING or clock.resumed_at is None or now <= clock.resumed_at:
        return clock.elapsed
    return clock.elapsed + business_time_between(spec_of(clock.policy), clock.resumed_at, now)


def levels(clock: SLAClock) -> tuple[int, ...]:
    """The warning levels and the breach (100), in order."""
    return (*[p for p in clock.policy.warning_levels if p < 100], 100)


def level_instant(clock: SLAClock, percent: int) -> datetime:
    """When a running clock reaches `percent` of its target (now-ish if it is already past it)."""
    due = clock.target * percent / 100 - clock.elapsed
    if due <= timedelta():
        return clock.resumed_at
    return add_business_time(spec_of(clock.policy), clock.resumed_at, due)


def schedule(clock: SLAClock) -> None:
    """Keep `breach_at` and `next_check_at` right for the clock's status (the sweep reads only these)."""
    if clock.status != ClockStatus.RUNNING:
        clock.breach_at = clock.next_check_at = None
        return
    clock.breach_at = level_instant(clock, 100)
    pending = [p for p in levels(clock) if p > clock.warned_percent and not (p == 100 and clock.breached_at)]
    clock.next_check_at = level_instant(clock, pending[0]) if pending else None


def _record(clock, kind, at, *, old_target=None, percent=None, detail="") -> SLAClockEvent:
    return SLAClockEvent.objects.create(
        clock=clock,
        kind=kind,
        at=at,
        elapsed=clock.elapsed,
        target=clock.target,
        old_target=old_target,
        percent=percent,
        detail=detail[:300],
    )


def _human(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)
