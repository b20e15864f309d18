"""Business-time arithmetic on an immutable snapshot of a business calendar.

Rules (the Hypothesis properties in tests/sla/test_calendar_properties.py hold the code to them):

* Working hours are wall-clock times in the calendar's zone. A span [start, end) of a date covers the real instants
  from the first instant the wall clock reaches `start` on that date to the first instant it reaches `end`; an
  end of 24 h is the next midnight. Business time is real elapsed time inside those spans, so a 00:00–06:00 span
  lasts 5 h on a spring-forward night and 7 h on a fall-back night, while 09:00–18:00 stays 9 h when the clocks
  change at night. A start that does not exist (inside a spring gap) begins when the clocks jump; a start that
  exists twice (fall-back) begins at its first occurrence. Put another way: an instant is business time when the
  furthest the wall clock has read so far lies inside a span of that reading's date.
* Arithmetic is exact to the microsecond (datetime's resolution): only integer timedeltas are added, never floats.
* Results are aware datetimes in UTC; arguments must be aware (any zone).
* Adding zero returns the start unchanged; adding more ends at the earliest instant at which that much business
  time has elapsed, which may be the end of a span (never the next opening).
* A 24×7 calendar's business time is real time.
"""

import functools
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)  # datetime's resolution, and so the arithmetic's
# A search for working time gives up this far ahead, so a calendar without hours raises instead of looping.
SEARCH_LIMIT_DAYS = 3660
MIDNIGHT = time(0)

Span = tuple[timedelta, timedelta]  # (start, end) as time since the local midnight; end may be 24 h
Interval = tuple[datetime, datetime]  # [start, end) in UTC


@dataclass(frozen=True)
class CalendarSpec:
    """What the arithmetic needs of a calendar, hashable and free of the database; build() or load() makes one."""

    time_zone: str
    is_24x7: bool = False
    week: tuple[tuple[Span, ...], ...] = ((),) * 7  # Monday first; each day's spans sorted and merged
    holidays: frozenset[date] = frozenset()
    working_days: tuple[tuple[date, int], ...] = ()  # (date, weekday whose hours it has), sorted by date

    @classmethod
    def build(
        cls,
        time_zone: str,
        *,
        is_24x7: bool = False,
        periods: Iterable[tuple[int, time, time]] = (),
        holidays: Iterable[date] = (),
        working_days: Iterable[tuple[date, int]] = (),
    ) -> "CalendarSpec":
        """A spec from plain values: periods are (weekday, start, end) with an end of 00:00 meaning midnight."""
        _zone(time_zone)  # fail early on an unknown zone
        days: list[list[Span]] = [[] for _ in range(7)]
        for weekday, start, end in periods:
            days[weekday].append(_span(start, end))
        working = dict(working_days)
        holiday_set = frozenset(holidays).difference(working)
        return cls(
            time_zone=time_zone,
            is_24x7=is_24x7,
            week=tuple(_merged(spans) for spans in days),
            holidays=holiday_set,
            working_days=tuple(sorted(working.items())),
        )

    @classmethod
    def load(cls, calendar) -> "CalendarSpec":
        """The snapshot of a BusinessCalendar row, read with two queries."""
        from .models import ExceptionKind  # the models import nothing from here; this keeps the module DB-free

        holidays, working_days = [], []
        for day, kind, weekday in calendar.exceptions.values_list("date", "kind", "hours_like_weekday"):
            if kind == ExceptionKind.WORKING_DAY:
                working_days.append((day, weekday))
            else:
                holidays.append(day)
        return cls.build(
            calendar.time_zone,
            is_24x7=calendar.is_24x7,
            periods=calendar.periods.values_list("weekday", "start", "end"),
            holidays=holidays,
            working_days=working_days,
        )

    @functools.cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return _zone(self.time_zone)

    @functools.cached_property
    def _working_day_map(self) -> dict[date, int]:
        return dict(self.working_days)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The wall-clock spans a date works: none on a holiday, another weekday's on a make-up day."""
        if day in self.holidays:
            return ()
        return self.week[self._working_day_map.get(day, day.weekday())]

    def nominal_week(self) -> timedelta:
        """Working time of a week without exceptions, in wall-clock hours."""
        if self.is_24x7:
            return 7 * DAY
        return sum((end - start for spans in self.week for start, end in spans), timedelta())


