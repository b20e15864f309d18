"""Pages cost the same number of queries whatever the number of rows they show (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicedesk.services import add_comment, assign_ticket
from tests.factories import report, upload


def _queries(client, url) -> int:
    """Queries of one GET, measured after a first GET has warmed any per-process cache."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _assert_same_cost(django_assert_max_num_queries, client, url, baseline):
    with django_assert_max_num_queries(baseline):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("queue", ["mine", "unassigned", "open", "all"])
def test_desk_queue_costs_the_same_for_1_and_30_tickets(
    login, lin, alice, service_desk, django_assert_max_num_queries, queue
):
    def add(title):
        incident = report(alice, title=title)
        if queue == "mine":
            assign_ticket(ticket=incident, actor=lin, group=service_desk, assignee=lin)

    add("first")
    client = login(lin)
    url = reverse("servicedesk:desk_queue_named", args=[queue])
    baseline = _queries(client, url)
    for n in range(29):
        add(f"issue {n}")

    _assert_same_cost(django_assert_max_num_queries, client, url, baseline)
    assert len(client.get(url).context["table"].paginated_rows) == 25


def test_portal_my_tickets_costs_the_same_for_1_and_30_tickets(
    login, alice, service_desk, django_assert_max_num_queries
):
    report(alice, title="first")
    client = login(alice)
    url = reverse("servicedesk:portal_tickets")
    baseline = _queries(client, url)
    for n in range(29):
        report(alice, title=f"issue {n}")

    _assert_same_cost(django_assert_max_num_queries, client, url, baseline)


def test_portal_home_costs_the_same_for_1_and_5_open_tickets(login, alice, service_desk, django_assert_max_num_queries):
    report(alice, title="first")
    client = login(alice)
    url = reverse("servicedesk:portal_home")
    baseline = _queries(client, url)
    for n in range(4):
        report(alice, title=f"issue {n}")

    _assert_same_cost(django_assert_max_num_queries, client, url, baseline)


def _converse(incident, alice, lin, rounds):
    for n in range(rounds):
        add_comment(ticket=incident, author=alice, body=f"reply {n}", files=[upload(f"shot{n}.png")])
        add_comment(ticket=incident, author=lin, body=f"note {n}", internal=True, files=[upload(f"log{n}.txt", b"x")])


@pytest.mark.parametrize(("surface", "who"), [("desk", "lin"), ("portal", "alice")])
def test_ticket_page_costs_the_same_for_1_and_20_comments(
    request, login, incident, alice, lin, django_assert_max_num_queries, surface, who
):
    _converse(incident, alice, lin, 1)
    client = login(request.getfixturevalue(who))
    url = reverse(f"servicedesk:{surface}_ticket", args=[incident.number])
    baseline = _queries(client, url)
    _converse(incident, alice, lin, 19)

    _assert_same_cost(django_assert_max_num_queries, client, url, baseline)


@pytest.mark.parametrize(("surface", "who"), [("desk", "mona"), ("portal", "alice")])
def test_ticket_page_costs_the_same_for_1_and_20_field_changes(
    request, login, incident, mona, service_desk, network_team, django_assert_max_num_queries, surface, who
):
    """Group changes are public: both timelines render them with their from and to."""
    groups = [network_team, service_desk]
    assign_ticket(ticket=incident, actor=mona, group=groups[0])
    client = login(request.getfixturevalue(who))
    url = reverse(f"servicedesk:{surface}_ticket", args=[incident.number])
    baseline = _queries(client, url)
    for n in range(1, 20):
        assign_ticket(ticket=incident, actor=mona, group=groups[n % 2])

    _assert_same_cost(django_assert_max_num_queries, client, url, baseline)
