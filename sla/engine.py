"""SLA clocks: which policy a ticket gets, and how its clocks follow the ticket's changes.

`track_clocks` is a change listener (registered in SlaConfig.ready to run before the ticket row is saved): it runs
inside the transaction that changed the ticket, with the ticket's row locked, so a clock never disagrees with the
ticket it measures, and the nearest deadline it sets on the ticket goes into the change's own UPDATE.

The rules peers get wrong, kept here on purpose:
* A priority change re-targets the running clocks and keeps the business time already spent: a P3 that
  becomes P1 after 3 h is 3 h into its P1 target, not starting afresh.
* A pause freezes the elapsed time; resuming schedules the next warning from what is left, so a ticket that
  comes back from a long pause is not escalated at once for time it spent paused.
* A reopened ticket's resolution clock runs on from where it stopped, not from zero and not from the wall-clock
  time since it opened.

What following a change costs (desk bulk actions change hundreds of tickets, one transaction each):
* A change that touches nothing the clocks follow (a work note, a new title, another group) reads no clock.
  So a policy edited meanwhile (its pause states, say) reaches a ticket's clocks at its next such change.
* Otherwise one query reads the ticket's clocks and locks their rows (only theirs, not the policy and calendar
  rows every ticket shares); each clock that moves is one UPDATE (a resumed one also reads when its pause
  began), and the change's timeline rows are one INSERT.
* The ticket's row lock does not serialise clock writes on its own: the sweep records a warning level holding
  the clock's row lock alone (SKIP LOCKED, no ticket lock). Hence the clocks' own lock here.
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


def _category_name(ticket) -> str:
    category = getattr(ticket, "category", None)
    return getattr(category, "name", "") or ""


def _department_id(ticket) -> int | None:
    return Profile.objects.filter(user_id=ticket.requester_id).values_list("department_id", flat=True).first()


def policy_for(ticket) -> SLAPolicy | None:
    """The first active policy, by position, whose every set condition matches the ticket.

    The facts are read from whatever practice model the ticket is (duck-typed: the SLA app knows no practice):
    category and service exist on incidents; the department comes from the requester's profile. The category
    and the department cost a query each, so they are read only when a policy asks for them.
    """
    facts: dict = {}

    def fact(name, read):
        if name not in facts:
            facts[name] = read(ticket)
        return facts[name]

    for policy in SLAPolicy.objects.filter(is_active=True, kind=ticket.kind).select_related("calendar"):
        if policy.priority_set and ticket.priority not in policy.priority_set:
            continue
        if policy.service_id and policy.service_id != getattr(ticket, "affected_service_id", None):
            continue
        if policy.category and policy.category.casefold() != fact("category", _category_name).casefold():
            continue
        if policy.organisation_id and policy.organisation_id != fact("department", _department_id):
            continue
        return policy
    return None


def targets_for(policy: SLAPolicy, priority: int) -> dict[str, timedelta]:
    """The policy's targets for a priority, by metric, in Metric's order (a metric without a target has no clock)."""
    row = SLATarget.objects.filter(policy=policy, priority=priority).first()
    if row is None:
        return {}
    return {metric: getattr(row, metric) for metric in Metric.values if getattr(row, metric) is not None}


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

# What the clocks follow besides replies: the state (pause, resume, stop, reopen), the hold reason (some reasons
# pause), the priority (re-target) and the assignee (the first response).
CLOCK_FIELDS = frozenset({"state", "on_hold_reason", "priority", "assignee"})


def moves_clocks(ticket, events) -> bool:
    """Whether the change can move a clock: a new ticket, a field the clocks follow, or a reply by the desk."""
    for event in events:
        if event.kind in (EventKind.CREATED, EventKind.STATE) or event.field in CLOCK_FIELDS:
            return True
        if event.kind == EventKind.COMMENT and event.actor_id not in (None, ticket.requester_id):
            return True
    return False


def track_clocks(*, ticket, events) -> None:
    """Change listener: start, pause, resume, re-target and stop the ticket's clocks as it changes.

    Runs before the changed ticket is saved and sets its nearest deadline (`sla_due_at`) for that save to write.
    """
    if not moves_clocks(ticket, events):
        return
    now = max((event.created_at for event in events), default=timezone.now())
    if any(event.kind == EventKind.CREATED for event in events):
        start_clocks(ticket, now)  # a new ticket has no clocks yet
        return
    clocks = list(
        SLAClock.objects.select_for_update(of=("self",), no_key=True)
        .select_related("policy__calendar")
        .filter(ticket=ticket)
    )
    if not clocks:
        return
    timeline: list[SLAClockEvent] = []
    if any(event.field == "priority" for event in events):
        retarget(clocks, ticket, now, timeline)
    responded = _responded(ticket, events)
    for clock in clocks:
        if clock.metric == Metric.RESPONSE and responded and clock.status != ClockStatus.STOPPED:
            stop(clock, now, _("First response"), timeline)
            continue
        follow_state(clock, ticket, now, timeline)
    # Every move of a clock has its timeline row: the clocks with one are those to save.
    for clock in {id(row.clock): row.clock for row in timeline}.values():
        clock.save()
    SLAClockEvent.objects.bulk_create(timeline)
    ticket.sla_due_at = nearest_due(clocks)


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
    """Start the clocks the ticket's policy sets for its priority; the ticket is saved already (it is new), so its
    nearest deadline is written here."""
    policy = policy_for(ticket)
    if policy is None:
        return []
    detail = _("%(policy)s, %(priority)s") % {"policy": policy.name, "priority": Priority(ticket.priority).label}
    started, timeline = [], []
    for metric, target in targets_for(policy, ticket.priority).items():
        clock = SLAClock(
            ticket_id=ticket.pk, metric=metric, policy=policy, target=target, started_at=now, resumed_at=now
        )
        schedule(clock)
        _note(timeline, clock, K.STARTED, now, detail=detail)
        started.append(clock)
    for clock in started:
        follow_state(clock, ticket, now, timeline)  # a ticket may be born paused (e.g. opened On Hold)
    SLAClock.objects.bulk_create(started)
    SLAClockEvent.objects.bulk_create(timeline)  # their clocks have ids now
    mark_due(ticket, started)
    return started


def nearest_due(clocks: list[SLAClock]) -> datetime | None:
    """The nearest deadline of the running clocks (queues sort and filter on it), None when none runs."""
    return min((c.breach_at for c in clocks if c.status == ClockStatus.RUNNING and c.breach_at), default=None)


def mark_due(ticket, clocks: list[SLAClock]) -> None:
    """Write the nearest deadline of the running clocks onto a ticket row that is already saved."""
    due = nearest_due(clocks)
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


def follow_state(clock: SLAClock, ticket, now: datetime, timeline: list[SLAClockEvent]) -> None:
    """Bring the clock's status in line with the ticket: stopped when closed, paused in a pause state."""
    if not ticket.is_open:
        if clock.status != ClockStatus.STOPPED:
            stop(clock, now, ticket.state_info.label, timeline)
        return
    if clock.metric == Metric.RESPONSE and clock.status == ClockStatus.STOPPED:
        return  # answered once is answered
    pause_key = _pause_key_matches(clock.policy, ticket)
    if clock.status == ClockStatus.STOPPED:
        _run_again(clock, now, K.REOPENED, _("Reopened"), timeline)
    if pause_key and clock.status == ClockStatus.RUNNING:
        _accumulate(clock, now)
        clock.status = ClockStatus.PAUSED
        clock.resumed_at = None
        schedule(clock)
        _note(timeline, clock, K.PAUSED, now, detail=_display_state(ticket))
    elif not pause_key and clock.status == ClockStatus.PAUSED:
        paused_since = clock.events.filter(kind=K.PAUSED).order_by("-at").values_list("at", flat=True).first()
        _run_again(
            clock,
            now,
            K.RESUMED,
            _("after %(duration)s paused") % {"duration": _human(now - paused_since)} if paused_since else "",
            timeline,
        )