def add_business_time(spec: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which `duration` of business time has passed since `start` (UTC)."""
    start = _utc(start)
    if duration < timedelta():
        raise ValueError("A business-time duration cannot be negative.")
    if duration == timedelta() or spec.is_24x7:
        return start + duration
    remaining = duration
    for opens, closes in _intervals_from(spec, start):
        available = closes - opens
        if available >= remaining:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable: _intervals_from raises when it runs out")  # pragma: no cover


def business_time_between(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Business time inside [start, end); zero when end is not after start."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta()
    if spec.is_24x7:
        return end - start
    total = timedelta()
    for opens, closes in _intervals_from(spec, start, until=end):
        total += min(closes, end) - opens
    return total


def is_business_time(spec: CalendarSpec, at: datetime) -> bool:
    """Whether the instant lies inside a working span (a span's end is outside it)."""
    at = _utc(at)
    if spec.is_24x7:
        return True
    # Only `at` itself lies in [at, at + 1 µs): some working time there means `at` is inside a span.
    return next(_intervals_from(spec, at, until=at + TICK), None) is not None


def next_business_instant(spec: CalendarSpec, at: datetime) -> datetime:
    """`at` itself when it is business time, else the next opening (UTC)."""
    at = _utc(at)
    if spec.is_24x7:
        return at
    opens, _ = next(_intervals_from(spec, at))
    return opens


def _intervals_from(spec: CalendarSpec, start: datetime, until: datetime | None = None) -> Iterator[Interval]:
    """The working intervals after `start` in order, the first clipped to begin at `start`; up to `until` if given.

    Walks day by day over spans (never minute by minute). No span of a date before the local date of `start` can
    reach past `start`, since each span ends no later than the first instant its next midnight is reached. Without
    `until` the walk gives up after SEARCH_LIMIT_DAYS, so a calendar that never works raises instead of looping.
    """
    first_day = start.astimezone(spec.zone).date()
    # Two days of margin past `until`'s date: after clocks go back over midnight, the next date's spans begin earlier.
    days = SEARCH_LIMIT_DAYS if until is None else (until.astimezone(spec.zone).date() - first_day).days + 2
    for offset in range(days + 1):
        for opens, closes in _day_intervals(spec, first_day + offset * DAY):
            if until is not None and opens >= until:
                return
            if closes > start:
                yield max(opens, start), closes
    if until is None:
        raise ValueError(
            f"The calendar has no working time left in the {days} days after {start.isoformat()}: "
            "does it have working hours?"
        )


def _day_intervals(spec: CalendarSpec, day: date) -> list[Interval]:
    """The date's spans as real instants; spans swallowed whole by a DST gap or a skipped date disappear."""
    midnight = datetime.combine(day, MIDNIGHT)
    intervals = []
    for start, end in spec.spans_on(day):
        opens = _first_reached(spec.zone, midnight + start)
        closes = _first_reached(spec.zone, midnight + end)
        if closes > opens:
            intervals.append((opens, closes))
    return intervals


def _first_reached(zone: zoneinfo.ZoneInfo, wall: datetime) -> datetime:
    """The first instant (UTC) at which the zone's wall clock reads `wall` or later.

    That is the only occurrence of an ordinary time, the first of a time repeated when clocks go back, and for a
    time skipped when they go forward, the instant of the jump.
    """
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early <= late:
        return early  # equal: an ordinary time; early < late: a repeated time, fold 0 comes first
    # A skipped time: fold=0 reads it with the offset before the jump (lands after it), fold=1 with the offset after
    # (lands before it). The jump lies between; find the first instant whose wall clock is past `wall`.
    low, high = late, early  # wall(low) < wall <= wall(high)
    while high - low > TICK:
        middle = low + (high - low) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def _span(start: time, end: time) -> Span:
    opens = _since_midnight(start)
    closes = DAY if end == MIDNIGHT else _since_midnight(end)
    if closes <= opens:
        raise ValueError(f"A working period must end after it starts: {start}–{end}.")
    return opens, closes


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    """Spans sorted, with overlapping or touching ones joined: the arithmetic then never counts time twice."""
    merged: list[Span] = []
    for opens, closes in sorted(spans):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _utc(moment: datetime) -> datetime:
    # Aware arithmetic in a local zone is wall-clock arithmetic in Python; in UTC it is real time.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return moment.astimezone(UTC)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone: {name!r}.") from error
