"""Incident pages: the portal's report form and action buttons, the desk's take, start and resolve."""

import pytest
from django.urls import reverse

from incidents.choices import IncidentState
from incidents.models import Incident
from servicedesk.models import Attachment, Comment
from servicedesk.services import add_comment
from tests.factories import EXE_BYTES, messages_of, stored_files, ticket_state, upload

# -- report ------------------------------------------------------------------------------------------


def test_the_report_form_renders(login, alice):
    response = login(alice).get(reverse("incidents:report"))

    assert response.status_code == 200
    assert 'id="report-form"' in response.content.decode()


def test_reporting_creates_the_incident_and_shows_it(login, alice, service_desk):
    response = login(alice).post(
        reverse("incidents:report"), {"title": "  Scanner offline ", "description": "Since *Monday*"}
    )

    incident = Incident.objects.get()
    assert response["Location"] == reverse("servicedesk:portal_ticket", args=[incident.number])
    assert messages_of(response) == [f"Thank you. Your incident {incident.number} was recorded."]
    assert (incident.title, incident.description, incident.requester) == ("Scanner offline", "Since *Monday*", alice)
    assert incident.assignment_group == service_desk


def test_reporting_with_a_screenshot_attaches_it(login, alice, service_desk, settings):
    login(alice).post(reverse("incidents:report"), {"title": "Scanner offline", "files": [upload("scan.png")]})

    assert Attachment.objects.get(ticket=Incident.objects.get()).filename == "scan.png"
    assert len(stored_files(settings.MEDIA_ROOT)) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "    "}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"title": "ok", "files": "renamed"}, "files", "does not look like a .png file"),
        ({"title": "ok", "files": "exe"}, "files", "not accepted"),
    ],
    ids=["empty", "blank", "too-long", "renamed-binary", "exe"],
)
def test_a_bad_report_shows_field_errors_and_creates_nothing(
    login, alice, service_desk, settings, data, field, message
):
    files = {"renamed": [upload("scan.png", EXE_BYTES)], "exe": [upload("tool.exe", EXE_BYTES)]}
    data = {**data, "files": files[data["files"]]} if "files" in data else data

    response = login(alice).post(reverse("incidents:report"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message.split(".")[0] in response.content.decode()
    assert Incident.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


# -- desk actions ------------------------------------------------------------------------------------


def test_take_assigns_and_starts(login, lin, incident):
    response = login(lin).post(reverse("incidents:take", args=[incident.number]), {"version": incident.version})

    assert messages_of(response) == [f"You are working on {incident.number}."]
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.state, fresh.assignee) == (IncidentState.IN_PROGRESS, lin)


def test_start_moves_to_in_progress(login, lin, incident):
    login(lin).post(reverse("incidents:start", args=[incident.number]), {"version": incident.version})

    assert Incident.objects.get(pk=incident.pk).state == IncidentState.IN_PROGRESS


def test_start_twice_explains_and_changes_nothing(login, lin, in_progress_incident):
    before = ticket_state(in_progress_incident)

    response = login(lin).post(reverse("incidents:start", args=[in_progress_incident.number]))

    assert messages_of(response) == [f"{in_progress_incident.number} is In Progress: that cannot be done now."]
    assert ticket_state(in_progress_incident) == before


def test_resolve_records_the_resolution(login, lin, in_progress_incident):
    response = login(lin).post(
        reverse("incidents:resolve", args=[in_progress_incident.number]),
        {"code": "permanent", "notes": "Swapped the cable.", "version": in_progress_incident.version},
    )

    assert messages_of(response) == [f"{in_progress_incident.number} is resolved; the requester is asked to confirm."]
    fresh = Incident.objects.get(pk=in_progress_incident.pk)
    assert (fresh.state, fresh.resolution_code, fresh.resolution_notes) == (
        "resolved",
        "permanent",
        "Swapped the cable.",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "permanent", "notes": ""}, "This field is required."),
        ({"code": "permanent", "notes": "   "}, "This field is required."),
        ({"code": "", "notes": "Swapped the cable."}, "This field is required."),
        ({"code": "bogus", "notes": "Swapped the cable."}, "Select a valid choice"),
        ({"code": "permanent", "notes": "Swapped", "version": "1"}, "changed by someone else meanwhile"),
        ({"code": "permanent", "notes": "Swapped", "version": "abc"}, "Enter a whole number"),
    ],
    ids=["no-notes", "blank-notes", "no-code", "bad-code", "stale-version", "garbage-version"],
)
def test_a_bad_resolve_explains_and_changes_nothing(login, lin, in_progress_incident, data, message):
    before = ticket_state(in_progress_incident)

    response = login(lin).post(reverse("incidents:resolve", args=[in_progress_incident.number]), data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert ticket_state(in_progress_incident) == before


def test_the_desk_page_offers_the_actions_of_the_state(login, lin, incident):
    client = login(lin)
    url = reverse("servicedesk:desk_ticket", args=[incident.number])

    html = client.get(url).content.decode()
    assert 'id="take"' in html and 'id="start"' in html and 'id="resolve-form"' in html

    client.post(reverse("incidents:take", args=[incident.number]))
    html = client.get(url).content.decode()
    assert 'id="take"' not in html and 'id="start"' not in html and 'id="resolve-form"' in html


# -- portal actions ----------------------------------------------------------------------------------


def test_the_portal_shows_the_resolution_with_accept_and_reopen(login, alice, resolved_incident):
    html = login(alice).get(reverse("servicedesk:portal_ticket", args=[resolved_incident.number])).content.decode()

    assert "Replaced the access point." in html
    assert 'id="accept"' in html and 'id="reopen"' in html


def test_accept_closes(login, alice, resolved_incident):
    response = login(alice).post(
        reverse("incidents:accept", args=[resolved_incident.number]), {"version": resolved_incident.version}
    )

    assert messages_of(response) == [f"Thank you for confirming. {resolved_incident.number} is closed."]
    assert Incident.objects.get(pk=resolved_incident.pk).state == IncidentState.CLOSED


def test_reopen_with_a_reason_goes_back_to_in_progress(login, alice, resolved_incident):
    login(alice).post(
        reverse("incidents:reopen", args=[resolved_incident.number]),
        {"reason": "Drops again", "version": resolved_incident.version},
    )

    fresh = Incident.objects.get(pk=resolved_incident.pk)
    assert (fresh.state, fresh.reopen_count) == (IncidentState.IN_PROGRESS, 1)
    assert Comment.objects.filter(ticket=fresh, body="Drops again", author=alice).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopen_without_a_reason_explains_and_changes_nothing(login, alice, resolved_incident, reason):
    before = ticket_state(resolved_incident)

    response = login(alice).post(reverse("incidents:reopen", args=[resolved_incident.number]), {"reason": reason})

    assert messages_of(response) == ["Tell the service desk what is still wrong."]
    assert ticket_state(resolved_incident) == before


def test_cancel_while_new(login, alice, incident):
    response = login(alice).post(reverse("incidents:cancel", args=[incident.number]), {"version": incident.version})

    assert messages_of(response) == [f"{incident.number} is cancelled."]
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.CANCELLED


def test_cancel_once_work_started_explains_and_changes_nothing(login, alice, in_progress_incident):
    before = ticket_state(in_progress_incident)

    response = login(alice).post(reverse("incidents:cancel", args=[in_progress_incident.number]))

    assert messages_of(response) == [
        f"{in_progress_incident.number} is In Progress: that cannot be done now. An engineer is already on it; "
        "reply to tell the service desk it is no longer needed."
    ]
    assert ticket_state(in_progress_incident) == before


@pytest.mark.parametrize(
    ("action", "data"), [("accept", {}), ("reopen", {"reason": "Still broken"})], ids=["accept", "reopen"]
)
def test_a_stale_portal_action_explains_and_changes_nothing(login, alice, lin, resolved_incident, action, data):
    stale = resolved_incident.version
    add_comment(ticket=resolved_incident, author=lin, body="Did it help?")
    before = ticket_state(resolved_incident)

    response = login(alice).post(
        reverse(f"incidents:{action}", args=[resolved_incident.number]), {**data, "version": stale}
    )

    assert any("changed by someone else meanwhile" in text for text in messages_of(response))
    assert ticket_state(resolved_incident) == before


def test_a_stale_cancel_explains_and_changes_nothing(login, alice, lin, incident):
    add_comment(ticket=incident, author=lin, body="Looking", internal=True)
    before = ticket_state(incident)

    response = login(alice).post(reverse("incidents:cancel", args=[incident.number]), {"version": 1})

    assert any("changed by someone else meanwhile" in text for text in messages_of(response))
    assert ticket_state(incident) == before


@pytest.mark.parametrize("name", ["accept", "reopen", "cancel", "take", "start", "resolve"])
def test_incident_actions_refuse_get(login, alice, lin, incident, name):
    user = alice if name in {"accept", "reopen", "cancel"} else lin

    assert login(user).get(reverse(f"incidents:{name}", args=[incident.number])).status_code == 405
