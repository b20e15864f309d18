"""Importing public holidays (and China's make-up working days) from the `holidays` package, offline."""

import socket
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sla.calendars import CalendarSpec, add_business_time, is_business_time
from sla.holidays_import import import_public_holidays, public_holidays, source_tag
from sla.models import MANUAL_SOURCE, BusinessCalendar, CalendarException, ExceptionKind

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# China 2026 by the State Council's notice: the weekend days worked in exchange for longer holidays.
MAKE_UP_DAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """The package's data ships with it: any attempt to open a network connection fails these tests."""

    def refuse(*args, **kwargs):
        raise AssertionError("the holidays import tried to use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def office():
    return BusinessCalendar.objects.get(name="Business hours (Asia/Shanghai)")


def rows(calendar):
    return {row.date: row for row in calendar.exceptions.all()}


def imported(calendar, year=2026, **options):
    with translation.override("en"):
        return import_public_holidays(calendar=calendar, country="CN", year=year, **options)


def test_china_2026_holidays_and_make_up_working_days(office):
    result = imported(office)
    stored = rows(office)
    assert result.created == len(stored) == 28
    assert result.working_days == 6 and not result.lacks_make_up_days
    assert sorted(day for day, row in stored.items() if row.kind == ExceptionKind.WORKING_DAY) == MAKE_UP_DAYS_2026
    assert stored[date(2026, 2, 17)].name == "Chinese New Year (Spring Festival)"
    assert stored[date(2026, 2, 17)].kind == ExceptionKind.HOLIDAY
    assert stored[date(2026, 10, 1)].source == "imported:holidays:CN"


def test_the_calendar_then_works_the_make_up_saturday_and_rests_on_the_holiday(office):
    imported(office)
    spec = CalendarSpec.load(office)
    assert is_business_time(spec, datetime(2026, 2, 14, 10, tzinfo=SHANGHAI))  # a Saturday
    assert not is_business_time(spec, datetime(2026, 2, 20, 10, tzinfo=SHANGHAI))  # a Friday off
    # Friday 13 February, one hour before closing, + 2 h: the rest of Friday, then the make-up Saturday.
    start = datetime(2026, 2, 13, 17, tzinfo=SHANGHAI)
    assert add_business_time(spec, start, timedelta(hours=2)) == datetime(2026, 2, 14, 10, tzinfo=SHANGHAI)


def test_names_follow_the_active_language(office):
    with translation.override("zh-hans"):
        import_public_holidays(calendar=office, country="CN", year=2026)
    assert CalendarException.objects.get(calendar=office, date=date(2026, 2, 17)).name == "春节"


def test_a_second_import_changes_nothing(office):
    first = imported(office)
    stamp = BusinessCalendar.objects.get(pk=office.pk).updated_at
    again = imported(office)
    assert (again.created, again.updated, again.deleted, again.skipped) == (0, 0, 0, 0)
    assert again.unchanged == first.created
    assert not again.changed
    assert BusinessCalendar.objects.get(pk=office.pk).updated_at == stamp


def test_rows_edited_by_hand_are_kept_unless_replaced(office):
    imported(office)
    CalendarException.objects.filter(calendar=office, date=date(2026, 10, 1)).update(
        name="Company National Day", source=MANUAL_SOURCE
    )
    CalendarException.objects.create(calendar=office, date=date(2026, 12, 24), name="Company party")

    kept = imported(office)
    assert (kept.skipped, kept.updated, kept.deleted) == (1, 0, 0)
    assert rows(office)[date(2026, 10, 1)].name == "Company National Day"
    assert rows(office)[date(2026, 12, 24)].name == "Company party"  # not the package's: left alone

    replaced = imported(office, replace=True)
    assert (replaced.skipped, replaced.updated) == (0, 1)
    assert rows(office)[date(2026, 10, 1)].name == "National Day"
    assert rows(office)[date(2026, 10, 1)].source == source_tag("CN")
    assert date(2026, 12, 24) in rows(office)


def test_imported_rows_the_package_no_longer_lists_are_removed_and_changed_ones_updated(office):
    imported(office)
    tag = source_tag("CN")
    CalendarException.objects.create(calendar=office, date=date(2026, 6, 1), name="Estimated", source=tag)
    CalendarException.objects.filter(calendar=office, date=date(2026, 6, 19)).update(name="Old name")
    other = CalendarException.objects.create(
        calendar=office, date=date(2026, 7, 1), name="HKSAR Establishment Day", source=source_tag("HK")
    )
    result = imported(office)
    assert (result.deleted, result.updated) == (1, 1)
    assert date(2026, 6, 1) not in rows(office)
    assert rows(office)[date(2026, 6, 19)].name == "Dragon Boat Festival"
    assert CalendarException.objects.filter(pk=other.pk).exists()  # another country's import is not this one's


def test_other_years_and_calendars_are_untouched(office):
    other = BusinessCalendar.objects.create(name="Other", time_zone="Asia/Shanghai")
    imported(office, year=2025)
    imported(office)
    assert {day.year for day in rows(office)} == {2025, 2026}
    assert not other.exceptions.exists()


def test_a_year_without_the_notice_yet_reports_missing_make_up_days(office):
    result = imported(office, year=2099)
    assert result.created > 0
    assert result.working_days == 0 and result.lacks_make_up_days
    assert "2099" in result.missing_make_up_days_note()


def test_subdivisions_and_other_countries():
    with translation.override("en"):
        scotland = public_holidays("GB", 2026, subdiv="SCT")
        england = public_holidays("GB", 2026, subdiv="ENG")
    assert scotland[date(2026, 11, 30)].name == "Saint Andrew's Day"
    assert date(2026, 11, 30) not in england
    assert all(day.kind == ExceptionKind.HOLIDAY for day in england.values())


@pytest.mark.parametrize(
    ("country", "year", "subdiv", "message"),
    [("XX", 2026, None, "XX"), ("CN", 1900, None, "1950"), ("GB", 2026, "XXX", "XXX")],
)
def test_bad_requests_raise_value_error_and_write_nothing(office, country, year, subdiv, message):
    with pytest.raises(ValueError, match=message):
        import_public_holidays(calendar=office, country=country, year=year, subdiv=subdiv)
    assert not office.exceptions.exists()


def test_command_imports_and_reports(office):
    out, err = StringIO(), StringIO()
    call_command("import_holidays", office.name, "cn", "2026", "--language", "en", stdout=out, stderr=err)
    assert "28 created" in out.getvalue() and "6 make-up working days" in out.getvalue()
    assert err.getvalue() == ""
    call_command("import_holidays", office.name, "CN", "2026", "--language", "en", stdout=out, stderr=err)
    assert "0 created, 0 updated, 28 unchanged" in out.getvalue()


def test_command_warns_when_make_up_days_are_unknown(office):
    err = StringIO()
    call_command("import_holidays", office.name, "CN", "2099", stdout=StringIO(), stderr=err)
    assert "make-up working days" in err.getvalue()


def test_command_replace_flag(office):
    imported(office)
    CalendarException.objects.filter(calendar=office, date=date(2026, 10, 1)).update(source=MANUAL_SOURCE)
    out = StringIO()
    call_command("import_holidays", office.name, "CN", "2026", "--replace", "--language", "en", stdout=out)
    assert "1 updated" in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["Nobody's calendar", "CN", "2026"], "No business calendar"), (["24x7", "XX", "2026"], "XX")],
)
def test_command_errors(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_holidays", *arguments, stdout=StringIO())


def test_make_up_days_work_monday_hours(office):
    imported(office)
    saturday = CalendarException.objects.get(calendar=office, date=date(2026, 2, 14))
    assert saturday.hours_like_weekday == 0
    assert saturday.is_imported
    spec = CalendarSpec.load(office)
    assert spec.spans_on(date(2026, 2, 14)) == spec.week[0]
