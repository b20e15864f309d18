"""Desk views for hold, resume, classification and priority: permissions, bad input, the happy path."""

import pytest
from django.urls import reverse

from incidents.choices import HoldReason, IncidentState
from incidents.models import Incident
from servicedesk.choices import Priority
from tests.factories import messages_of, ticket_state

# name -> (state fixture, POST data)
ACTIONS = {
    "hold": ("in_progress_incident", {"reason": HoldReason.AWAITING_CALLER, "note": "Asked for a screenshot"}),
    "resume": ("on_hold_incident", {}),
    "classify": ("incident", {"impact": "1", "urgency": "1"}),
    "override_priority": ("incident", {"priority": "1", "reason": "VIP"}),
    "restore_priority": ("overridden_incident", {}),
}


@pytest.fixture
def on_hold_incident(in_progress_incident, lin):
    from incidents import services

    return services.put_on_hold(incident=in_progress_incident, actor=lin, reason=HoldReason.AWAITING_VENDOR)


@pytest.fixture
def overridden_incident(incident, lin):
    from incidents import services

    return services.override_priority(incident=incident, actor=lin, priority=Priority.HIGH, reason="VIP")


def _post(client, name, incident, data):
    return client.post(reverse(f"incidents:{name}", args=[incident.number]), {"version": incident.version, **data})


@pytest.mark.parametrize("name", ACTIONS)
def test_an_engineer_in_scope_does_it(request, login, lin, name):
    fixture, data = ACTIONS[name]
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    response = _post(login(lin), name, incident, data)

    assert response.status_code == 302
    assert ticket_state(incident)["version"] > before["version"]


@pytest.mark.parametrize("name", ACTIONS)
def test_anonymous_is_sent_to_login(request, client, name):
    fixture, data = ACTIONS[name]
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    response = _post(client, name, incident, data)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ticket_state(incident) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_an_end_user_gets_403(request, login, alice, name):
    fixture, data = ACTIONS[name]
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    assert _post(login(alice), name, incident, data).status_code == 403
    assert ticket_state(incident) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_an_engineer_of_another_group_gets_404(request, login, lee, network_team, name):
    fixture, data = ACTIONS[name]
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    assert _post(login(lee), name, incident, data).status_code == 404
    assert ticket_state(incident) == before


@pytest.mark.parametrize(
    ("name", "fixture", "data", "message"),
    [
        ("hold", "in_progress_incident", {"reason": ""}, "This field is required."),
        ("hold", "in_progress_incident", {"reason": "lunch"}, "Select a valid choice."),
        ("classify", "incident", {"impact": "7", "urgency": "1"}, "Select a valid choice."),
        ("classify", "incident", {"impact": "x"}, "Select a valid choice."),
        ("override_priority", "incident", {"priority": "1", "reason": ""}, "This field is required."),
        ("override_priority", "incident", {"priority": "0", "reason": "VIP"}, "Select a valid choice."),
    ],
)
def test_bad_input_explains_and_changes_nothing(request, login, lin, name, fixture, data, message):
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    response = _post(login(lin), name, incident, data)

    assert response.status_code == 302
    assert any(message in m for m in messages_of(response))
    assert ticket_state(incident) == before


def test_a_stale_hold_form_explains_and_changes_nothing(login, lin, in_progress_incident):
    from servicedesk.services import add_comment

    stale = in_progress_incident.version
    add_comment(ticket=in_progress_incident, author=lin, body="meanwhile", internal=True)
    before = ticket_state(in_progress_incident)

    response = login(lin).post(
        reverse("incidents:hold", args=[in_progress_incident.number]),
        {"version": stale, "reason": HoldReason.AWAITING_CALLER},
    )

    assert "changed by someone else meanwhile" in messages_of(response)[0]
    assert ticket_state(in_progress_incident) == before


def test_the_desk_page_shows_hold_and_classification(login, lin, in_progress_incident):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[in_progress_incident.number])).content.decode()

    assert 'id="hold-form"' in html and 'id="classify-form"' in html and 'id="priority-form"' in html


def test_the_portal_asks_the_caller_for_an_answer(login, alice, lin, in_progress_incident):
    from incidents import services

    services.put_on_hold(incident=in_progress_incident, actor=lin, reason=HoldReason.AWAITING_CALLER)

    html = login(alice).get(reverse("servicedesk:portal_ticket", args=[in_progress_incident.number])).content.decode()

    assert 'id="awaiting-you"' in html


def test_a_portal_reply_resumes_an_incident_waiting_for_the_caller(login, alice, lin, in_progress_incident):
    from incidents import services

    services.put_on_hold(incident=in_progress_incident, actor=lin, reason=HoldReason.AWAITING_CALLER)

    login(alice).post(
        reverse("servicedesk:portal_reply", args=[in_progress_incident.number]), {"body": "Here is the screenshot"}
    )

    assert Incident.objects.get(pk=in_progress_incident.pk).state == IncidentState.IN_PROGRESS


def test_the_portal_report_form_takes_urgency_and_category(login, alice, service_desk):
    from incidents.models import Category

    network = Category.objects.create(name="Network")

    response = login(alice).post(
        reverse("incidents:report"), {"title": "No internet at all", "urgency": "1", "category": network.pk}
    )

    incident = Incident.objects.get(title="No internet at all")
    assert response.status_code == 302
    assert (incident.urgency, incident.category, incident.priority) == (1, network, Priority.MODERATE)
