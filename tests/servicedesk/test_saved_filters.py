"""Saved queue filters: personal and shared, listed in the queue sidebar, deleted only by their owner."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicedesk import selectors, services
from servicedesk.forms import clean_queue_query
from servicedesk.models import SavedFilter
from tests.factories import messages_of, report

SAVE_URL = reverse("servicedesk:desk_save_filter")


def _delete_url(saved):
    return reverse("servicedesk:desk_delete_filter", args=[saved.pk])


def _queue(name="open"):
    return reverse("servicedesk:desk_queue_named", args=[name])


def _rows():
    return list(
        SavedFilter.objects.order_by("pk").values_list("owner__username", "name", "queue", "query", "is_shared")
    )


@pytest.fixture
def lins_filters(lin):
    """lin's private P1 filter and his shared 'New' filter."""
    return (
        services.save_queue_filter(owner=lin, name="My P1", queue="mine", query="priority=1", is_shared=False),
        services.save_queue_filter(owner=lin, name="All new", queue="open", query="state=new", is_shared=True),
    )


# -- saving ------------------------------------------------------------------------------------------


def test_save_keeps_the_queue_and_filter_without_paging_or_sorting(login, lin, service_desk):
    response = login(lin).post(
        SAVE_URL,
        {
            "name": " Network P1/P2 ",
            "queue": "open",
            "query": "?q=vpn&priority=1&priority=2&page=3&sort=-title&per_page=50&assignee=",
            "is_shared": "on",
        },
    )

    assert _rows() == [("lin", "Network P1/P2", "open", "q=vpn&priority=1&priority=2", True)]
    assert messages_of(response) == ["Filter Network P1/P2 saved."]
    assert response["Location"] == _queue("open") + "?q=vpn&priority=1&priority=2"


def test_a_filter_with_no_conditions_saves_the_bare_queue(login, lin):
    response = login(lin).post(SAVE_URL, {"name": "Mine", "queue": "mine", "query": ""})

    assert _rows() == [("lin", "Mine", "mine", "", False)]
    assert response["Location"] == _queue("mine")


def test_the_query_is_re_encoded_so_a_link_to_it_is_safe():
    assert clean_queue_query('q="><script>&page=2') == "q=%22%3E%3Cscript%3E"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "my p1"}, "You already have a filter named my p1."),
        ({"queue": "everything"}, "Select a valid choice"),
        ({"queue": ""}, "This field is required."),
        ({"query": "q=" + "x" * 2100}, "at most 2000 characters"),
        ({"query": "q=" + "é" * 600}, "This filter is too long to save."),
    ],
    ids=[
        "no-name",
        "blank-name",
        "long-name",
        "duplicate-name",
        "unknown-queue",
        "no-queue",
        "long-query",
        "long-once-encoded",
    ],
)
def test_bad_input_explains_and_saves_nothing(login, lin, lins_filters, data, message):
    before = _rows()

    response = login(lin).post(SAVE_URL, {"name": "Fresh", "queue": "open", "query": "state=new", **data})

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert _rows() == before


def test_the_same_name_may_be_used_by_two_engineers(login, lee, lins_filters, network_team):
    login(lee).post(SAVE_URL, {"name": "My P1", "queue": "mine", "query": "priority=1"})

    assert SavedFilter.objects.filter(name="My P1").count() == 2


def test_the_service_refuses_a_name_taken_meanwhile(lin, lins_filters):
    with pytest.raises(services.TicketError, match="already have a filter"):
        services.save_queue_filter(owner=lin, name="MY P1", queue="open", query="", is_shared=False)


def test_an_end_user_cannot_save_through_the_service(alice):
    with pytest.raises(PermissionDenied):
        services.save_queue_filter(owner=alice, name="x", queue="open", query="", is_shared=False)


# -- listing -----------------------------------------------------------------------------------------


def test_i_see_mine_and_the_shared_ones(lin, lee, network_team, lins_filters):
    lees = services.save_queue_filter(owner=lee, name="Lee's", queue="open", query="", is_shared=False)

    assert [f.name for f in selectors.saved_filters_for(lin)] == ["All new", "My P1"]
    assert [f.name for f in selectors.saved_filters_for(lee)] == ["All new", "Lee's"]
    assert lees not in selectors.saved_filters_for(lin)