def _display_state(ticket) -> str:
    reason = getattr(ticket, "get_on_hold_reason_display", None)
    label = str(ticket.state_info.label)
    return f"{label}: {reason()}" if reason and getattr(ticket, "on_hold_reason", "") else label


def _run_again(clock: SLAClock, now: datetime, kind: str, detail: str, timeline: list[SLAClockEvent]) -> None:
    clock.status = ClockStatus.RUNNING
    clock.resumed_at = now
    clock.stopped_at = None
    schedule(clock)
    _note(timeline, clock, kind, now, detail=detail)


def stop(clock: SLAClock, now: datetime, why: str, timeline: list[SLAClockEvent]) -> None:
    if clock.status == ClockStatus.RUNNING:
        _accumulate(clock, now)
    clock.status = ClockStatus.STOPPED
    clock.resumed_at = None
    clock.stopped_at = now
    if clock.breached_at is None and clock.elapsed > clock.target:
        clock.breached_at = now  # went past the target between two sweeps: the stop records it
    schedule(clock)
    verdict = _("target missed") if clock.breached_at else _("target met")
    _note(timeline, clock, K.STOPPED, now, detail=f"{why} ({verdict})")


def retarget(clocks: list[SLAClock], ticket, now: datetime, timeline: list[SLAClockEvent]) -> None:
    """A new priority: the policy and targets it gives now, keeping the business time already spent.

    The policy is chosen once for all the ticket's clocks; without one, each clock keeps its own policy.
    """
    policy = policy_for(ticket)
    targets: dict[int, dict[str, timedelta]] = {}
    for clock in clocks:
        chosen = policy or clock.policy
        if chosen.pk not in targets:
            targets[chosen.pk] = targets_for(chosen, ticket.priority)
        target = targets[chosen.pk].get(clock.metric)
        if target is None or (target == clock.target and chosen.pk == clock.policy_id):
            continue
        if clock.status == ClockStatus.RUNNING:
            # Count what was spent under the old calendar before switching to the new one.
            _accumulate(clock, now)
            clock.resumed_at = now
        old_target, old_policy = clock.target, clock.policy
        clock.policy, clock.target = chosen, target
        schedule(clock)
        detail = _("priority now %(priority)s") % {"priority": Priority(ticket.priority).label}
        if chosen.pk != old_policy.pk:
            detail += " · " + _("policy %(old)s → %(new)s") % {"old": old_policy.name, "new": chosen.name}
        _note(timeline, clock, K.RETARGETED, now, old_target=old_target, detail=detail)


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


def _note(timeline: list[SLAClockEvent], clock, kind, at, *, old_target=None, detail="") -> None:
    """Add a row to the clock's timeline as it stands now (written with the change's other rows)."""
    timeline.append(
        SLAClockEvent(
            clock=clock,
            kind=kind,
            at=at,
            elapsed=clock.elapsed,
            target=clock.target,
            old_target=old_target,
            detail=detail[:300],
        )
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
