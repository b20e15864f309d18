"""Properties of business-time arithmetic over random calendars, zones (DST, 30-minute DST) and instants.

Resolution is the microsecond: starts and durations carry microseconds and every equality is exact. Starts cluster
around the zones' clock changes of 2024–2027 so that gaps and repeated hours are met often.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendars import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    is_business_time,
    next_business_instant,
)

ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # DST of 30 minutes
    "America/Santiago",  # clocks change at midnight: days start in a gap or twice
]
FIRST, LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
TICK = timedelta(microseconds=1)

# Generating a calendar costs more than the arithmetic on it: 100 examples keep each property near a second or two.
PROPERTY = settings(max_examples=100, deadline=None)


def clock_changes(name: str) -> list[datetime]:
    """The instants at which the zone's offset changes between FIRST and LAST (all on whole hours here)."""
    zone, changes = ZoneInfo(name), []
    moment, offset = FIRST, FIRST.astimezone(zone).utcoffset()
    while moment < LAST:
        moment += timedelta(hours=1)
        if (now := moment.astimezone(zone).utcoffset()) != offset:
            changes.append(moment)
            offset = now
    return changes


CHANGES = {name: clock_changes(name) for name in ZONES}


@st.composite
def day_spans(draw) -> list[tuple[time, time]]:
    """Up to three disjoint spans on quarter hours, sometimes to midnight, often in the night hours clocks change in."""
    cuts = sorted(draw(st.sets(st.one_of(st.integers(0, 96), st.integers(0, 16)), max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    return [(_quarter(cuts[i]), _quarter(cuts[i + 1])) for i in range(0, len(cuts), 2)]


def _quarter(index: int) -> time:
    return time(0) if index == 96 else time(index // 4, index % 4 * 15)


# One draw per date (st.dates makes three), which keeps generating a calendar cheap.
days_in_range = st.integers(0, 1480).map(lambda days: date(2023, 12, 25) + timedelta(days=days))


@st.composite
def calendars(draw, zones=ZONES) -> CalendarSpec:
    """A calendar with some working time every week, holidays and make-up working days."""
    week = draw(st.lists(day_spans(), min_size=7, max_size=7))
    if not any(week):
        week[0] = [(time(9), time(17))]  # cheaper than filtering: a week without hours makes adding raise
    return CalendarSpec.build(
        draw(st.sampled_from(zones)),
        periods=[(weekday, start, end) for weekday, spans in enumerate(week) for start, end in spans],
        holidays=draw(st.lists(days_in_range, max_size=30)),
        working_days=draw(st.lists(st.tuples(days_in_range, st.integers(0, 6)), max_size=8)),
    )


@st.composite
def instants(draw, spec: CalendarSpec) -> datetime:
    """Within a day and a half of one of the zone's clock changes, or anywhere in 2024–2027.

    Often on a quarter hour (every zone here is offset by whole quarters, so that is a quarter of local time too),
    where spans begin and end; otherwise anywhere to the microsecond.
    """
    changes = CHANGES[spec.time_zone]
    if changes and draw(st.booleans()):
        base = draw(st.sampled_from(changes)) + draw(st.integers(-144, 144)) * QUARTER
    else:
        base = FIRST + draw(st.integers(0, (LAST - FIRST) // QUARTER)) * QUARTER
    if draw(st.booleans()):
        return base
    return base + draw(st.integers(0, QUARTER // TICK - 1)) * TICK


def durations(spec: CalendarSpec, weeks: int = 6):
    """Zero up to a few weeks of the calendar's working time, to the microsecond; often whole quarter hours."""
    most = spec.nominal_week() * weeks // TICK
    exact = st.integers(0, most).map(lambda micros: micros * TICK)
    return st.one_of(exact, st.integers(0, most // (QUARTER // TICK)).map(lambda quarters: quarters * QUARTER))


@PROPERTY
@given(st.data())
def test_measuring_what_was_added_gives_the_duration(data):
    spec = data.draw(calendars())
    start, duration = data.draw(instants(spec)), data.draw(durations(spec))
    end = add_business_time(spec, start, duration)
    assert business_time_between(spec, start, end) == duration
    assert end - start >= duration  # business time never runs faster than real time


@PROPERTY
@given(st.data())
def test_adding_in_two_steps_equals_adding_once(data):
    spec = data.draw(calendars())
    start, first, second = data.draw(instants(spec)), data.draw(durations(spec, 3)), data.draw(durations(spec, 3))
    assert add_business_time(spec, add_business_time(spec, start, first), second) == add_business_time(
        spec, start, first + second
    )


@PROPERTY
@given(st.data())
def test_adding_more_ends_strictly_later(data):
    spec = data.draw(calendars())
    start = data.draw(instants(spec))
    shorter, longer = sorted([data.draw(durations(spec)), data.draw(durations(spec))])
    if shorter < longer:
        assert add_business_time(spec, start, shorter) < add_business_time(spec, start, longer)
    else:
        assert add_business_time(spec, start, shorter) == add_business_time(spec, start, longer)


@PROPERTY
@given(st.data())
def test_measuring_in_pieces_sums_up(data):
    spec = data.draw(calendars())
    first = data.draw(instants(spec))
    a, b, c = sorted([first, first + data.draw(st.integers(0, 10**12)) * TICK, data.draw(instants(spec))])
    whole = business_time_between(spec, a, c)
    assert business_time_between(spec, a, b) + business_time_between(spec, b, c) == whole
    assert whole <= c - a


@PROPERTY
@given(st.data())
def test_an_addition_ends_in_business_time_or_at_a_span_end(data):
    spec = data.draw(calendars())
    start, duration = data.draw(instants(spec)), data.draw(durations(spec))
    end = add_business_time(spec, start, duration)
    if duration:
        # The last microsecond counted was business time; `end` is inside a span or is its end.
        assert is_business_time(spec, end - TICK)
        assert end - TICK >= start
    else:
        assert end == start


@PROPERTY
@given(st.data())
def test_is_business_time_agrees_with_measuring(data):
    spec = data.draw(calendars())
    moment = data.draw(instants(spec))
    assert is_business_time(spec, moment) == (business_time_between(spec, moment, moment + TICK) == TICK)


@PROPERTY
@given(st.data())
def test_next_business_instant_is_where_counting_starts(data):
    spec = data.draw(calendars())
    start, duration = data.draw(instants(spec)), data.draw(durations(spec))
    opening = next_business_instant(spec, start)
    assert opening >= start
    assert is_business_time(spec, opening)
    assert business_time_between(spec, start, opening) == timedelta()
    if duration:
        assert add_business_time(spec, start, duration) == add_business_time(spec, opening, duration)


@PROPERTY
@given(zone=st.sampled_from(ZONES), data=st.data())
def test_24x7_and_whole_days_are_plain_real_time(zone, data):
    round_the_clock = CalendarSpec.build(zone, is_24x7=True)
    whole_days = CalendarSpec.build(zone, periods=[(weekday, time(0), time(0)) for weekday in range(7)])
    start = data.draw(instants(round_the_clock))
    duration = data.draw(st.integers(0, 60 * 24 * 3600 * 10**6)) * TICK
    assert add_business_time(round_the_clock, start, duration) == start + duration
    assert add_business_time(whole_days, start, duration) == start + duration
    assert business_time_between(whole_days, start, start + duration) == duration


# -- an independent oracle ------------------------------------------------------------------------------------------
# The documented rule, "a span lasts from the first instant the wall clock reaches its start to the first instant it
# reaches its end", says an instant is business time when the furthest the clock has read so far lies in a span.
# Counted minute by minute from UTC (no fold, no gap handling), it checks the DST rules of sla/calendars.py.

MINUTE = timedelta(minutes=1)


def _in_a_span(spec: CalendarSpec, wall: datetime) -> bool:
    since_midnight = wall - datetime.combine(wall.date(), time(0))
    return any(start <= since_midnight < end for start, end in spec.spans_on(wall.date()))


def minutes_counted(spec: CalendarSpec, start: datetime, end: datetime) -> tuple[timedelta, set[datetime]]:
    """Business time in [start, end) by the minute, and the minutes found to be business time."""
    moment, furthest, inside = start - timedelta(days=1), None, set()
    while moment < end:
        wall = moment.astimezone(spec.zone).replace(tzinfo=None)
        furthest = wall if furthest is None else max(furthest, wall)
        if moment >= start and _in_a_span(spec, furthest):
            inside.add(moment)
        moment += MINUTE
    return len(inside) * MINUTE, inside


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_agrees_with_counting_minute_by_minute(data):
    spec = data.draw(calendars(zones=[name for name in ZONES if CHANGES[name]]))
    change = data.draw(st.sampled_from(CHANGES[spec.time_zone]))
    start = change - data.draw(st.integers(0, 36 * 60)) * MINUTE
    end = change + data.draw(st.integers(0, 36 * 60)) * MINUTE
    counted, inside = minutes_counted(spec, start, end)
    assert business_time_between(spec, start, end) == counted
    offsets = range((end - start) // MINUTE)
    for offset in data.draw(st.lists(st.sampled_from(offsets), max_size=20)) if offsets else ():
        moment = start + offset * MINUTE
        assert is_business_time(spec, moment) == (moment in inside)
