"""Who may run each incident transition: rules permissions and a matrix over the incident URLs."""

import pytest
from django.test import Client
from django.urls import reverse

from incidents.rules import can_cancel, can_confirm, can_work
from tests.factories import ticket_state


@pytest.mark.parametrize(
    ("who", "work", "confirm", "cancel"),
    [
        ("alice", False, True, True),  # the requester confirms, reopens and cancels her own incident
        ("bob", False, False, False),
        ("lin", True, True, True),  # the desk may act for the requester
        ("lee", False, False, False),  # outside the incident's group
        ("mona", True, True, True),
    ],
)
def test_incident_permissions(request, incident, network_team, who, work, confirm, cancel):
    user = request.getfixturevalue(who)

    assert user.has_perm("incidents.work_incident", incident) is work
    assert user.has_perm("incidents.confirm_incident", incident) is confirm
    assert user.has_perm("incidents.cancel_incident", incident) is cancel
    # The same predicates guard the django-fsm transitions, which call them as (instance, user).
    assert (can_work(incident, user), can_confirm(incident, user), can_cancel(incident, user)) == (
        work,
        confirm,
        cancel,
    )


# name -> (method, url name, POST data)
PORTAL_URLS = {
    "accept": ("post", "incidents:accept", {}),
    "reopen": ("post", "incidents:reopen", {"reason": "Still broken"}),
    "cancel": ("post", "incidents:cancel", {}),
}
DESK_URLS = {
    "take": ("post", "incidents:take", {}),
    "start": ("post", "incidents:start", {}),
    "resolve": ("post", "incidents:resolve", {"code": "permanent", "notes": "Fixed"}),
}


def call(client, spec, incident):
    method, name, data = spec
    return getattr(client, method)(reverse(name, args=[incident.number]), data)


@pytest.mark.parametrize("name", {**PORTAL_URLS, **DESK_URLS})
def test_anonymous_is_sent_to_login_and_nothing_changes(incident, name):
    before = ticket_state(incident)

    response = call(Client(), {**PORTAL_URLS, **DESK_URLS}[name], incident)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert ticket_state(incident) == before


def test_anonymous_cannot_open_the_report_form(db):
    response = Client().get(reverse("incidents:report"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("fixture", ["incident", "resolved_incident"])
@pytest.mark.parametrize("who", ["bob", "lin", "lee"])
@pytest.mark.parametrize("name", PORTAL_URLS)
def test_someone_elses_incident_is_404_in_the_portal(request, login, fixture, who, name):
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    response = call(login(request.getfixturevalue(who)), PORTAL_URLS[name], incident)

    assert response.status_code == 404
    assert ticket_state(incident) == before


@pytest.mark.parametrize("who", ["alice", "bob"])
@pytest.mark.parametrize("name", DESK_URLS)
def test_end_users_get_403_on_desk_actions(request, login, incident, who, name):
    before = ticket_state(incident)

    response = call(login(request.getfixturevalue(who)), DESK_URLS[name], incident)

    assert response.status_code == 403
    assert ticket_state(incident) == before


@pytest.mark.parametrize("name", DESK_URLS)
def test_an_engineer_of_another_group_gets_404(login, incident, lee, network_team, name):
    before = ticket_state(incident)

    response = call(login(lee), DESK_URLS[name], incident)

    assert response.status_code == 404
    assert ticket_state(incident) == before


@pytest.mark.parametrize("who", ["lin", "mona"])
@pytest.mark.parametrize("name", DESK_URLS)
def test_engineers_in_scope_run_desk_actions(request, login, incident, service_desk, who, name):
    service_desk.members.add(request.getfixturevalue("mona"))  # so the manager can take it too
    before = ticket_state(incident)

    response = call(login(request.getfixturevalue(who)), DESK_URLS[name], incident)

    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:desk_ticket", args=[incident.number])
    assert ticket_state(incident)["version"] > before["version"]


@pytest.mark.parametrize(
    ("fixture", "name"), [("resolved_incident", "accept"), ("resolved_incident", "reopen"), ("incident", "cancel")]
)
def test_the_requester_runs_portal_actions(request, login, alice, fixture, name):
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    response = call(login(alice), PORTAL_URLS[name], incident)

    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:portal_ticket", args=[incident.number])
    assert ticket_state(incident)["version"] > before["version"]


@pytest.mark.parametrize("name", ["accept", "reopen"])
def test_a_watcher_sees_the_incident_but_cannot_confirm_for_the_requester(login, resolved_incident, bob, name):
    resolved_incident.watchers.add(bob)
    before = ticket_state(resolved_incident)

    response = call(login(bob), PORTAL_URLS[name], resolved_incident)

    assert response.status_code == 403
    assert ticket_state(resolved_incident) == before
