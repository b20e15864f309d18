"""The calendar admin: hours and exceptions inline, validation shown on the page, the holiday import action."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from sla.holidays_import import source_tag
from sla.models import MANUAL_SOURCE, BusinessCalendar, CalendarException, WorkingPeriod

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:sla_businesscalendar_changelist")
ADD = reverse("admin:sla_businesscalendar_add")
OFFICE = "Business hours (Asia/Shanghai)"


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def calendar_post(*, periods=(), exceptions=(), name="Night desk", time_zone="Europe/London", **fields) -> dict:
    return {
        "name": name,
        "time_zone": time_zone,
        "description": "",
        **fields,
        **inline("periods", list(periods)),
        **inline("exceptions", list(exceptions)),
    }


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    text = str(response.context["errors"])
    assert text.strip(), "the page should show an error"
    return text


def test_changelist_shows_hours_per_week_in_constant_queries(admin_client, django_assert_max_num_queries):
    for number in range(5):
        BusinessCalendar.objects.create(name=f"Extra {number}").periods.create(weekday=0, start=time(8), end=time(12))
    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST)
    page = response.content.decode()
    assert response.status_code == 200
    assert "40 h" in page and "4 h" in page and "24×7" in page


def test_add_calendar_with_two_spans_a_day(admin_client):
    periods = [{"weekday": "0", "start": "09:00", "end": "12:00"}, {"weekday": "0", "start": "13:00", "end": "00:00"}]
    response = admin_client.post(ADD, calendar_post(periods=periods))
    assert response.status_code == 302, response.context and response.context["errors"]
    calendar = BusinessCalendar.objects.get(name="Night desk")
    assert calendar.periods.count() == 2
    assert calendar.hours_per_week().total_seconds() == 14 * 3600
    page = admin_client.get(reverse("admin:sla_businesscalendar_change", args=[calendar.pk])).content.decode()
    assert "14 h" in page


def test_overlapping_spans_are_refused(admin_client):
    periods = [{"weekday": "2", "start": "09:00", "end": "12:00"}, {"weekday": "2", "start": "11:00", "end": "14:00"}]
    assert "overlaps" in errors_of(admin_client.post(ADD, calendar_post(periods=periods)))
    assert not BusinessCalendar.objects.filter(name="Night desk").exists()


def test_touching_spans_and_other_days_are_fine(admin_client):
    periods = [
        {"weekday": "2", "start": "09:00", "end": "12:00"},
        {"weekday": "2", "start": "12:00", "end": "14:00"},
        {"weekday": "3", "start": "11:00", "end": "14:00"},
    ]
    assert admin_client.post(ADD, calendar_post(periods=periods)).status_code == 302


@pytest.mark.parametrize(
    ("fields", "periods", "expected"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, [], "Select a valid choice"),
        ({}, [{"weekday": "0", "start": "12:00", "end": "09:00"}], "end must be after the start"),
        ({}, [{"weekday": "0", "start": "", "end": "09:00"}], "required"),
    ],
)
def test_invalid_input_is_shown_not_a_500(admin_client, fields, periods, expected):
    assert expected in errors_of(admin_client.post(ADD, calendar_post(periods=periods, **fields)))


def test_one_exception_per_date(admin_client):
    exceptions = [
        {"date": "2026-10-01", "kind": "holiday", "name": "National Day", "hours_like_weekday": "0"},
        {"date": "2026-10-01", "kind": "holiday", "name": "Again", "hours_like_weekday": "0"},
    ]
    errors_of(admin_client.post(ADD, calendar_post(exceptions=exceptions)))
    assert not CalendarException.objects.exists()


def period_row(period: WorkingPeriod) -> dict:
    times = {"start": f"{period.start:%H:%M}", "end": f"{period.end:%H:%M}"}
    return {"id": str(period.pk), "calendar": str(period.calendar_id), "weekday": str(period.weekday), **times}


def exception_row(row: CalendarException, name: str) -> dict:
    fields = {"date": f"{row.date:%Y-%m-%d}", "kind": row.kind, "name": name, "hours_like_weekday": "0"}
    return {"id": str(row.pk), "calendar": str(row.calendar_id), **fields}


def test_editing_an_imported_exception_makes_it_manual(admin_client):
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    row = CalendarException.objects.create(
        calendar=calendar, date=date(2026, 10, 1), name="National Day", source=source_tag("CN")
    )
    untouched = CalendarException.objects.create(
        calendar=calendar, date=date(2026, 10, 2), name="National Day", source=source_tag("CN")
    )
    periods = [period_row(period) for period in calendar.periods.order_by("weekday", "start")]
    exceptions = [exception_row(row, "National Day (company)"), exception_row(untouched, "National Day")]
    data = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "description": calendar.description,
        **inline("periods", periods, initial=len(periods)),
        **inline("exceptions", exceptions, initial=2),
    }
    response = admin_client.post(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    row.refresh_from_db()
    untouched.refresh_from_db()
    assert (row.name, row.source) == ("National Day (company)", MANUAL_SOURCE)
    assert untouched.source == source_tag("CN")
    assert WorkingPeriod.objects.filter(calendar=calendar).count() == 10


def test_import_action_asks_for_country_and_year_then_imports(admin_client):
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    choose = {"action": "import_holidays", "_selected_action": [str(calendar.pk)]}
    form_page = admin_client.post(CHANGELIST, choose)
    assert form_page.status_code == 200
    assert 'name="country"' in form_page.content.decode() and OFFICE in form_page.content.decode()
    assert not calendar.exceptions.exists()

    response = admin_client.post(CHANGELIST, {**choose, "apply": "1", "country": "CN", "year": "2026"}, follow=True)
    assert response.status_code == 200
    assert calendar.exceptions.count() == 28
    assert any("28 created" in str(message) for message in response.context["messages"])


def test_import_action_warns_about_missing_make_up_days_and_shows_bad_input(admin_client):
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    choose = {"action": "import_holidays", "_selected_action": [str(calendar.pk)], "apply": "1"}
    response = admin_client.post(CHANGELIST, {**choose, "country": "CN", "year": "2099"}, follow=True)
    assert any("make-up working days" in str(message) for message in response.context["messages"])

    bad = admin_client.post(CHANGELIST, {**choose, "country": "GB", "year": "2026", "subdiv": "XXX"})
    assert bad.status_code == 200 and "XXX" in bad.content.decode()
    bad_year = admin_client.post(CHANGELIST, {**choose, "country": "CN", "year": "twenty"})
    assert bad_year.status_code == 200 and "errorlist" in bad_year.content.decode()
    assert not calendar.exceptions.filter(date__year=2026).exists()


@pytest.mark.parametrize(
    ("zone", "valid"),
    [
        ("Asia/Shanghai", True),
        ("UTC", True),
        ("Australia/Lord_Howe", True),
        ("localtime", False),
        ("asia/shanghai", False),
        ("../etc/passwd", False),
        ("", False),
    ],
)
def test_time_zone_validation(zone, valid):
    calendar = BusinessCalendar(name="Zone check", time_zone=zone)
    if valid:
        calendar.full_clean()
    else:
        with pytest.raises(ValidationError):
            calendar.full_clean()


def test_the_database_refuses_a_period_ending_before_it_starts():
    calendar = BusinessCalendar.objects.get(name=OFFICE)
    WorkingPeriod.objects.create(calendar=calendar, weekday=5, start=time(9), end=time(0))  # until midnight: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingPeriod.objects.create(calendar=calendar, weekday=5, start=time(18), end=time(9))
