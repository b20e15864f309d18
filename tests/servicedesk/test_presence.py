"""The agent collision warning: a presence poll per open desk ticket page, and the stale-row cleanup."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk import roles, selectors, services, tasks
from servicedesk.models import TicketPresence
from tests.factories import UserFactory, report


def _url(ticket):
    return reverse("servicedesk:desk_presence", args=[ticket.number])


def _poll(client, ticket, editing=False):
    return client.post(_url(ticket), {"editing": "1" if editing else "0"})


def _rows():
    return sorted(TicketPresence.objects.values_list("ticket__number", "user__username", "is_editing"))


def test_the_desk_page_polls_every_ten_seconds(login, lin, incident):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()

    assert f'hx-post="{_url(incident)}" hx-trigger="load, every 10s, presence-now"' in html
    assert 'id="presence-editing" name="editing" value="0"' in html


def test_a_poll_records_me_once_and_keeps_my_editing_flag_current(login, lin, incident):
    client = login(lin)

    _poll(client, incident)
    assert _rows() == [(incident.number, "lin", False)]
    _poll(client, incident, editing=True)
    assert _rows() == [(incident.number, "lin", True)]


def test_alone_on_a_ticket_there_is_no_warning(login, lin, incident):
    response = _poll(login(lin), incident)

    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_i_am_told_who_else_has_it_open_and_whether_they_edit(login, lin, mona, incident):
    mona.first_name, mona.last_name = "Mona", "Meyer"
    mona.save()
    lee_zhang = UserFactory(username="zhang", first_name="Lee", last_name="Zhang", roles=[roles.SERVICE_DESK_MANAGER])
    _poll(login(mona), incident)
    _poll(login(lee_zhang), incident, editing=True)

    html = _poll(login(lin), incident).content.decode()

    assert "Lee Zhang also has this ticket open (editing)" in html
    assert (
        "Mona Meyer also has this ticket open" in html and "Mona Meyer also has this ticket open (editing)" not in html
    )
    assert html.index("Lee Zhang") < html.index("Mona Meyer")  # editors first


def test_i_am_never_warned_about_myself(lin, incident):
    services.record_presence(ticket=incident, user=lin, editing=True)

    assert selectors.others_on_ticket(incident, lin) == []


def test_someone_not_seen_for_30_seconds_is_gone(login, lin, mona, incident):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _poll(login(mona), incident, editing=True)
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        assert [p.user for p in selectors.others_on_ticket(incident, lin)] == [mona]
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert selectors.others_on_ticket(incident, lin) == []


def test_presence_on_another_ticket_does_not_count(login, lin, mona, incident, alice):
    other = report(alice, title="Another")
    _poll(login(mona), other)

    assert selectors.others_on_ticket(incident, lin) == []


def test_the_poll_costs_the_same_for_1_or_5_others(login, lin, incident, django_assert_max_num_queries):
    def watcher(n):
        return UserFactory(username=f"agent{n}", roles=[roles.SERVICE_DESK_MANAGER])

    services.record_presence(ticket=incident, user=watcher(0), editing=False)
    client = login(lin)
    _poll(client, incident)
    with CaptureQueriesContext(connection) as baseline:
        _poll(client, incident)
    for n in range(1, 5):
        services.record_presence(ticket=incident, user=watcher(n), editing=n % 2 == 0)

    with django_assert_max_num_queries(len(baseline)):
        html = _poll(client, incident).content.decode()
    assert html.count("also has this ticket open") == 5


# -- permissions -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_nothing_is_recorded(client, incident):
    response = _poll(client, incident)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert _rows() == []


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403(request, login, incident, who):
    assert _poll(login(request.getfixturevalue(who)), incident).status_code == 403
    assert _rows() == []


def test_an_engineer_out_of_scope_gets_404_and_is_not_recorded(login, lee, network_team, mona, incident):
    services.record_presence(ticket=incident, user=mona, editing=True)

    response = _poll(login(lee), incident)

    assert response.status_code == 404
    assert "Mona" not in response.content.decode()
    assert _rows() == [(incident.number, "mona", True)]


def test_the_service_refuses_someone_out_of_scope(lee, network_team, incident):
    with pytest.raises(PermissionDenied):
        services.record_presence(ticket=incident, user=lee, editing=False)


def test_an_unknown_ticket_is_404(login, lin):
    assert login(lin).post(reverse("servicedesk:desk_presence", args=["INC9999999"])).status_code == 404


def test_the_poll_refuses_get(login, lin, incident):
    assert login(lin).get(_url(incident)).status_code == 405
    assert _rows() == []


def test_a_garbage_editing_value_reads_as_not_editing(login, lin, incident):
    assert login(lin).post(_url(incident), {"editing": "<script>"}).status_code == 200
    assert _rows() == [(incident.number, "lin", False)]


# -- cleanup -----------------------------------------------------------------------------------------


def test_the_cleanup_task_deletes_rows_older_than_a_day(lin, mona, incident):
    services.record_presence(ticket=incident, user=lin, editing=False)
    services.record_presence(ticket=incident, user=mona, editing=False)
    TicketPresence.objects.filter(user=mona).update(last_seen=timezone.now() - dt.timedelta(days=1, minutes=1))

    assert tasks.purge_stale_presence() == 1
    assert _rows() == [(incident.number, "lin", False)]
    assert tasks.purge_stale_presence() == 0  # safe to run twice


def test_the_cleanup_runs_on_the_beat_schedule():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("purge_stale_presence"))

    assert entry["task"] == "servicedesk.tasks.purge_stale_presence"
    assert entry["schedule"] <= 24 * 3600
