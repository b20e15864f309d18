"""Time spent: booked on work notes and replies by engineers, summed per ticket, per group and per engineer."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk import selectors, services
from servicedesk.models import Comment
from servicedesk.templatetags.servicedesk import duration
from tests.factories import messages_of, report, ticket_state, upload

TIME_URL = reverse("servicedesk:desk_time")


def _comment_url(ticket):
    return reverse("servicedesk:desk_comment", args=[ticket.number])


def _ticket_page(client, ticket):
    return client.get(reverse("servicedesk:desk_ticket", args=[ticket.number])).content.decode()


# -- the service -------------------------------------------------------------------------------------


def test_a_work_note_books_time(incident, lin):
    comment = services.add_comment(ticket=incident, author=lin, body="Reset AP-3", internal=True, time_spent_minutes=45)

    assert Comment.objects.get(pk=comment.pk).time_spent_minutes == 45


def test_a_public_reply_by_an_engineer_books_time_too(incident, lin):
    comment = services.add_comment(ticket=incident, author=lin, body="Fixed it", time_spent_minutes=10)

    assert (comment.is_internal, comment.time_spent_minutes) == (False, 10)


def test_without_time_nothing_is_booked(incident, alice):
    assert services.add_comment(ticket=incident, author=alice, body="Thanks").time_spent_minutes == 0


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (-1, "from 0 to 1440"),
        (1441, "from 0 to 1440"),
        (2.5, "from 0 to 1440"),
        ("30", "from 0 to 1440"),
        (True, "from 0 to 1440"),
        (None, "from 0 to 1440"),
    ],
)
def test_the_service_refuses_bad_minutes_and_changes_nothing(incident, lin, minutes, message):
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match=message):
        services.add_comment(ticket=incident, author=lin, body="x", internal=True, time_spent_minutes=minutes)

    assert ticket_state(incident) == before


def test_time_needs_a_note_to_go_with_it(incident, lin, settings):
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match="Write a note to go with the time spent"):
        services.add_comment(ticket=incident, author=lin, body=" ", files=[upload()], time_spent_minutes=5)

    assert ticket_state(incident) == before


def test_the_requester_cannot_book_time(incident, alice):
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        services.add_comment(ticket=incident, author=alice, body="I waited an hour", time_spent_minutes=60)

    assert ticket_state(incident) == before


def test_an_engineer_out_of_scope_cannot_book_time(incident, lee, network_team):
    with pytest.raises(PermissionDenied):
        services.add_comment(ticket=incident, author=lee, body="x", internal=True, time_spent_minutes=5)


# -- the desk comment form and the ticket page -------------------------------------------------------


def test_the_desk_form_books_time_and_the_page_shows_it(login, lin, incident):
    client = login(lin)

    response = client.post(_comment_url(incident), {"body": "Checked", "internal": "on", "time_spent_minutes": "90"})
    client.post(_comment_url(incident), {"body": "Again", "internal": "on", "time_spent_minutes": "20"})
    client.post(_comment_url(incident), {"body": "No time", "internal": "on", "time_spent_minutes": ""})

    assert messages_of(response) == ["Work note added."]
    assert list(Comment.objects.filter(ticket=incident).values_list("time_spent_minutes", flat=True)) == [90, 20, 0]
    html = _ticket_page(client, incident)
    assert 'name="time_spent_minutes"' in html
    assert "Time spent: 1 h 30 min" in html and "Time spent: 20 min" in html
    assert '<dd id="ticket-time-spent">1 h 50 min</dd>' in html


def test_a_ticket_without_time_shows_zero(login, lin, incident):
    assert '<dd id="ticket-time-spent">0 min</dd>' in _ticket_page(login(lin), incident)


def test_the_portal_never_shows_time(login, alice, lin, incident):
    services.add_comment(ticket=incident, author=lin, body="On it", time_spent_minutes=30)

    html = login(alice).get(reverse("servicedesk:portal_ticket", args=[incident.number])).content.decode()

    assert "On it" in html and "Time spent" not in html and "30 min" not in html
    assert 'name="time_spent_minutes"' not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"time_spent_minutes": "-5"}, "greater than or equal to 0"),
        ({"time_spent_minutes": "1441"}, "less than or equal to 1440"),
        ({"time_spent_minutes": "1.5"}, "Enter a whole number."),
        ({"time_spent_minutes": "an hour"}, "Enter a whole number."),
        ({"time_spent_minutes": "99999999999999999999"}, "less than or equal to 1440"),
        ({"time_spent_minutes": "15", "body": ""}, "Write a message or attach a file."),
        ({"time_spent_minutes": "15", "body": "  ", "files": "file"}, "Write a note to go with the time spent."),
    ],
    ids=["negative", "over-a-day", "fraction", "words", "huge", "no-body", "file-without-note"],
)
def test_bad_time_input_explains_and_changes_nothing(login, lin, incident, settings, data, message):
    data = {"body": "Note", "internal": "on", **data}
    if data.get("files") == "file":
        data["files"] = [upload()]
    before = ticket_state(incident)

    response = login(lin).post(_comment_url(incident), data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert ticket_state(incident) == before


def test_the_ticket_total_costs_one_query_whatever_the_notes(login, lin, incident, django_assert_max_num_queries):
    services.add_comment(ticket=incident, author=lin, body="n0", internal=True, time_spent_minutes=5)
    client = login(lin)
    url = reverse("servicedesk:desk_ticket", args=[incident.number])
    client.get(url)
    with CaptureQueriesContext(connection) as baseline:
        client.get(url)
    for n in range(1, 10):
        services.add_comment(ticket=incident, author=lin, body=f"n{n}", internal=True, time_spent_minutes=5)

    with django_assert_max_num_queries(len(baseline)):
        assert "50 min" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0 min"), (None, "0 min"), (5, "5 min"), (60, "1 h"), (95, "1 h 35 min"), (1440, "24 h")]
)
def test_duration_filter(minutes, text):
    assert duration(minutes) == text


# -- the time report ---------------------------------------------------------------------------------


def _at(day: str, hour: int = 10):
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day} {hour:02d}:00"))


@pytest.fixture
def booked(alice, bob, lin, lee, mona, service_desk, network_team):
    """Time in March 2024: lin 30+15 on a desk ticket, lee 60 on a network ticket, mona 10 on both; one in April."""
    desk_ticket = report(alice, title="Printer")
    network_ticket = report(bob, title="VPN")
    services.assign_ticket(ticket=network_ticket, actor=mona, group=network_team)

    def book(ticket, who, minutes, day):
        comment = services.add_comment(
            ticket=ticket, author=who, body="work", internal=True, time_spent_minutes=minutes
        )
        Comment.objects.filter(pk=comment.pk).update(created_at=_at(day))

    book(desk_ticket, lin, 30, "2024-03-01")
    book(desk_ticket, lin, 15, "2024-03-31")
    book(network_ticket, lee, 60, "2024-03-15")
    book(desk_ticket, mona, 10, "2024-03-10")
    book(network_ticket, mona, 10, "2024-03-10")
    book(desk_ticket, lin, 999, "2024-04-01")
    services.add_comment(ticket=desk_ticket, author=lin, body="no time", internal=True)
    return {"desk": desk_ticket, "network": network_ticket}


MARCH = {"start": "2024-03-01", "end": "2024-03-31"}


def _groups(response):
    return [
        (row["ticket__assignment_group__name"], row["tickets"], row["minutes"]) for row in response.context["by_group"]
    ]


def _engineers(response):
    return [(row["author__username"], row["tickets"], row["minutes"]) for row in response.context["by_engineer"]]


def test_the_manager_sees_every_groups_and_engineers_time(login, mona, lin, booked):
    response = login(mona).get(TIME_URL, MARCH)

    assert response.status_code == 200
    assert _groups(response) == [("Network Operations", 1, 70), ("Service Desk", 1, 55)]
    assert _engineers(response) == [("lee", 1, 60), ("lin", 1, 45), ("mona", 2, 20)]
    assert response.context["total"] == 125
    html = response.content.decode()
    assert "2 h 5 min" in html and lin.get_full_name() in html


def test_an_engineer_sees_the_time_on_the_tickets_of_their_groups(login, lin, booked):
    response = login(lin).get(TIME_URL, MARCH)

    assert _groups(response) == [("Service Desk", 1, 55)]
    assert _engineers(response) == [("lin", 1, 45), ("mona", 1, 10)]


def test_both_days_of_the_range_count_in_the_sites_time_zone(login, mona, booked, settings):
    """07:00 on 31 March in Shanghai is still 30 March in UTC: the day is the site's, not UTC's."""
    settings.TIME_ZONE = "Asia/Shanghai"
    comment = Comment.objects.filter(time_spent_minutes=15).get()
    Comment.objects.filter(pk=comment.pk).update(created_at=_at("2024-03-31", hour=7))

    response = login(mona).get(TIME_URL, {"start": "2024-03-31", "end": "2024-03-31"})

    assert _engineers(response) == [("lin", 1, 15)]


def test_the_default_period_is_this_month(login, lin, incident):
    services.add_comment(ticket=incident, author=lin, body="today", internal=True, time_spent_minutes=7)

    response = login(lin).get(TIME_URL)

    today = timezone.localdate()
    assert response.context["form"].cleaned_data == {"start": today.replace(day=1), "end": today}
    assert _engineers(response) == [("lin", 1, 7)]


def test_a_ticket_without_a_group_has_its_own_row(login, mona, booked, lin, alice):
    ticket = report(alice, title="Unrouted")
    services.assign_ticket(ticket=ticket, actor=mona, group=None)
    comment = services.add_comment(ticket=ticket, author=lin, body="x", internal=True, time_spent_minutes=5)
    Comment.objects.filter(pk=comment.pk).update(created_at=_at("2024-03-05"))

    response = login(mona).get(TIME_URL, MARCH)

    assert (None, 1, 5) in _groups(response)
    assert "No group" in response.content.decode()


def test_the_report_costs_the_same_whatever_the_rows(
    login, mona, alice, lin, service_desk, django_assert_max_num_queries
):
    def book(n):
        ticket = report(alice, title=f"t{n}")
        services.add_comment(ticket=ticket, author=lin, body="x", internal=True, time_spent_minutes=5)

    book(0)
    client = login(mona)
    client.get(TIME_URL)
    with CaptureQueriesContext(connection) as baseline:
        client.get(TIME_URL)
    for n in range(1, 10):
        book(n)

    with django_assert_max_num_queries(len(baseline)):
        response = client.get(TIME_URL)
    assert response.context["total"] == 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2024-03-31", "end": "2024-03-01"}, "end"),
        ({"start": "yesterday", "end": "2024-03-01"}, "start"),
        ({"start": "2024-02-30", "end": "2024-03-01"}, "start"),
        ({"start": "2020-01-01", "end": "2024-01-01"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "end"),
        ({"start": "2024-03-01"}, "end"),
        ({"end": "2024-03-01"}, "start"),
    ],
    ids=["reversed", "words", "no-such-day", "over-a-year", "year-one", "last-day", "no-end", "no-start"],
)
def test_a_bad_range_explains_and_never_500s(login, mona, booked, params, field):
    response = login(mona).get(TIME_URL, params)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["by_group"] == [] and response.context["by_engineer"] == []
    assert "invalid-feedback" in response.content.decode()


# -- permissions -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(TIME_URL)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403(request, login, who):
    assert login(request.getfixturevalue(who)).get(TIME_URL).status_code == 403


def test_an_engineer_of_another_group_sees_none_of_its_time(login, lee, booked):
    response = login(lee).get(TIME_URL, MARCH)

    assert _groups(response) == [("Network Operations", 1, 70)]
    assert "Service Desk" not in [row["ticket__assignment_group__name"] for row in response.context["by_group"]]


def test_the_queue_links_to_the_report(login, lin):
    assert TIME_URL in login(lin).get(reverse("servicedesk:desk_queue")).content.decode()


def test_selectors_sum_with_aggregates(mona, booked):
    start, end = _at("2024-03-01", 0), _at("2024-04-01", 0)

    assert sum(r["minutes"] for r in selectors.time_spent_by_group(mona, start, end)) == 125
    assert selectors.time_spent_on(booked["desk"]) == 30 + 15 + 10 + 999
