"""Business-time arithmetic on examples: spans, weekends, holidays, make-up days, DST in London and New York."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    is_business_time,
    next_business_instant,
)
from sla.models import BusinessCalendar, CalendarException, ExceptionKind, WorkingPeriod

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def office(zone="Asia/Shanghai", *, days=range(5), spans=((time(9), time(12)), (time(13), time(18))), **extra):
    """Monday to Friday with a lunch break, unless told otherwise."""
    periods = [(day, start, end) for day in days for start, end in spans]
    return CalendarSpec.build(zone, periods=periods, **extra)


def at(zone, *args):
    return datetime(*args, tzinfo=zone)


# -- one time zone without DST ------------------------------------------------------------------------------------


def test_adding_inside_a_span_stays_in_it():
    # Monday 2026-03-02 09:30 + 2 h = 11:30
    assert add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 9, 30), 2 * H) == at(SHANGHAI, 2026, 3, 2, 11, 30)


def test_lunch_break_is_skipped():
    assert add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 11), 2 * H) == at(SHANGHAI, 2026, 3, 2, 14)


def test_ending_exactly_at_a_span_end_returns_the_end_not_the_next_opening():
    assert add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 11), H) == at(SHANGHAI, 2026, 3, 2, 12)


def test_start_outside_hours_rolls_forward_to_the_opening():
    assert add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 6), H) == at(SHANGHAI, 2026, 3, 2, 10)
    assert add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 12, 30), H) == at(SHANGHAI, 2026, 3, 2, 14)


def test_adding_zero_returns_the_start_unchanged_even_outside_hours():
    start = at(SHANGHAI, 2026, 3, 7, 3)  # a Saturday night
    assert add_business_time(office(), start, timedelta()) == start


def test_weekend_is_skipped():
    friday_afternoon = at(SHANGHAI, 2026, 3, 6, 17)
    assert add_business_time(office(), friday_afternoon, 2 * H) == at(SHANGHAI, 2026, 3, 9, 10)
    assert business_time_between(office(), friday_afternoon, at(SHANGHAI, 2026, 3, 9, 10)) == 2 * H


def test_five_business_days_and_two_thousand_hours():
    monday = at(SHANGHAI, 2026, 3, 2, 9)
    assert add_business_time(office(), monday, 5 * 8 * H) == at(SHANGHAI, 2026, 3, 6, 18)
    # 2000 h = 250 days of 8 h = 50 weeks, ending on a Friday evening.
    assert add_business_time(office(), monday, 2000 * H) == at(SHANGHAI, 2027, 2, 12, 18)


def test_holiday_is_skipped():
    spec = office(holidays=[date(2026, 3, 3)])  # the Tuesday
    assert add_business_time(spec, at(SHANGHAI, 2026, 3, 2, 17), 2 * H) == at(SHANGHAI, 2026, 3, 4, 10)
    assert business_time_between(spec, at(SHANGHAI, 2026, 3, 2), at(SHANGHAI, 2026, 3, 5)) == 16 * H


def test_saturday_worked_as_a_monday():
    # China 2026: Saturday 14 February is worked so that Friday 20 February can be off.
    spec = office(holidays=[date(2026, 2, 20)], working_days=[(date(2026, 2, 14), 0)])
    friday_evening = at(SHANGHAI, 2026, 2, 13, 18)
    assert add_business_time(spec, friday_evening, H) == at(SHANGHAI, 2026, 2, 14, 10)
    assert is_business_time(spec, at(SHANGHAI, 2026, 2, 14, 15))
    assert not is_business_time(spec, at(SHANGHAI, 2026, 2, 20, 15))


def test_make_up_day_takes_the_hours_of_the_weekday_it_names():
    spec = CalendarSpec.build(
        "Asia/Shanghai",
        periods=[(0, time(9), time(18)), (4, time(9), time(12))],
        working_days=[(date(2026, 2, 14), 4)],  # the Saturday works a Friday: mornings only
    )
    day = business_time_between(spec, at(SHANGHAI, 2026, 2, 14), at(SHANGHAI, 2026, 2, 15))
    assert day == 3 * H


def test_end_of_midnight_and_a_night_shift_as_two_spans():
    # Night shift Monday 22:00 to Tuesday 06:00: Monday 22:00–24:00 and Tuesday 00:00–06:00.
    spec = CalendarSpec.build("Asia/Shanghai", periods=[(0, time(22), time(0)), (1, time(0), time(6))])
    monday_late = at(SHANGHAI, 2026, 3, 2, 23)
    assert add_business_time(spec, monday_late, 3 * H) == at(SHANGHAI, 2026, 3, 3, 2)
    assert business_time_between(spec, at(SHANGHAI, 2026, 3, 2), at(SHANGHAI, 2026, 3, 4)) == 8 * H


def test_between_is_zero_when_end_is_not_after_start():
    start = at(SHANGHAI, 2026, 3, 2, 10)
    assert business_time_between(office(), start, start) == timedelta()
    assert business_time_between(office(), start, start - H) == timedelta()


def test_between_clips_to_the_spans():
    assert business_time_between(office(), at(SHANGHAI, 2026, 3, 2, 8), at(SHANGHAI, 2026, 3, 2, 20)) == 8 * H
    assert business_time_between(office(), at(SHANGHAI, 2026, 3, 2, 11), at(SHANGHAI, 2026, 3, 2, 14)) == 2 * H


def test_next_business_instant_and_is_business_time():
    spec = office()
    inside = at(SHANGHAI, 2026, 3, 2, 10)
    assert next_business_instant(spec, inside) == inside
    assert next_business_instant(spec, at(SHANGHAI, 2026, 3, 2, 12)) == at(SHANGHAI, 2026, 3, 2, 13)
    assert next_business_instant(spec, at(SHANGHAI, 2026, 3, 7, 12)) == at(SHANGHAI, 2026, 3, 9, 9)
    assert is_business_time(spec, at(SHANGHAI, 2026, 3, 2, 9))  # a span's start is inside it
    assert not is_business_time(spec, at(SHANGHAI, 2026, 3, 2, 12))  # and its end outside


def test_results_are_utc_and_accept_any_aware_zone():
    start = at(SHANGHAI, 2026, 3, 2, 9).astimezone(NEW_YORK)
    result = add_business_time(office(), start, H)
    assert result.tzinfo is UTC
    assert result == at(SHANGHAI, 2026, 3, 2, 10)


def test_microseconds_are_exact():
    start = at(SHANGHAI, 2026, 3, 2, 11, 59, 59, 999_999)
    assert add_business_time(office(), start, timedelta(microseconds=2)) == at(SHANGHAI, 2026, 3, 2, 13, 0, 0, 1)


def test_overlapping_or_touching_spans_are_not_counted_twice():
    spec = CalendarSpec.build(
        "Asia/Shanghai", periods=[(0, time(9), time(12)), (0, time(11), time(13)), (0, time(13), time(14))]
    )
    assert spec.week[0] == ((9 * H, 14 * H),)
    assert business_time_between(spec, at(SHANGHAI, 2026, 3, 2), at(SHANGHAI, 2026, 3, 3)) == 5 * H


def test_24x7_is_real_time_even_across_dst():
    spec = CalendarSpec.build("Europe/London", is_24x7=True, periods=[(0, time(9), time(10))])
    start = at(LONDON, 2026, 3, 28, 12)
    assert add_business_time(spec, start, 24 * H) == at(LONDON, 2026, 3, 29, 13)  # the clocks went forward
    assert business_time_between(spec, start, at(LONDON, 2026, 3, 29, 12)) == 23 * H


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office(), datetime(2026, 3, 2, 9), H)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(office(), at(SHANGHAI, 2026, 3, 2, 9), -H)
    with pytest.raises(ValueError, match="time zone"):
        CalendarSpec.build("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="end after it starts"):
        CalendarSpec.build("UTC", periods=[(0, time(12), time(9))])


def test_a_calendar_without_working_time_raises_instead_of_looping():
    empty = CalendarSpec.build("UTC")
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(empty, at(UTC, 2026, 1, 1), H)
    with pytest.raises(ValueError, match="no working time"):
        next_business_instant(empty, at(UTC, 2026, 1, 1))
    assert business_time_between(empty, at(UTC, 2026, 1, 1), at(UTC, 2036, 1, 1)) == timedelta()


def test_between_over_decades_counts_every_day():
    spec = CalendarSpec.build("UTC", periods=[(day, time(0), time(0)) for day in range(7)])
    start, end = at(UTC, 2000, 1, 1), at(UTC, 2030, 1, 1)
    assert business_time_between(spec, start, end) == end - start


# -- DST: London (01:00 GMT -> 02:00 BST on 29 March 2026; 02:00 BST -> 01:00 GMT on 25 October 2026) ---------------


def sunday_only(zone, start, end):
    return CalendarSpec.build(zone, periods=[(6, start, end)])


def day_length(spec, zone, day):
    return business_time_between(spec, at(zone, *day), at(zone, *day) + 2 * 24 * H)


@pytest.mark.parametrize(
    ("start", "end", "spring", "autumn"),
    [
        (time(9), time(18), 9 * H, 9 * H),  # the clocks change at night: office hours keep their length
        (time(0), time(0), 23 * H, 25 * H),  # the whole day
        (time(0), time(6), 5 * H, 7 * H),  # a span across the change
        (time(1, 30), time(5), 3 * H, 4 * H + 30 * MIN),  # starts in the gap / in the repeated hour (first pass)
        (time(0), time(1, 30), 1 * H, 1 * H + 30 * MIN),  # ends in the gap (at the jump) / at the first 01:30
        (time(1, 15), time(1, 45), timedelta(), 30 * MIN),  # swallowed by the gap / the first pass only
    ],
)
def test_london_dst_days(start, end, spring, autumn):
    spec = sunday_only("Europe/London", start, end)
    assert day_length(spec, LONDON, (2026, 3, 29)) == spring
    assert day_length(spec, LONDON, (2026, 10, 25)) == autumn


def test_london_span_starting_in_the_gap_opens_at_the_jump():
    spec = sunday_only("Europe/London", time(1, 30), time(5))
    jump = datetime(2026, 3, 29, 1, tzinfo=UTC)  # 01:00 GMT becomes 02:00 BST
    assert next_business_instant(spec, at(LONDON, 2026, 3, 28, 12)) == jump
    assert add_business_time(spec, at(LONDON, 2026, 3, 28, 12), H) == jump + H


def test_london_repeated_hour_counts_once_as_real_time():
    # 00:00–06:00 on the fall-back night: 7 real hours; 6 h after midnight is 05:00 GMT (the clock read 01:xx twice).
    spec = sunday_only("Europe/London", time(0), time(6))
    midnight = at(LONDON, 2026, 10, 25, 0)
    assert add_business_time(spec, midnight, 6 * H) == datetime(2026, 10, 25, 5, tzinfo=UTC)
    first_half_past_one = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=0)
    second_half_past_one = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)
    assert business_time_between(spec, first_half_past_one, second_half_past_one) == H


@pytest.mark.parametrize(
    ("day", "hours"),
    [((2026, 3, 8), 23), ((2026, 11, 1), 25), ((2026, 3, 15), 24)],
)
def test_new_york_dst_days(day, hours):
    # 02:00 EST -> 03:00 EDT on 8 March 2026; 02:00 EDT -> 01:00 EST on 1 November 2026.
    spec = sunday_only("America/New_York", time(0), time(0))
    assert day_length(spec, NEW_YORK, day) == hours * H


def test_new_york_office_hours_across_the_spring_weekend():
    spec = office("America/New_York", spans=((time(9), time(17)),))
    friday = at(NEW_YORK, 2026, 3, 6, 16)
    assert add_business_time(spec, friday, 2 * H) == at(NEW_YORK, 2026, 3, 9, 10)
    assert business_time_between(spec, friday, at(NEW_YORK, 2026, 3, 9, 10)) == 2 * H
    # In UTC the Monday opening moved an hour earlier, the business time did not.
    assert at(NEW_YORK, 2026, 3, 9, 9).astimezone(UTC).hour == 13


# -- loading from the database -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_reads_a_calendar_in_two_queries(django_assert_num_queries):
    calendar = BusinessCalendar.objects.create(name="Shanghai office", time_zone="Asia/Shanghai")
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=day, start=start, end=end)
        for day in range(5)
        for start, end in ((time(9), time(12)), (time(13), time(18)))
    )
    CalendarException.objects.create(calendar=calendar, date=date(2026, 2, 20), name="春节")
    CalendarException.objects.create(
        calendar=calendar, date=date(2026, 2, 14), kind=ExceptionKind.WORKING_DAY, hours_like_weekday=4
    )
    with django_assert_num_queries(2):
        spec = CalendarSpec.load(calendar)
    assert spec == office(holidays=[date(2026, 2, 20)], working_days=[(date(2026, 2, 14), 4)])
    assert spec.nominal_week() == 40 * H
    assert hash(spec) == hash(CalendarSpec.load(calendar))  # usable as a cache key


@pytest.mark.django_db
def test_default_calendars_exist():
    office_hours = BusinessCalendar.objects.get(name="Business hours (Asia/Shanghai)")
    assert CalendarSpec.load(office_hours) == office()
    assert office_hours.hours_per_week() == 40 * H
    assert BusinessCalendar.objects.get(name="24x7").is_24x7