def test_the_sidebar_lists_them_with_links_and_delete_buttons_for_mine(login, lin, lee, network_team, lins_filters):
    mine_html = login(lin).get(_queue("open")).content.decode()
    lees_html = login(lee).get(_queue("open")).content.decode()

    assert f'href="{_queue("mine")}?priority=1">My P1</a>' in mine_html
    assert f'href="{_queue("open")}?state=new">All new</a>' in mine_html
    assert _delete_url(lins_filters[0]) in mine_html and _delete_url(lins_filters[1]) in mine_html
    assert "My P1" not in lees_html
    assert f'href="{_queue("open")}?state=new">All new</a>' in lees_html
    assert _delete_url(lins_filters[1]) not in lees_html
    assert 'id="save-filter-form"' in lees_html


def test_a_saved_filter_link_opens_the_filtered_queue(login, lin, alice, service_desk, lins_filters):
    report(alice, title="first")
    response = login(lin).get(_queue("open") + "?state=new")

    assert response.status_code == 200
    assert response.context["current_query"] == "state=new"
    assert 'class="flex-grow-1 text-truncate fw-bold"' in response.content.decode()


def test_the_save_form_carries_the_current_queue_and_filter(login, lin):
    response = login(lin).get(_queue("unassigned") + "?priority=2&page=2&sort=title")

    form = response.context["save_filter_form"]
    assert (form.initial["queue"], form.initial["query"]) == ("unassigned", "priority=2")


def test_the_queue_costs_the_same_with_1_or_10_saved_filters(login, lin, django_assert_max_num_queries):
    services.save_queue_filter(owner=lin, name="f0", queue="open", query="", is_shared=True)
    client = login(lin)
    client.get(_queue("open"))
    with CaptureQueriesContext(connection) as baseline:
        client.get(_queue("open"))
    for n in range(1, 10):
        services.save_queue_filter(owner=lin, name=f"f{n}", queue="open", query=f"priority={n % 5 + 1}", is_shared=True)

    with django_assert_max_num_queries(len(baseline)):
        client.get(_queue("open"))


def test_an_htmx_table_refresh_does_not_read_the_saved_filters(login, lin, lins_filters):
    client = login(lin)
    with CaptureQueriesContext(connection) as queries:
        client.get(_queue("open"), HTTP_HX_REQUEST="true")

    assert not any("servicedesk_savedfilter" in q["sql"] for q in queries.captured_queries)


# -- deleting ----------------------------------------------------------------------------------------


def test_the_owner_deletes_a_filter(login, lin, lins_filters):
    response = login(lin).post(_delete_url(lins_filters[1]), {"next": _queue("open") + "?state=new"})

    assert messages_of(response) == ["Filter All new deleted."]
    assert response["Location"] == _queue("open") + "?state=new"
    assert [f.name for f in SavedFilter.objects.all()] == ["My P1"]


def test_another_engineer_cannot_delete_a_shared_filter(login, lee, network_team, lins_filters):
    assert login(lee).post(_delete_url(lins_filters[1])).status_code == 403
    assert SavedFilter.objects.count() == 2


def test_another_engineers_private_filter_is_404(login, lee, network_team, lins_filters):
    assert login(lee).post(_delete_url(lins_filters[0])).status_code == 404
    assert SavedFilter.objects.count() == 2


def test_the_manager_cannot_delete_someone_elses_filter_either(login, mona, lins_filters):
    assert login(mona).post(_delete_url(lins_filters[1])).status_code == 403
    assert SavedFilter.objects.count() == 2


def test_an_unknown_filter_is_404(login, lin):
    assert login(lin).post(reverse("servicedesk:desk_delete_filter", args=[999999])).status_code == 404


def test_delete_refuses_get(login, lin, lins_filters):
    assert login(lin).get(_delete_url(lins_filters[0])).status_code == 405
    assert SavedFilter.objects.count() == 2


# -- permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["save", "delete"])
def test_anonymous_is_sent_to_login(client, lins_filters, target):
    url = SAVE_URL if target == "save" else _delete_url(lins_filters[1])
    before = _rows()

    response = client.post(url, {"name": "x", "queue": "open"})

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert _rows() == before


@pytest.mark.parametrize("target", ["save", "delete"])
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403(request, login, lins_filters, who, target):
    url = SAVE_URL if target == "save" else _delete_url(lins_filters[1])
    before = _rows()

    response = login(request.getfixturevalue(who)).post(url, {"name": "x", "queue": "open"})

    assert response.status_code == 403
    assert _rows() == before
