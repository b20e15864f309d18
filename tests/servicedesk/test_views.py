"""Portal and desk pages of the core: what they show, what their forms do, and that bad input changes nothing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from servicedesk import services
from servicedesk.choices import EventKind, Priority
from servicedesk.models import Attachment, Comment, Ticket, TicketEvent
from tests.factories import (
    EXE_BYTES,
    PNG_BYTES,
    UserFactory,
    messages_of,
    report,
    stored_files,
    ticket_state,
    upload,
)


def _numbers(response) -> list[str]:
    """Ticket numbers of the rows on the desk queue's current page, in order."""
    return [row.record.number for row in response.context["table"].paginated_rows]


def _portal_numbers(response) -> list[str]:
    return [ticket.number for ticket in response.context["page"].object_list]


# -- landing -----------------------------------------------------------------------------------------


def test_home_sends_engineers_to_the_desk(login, lin):
    assert login(lin).get(reverse("home"))["Location"] == reverse("servicedesk:desk_queue")


def test_home_sends_end_users_to_the_portal(login, alice):
    assert login(alice).get(reverse("home"))["Location"] == reverse("servicedesk:portal_home")


# -- portal ------------------------------------------------------------------------------------------


def test_portal_home_lists_my_open_tickets_and_offers_to_report(login, alice, bob, incident, lin):
    closed = report(alice, title="Old monitor flickers")
    incident_services.cancel_incident(incident=closed, actor=alice)
    bobs = report(bob, title="Bob's printer")

    response = login(alice).get(reverse("servicedesk:portal_home"))

    html = response.content.decode()
    assert [t.number for t in response.context["recent"]] == [incident.number]
    assert closed.number not in html and bobs.number not in html
    assert reverse("incidents:report") in html


@pytest.mark.parametrize(
    ("show", "expected"), [("open", ["open"]), ("closed", ["cancelled"]), ("all", ["cancelled", "open"])]
)
def test_my_tickets_filters_open_and_closed(login, alice, service_desk, show, expected):
    open_one = report(alice, title="open")
    cancelled = incident_services.cancel_incident(incident=report(alice, title="cancelled"), actor=alice)
    titles = {open_one.number: "open", cancelled.number: "cancelled"}

    response = login(alice).get(reverse("servicedesk:portal_tickets"), {"show": show})

    assert sorted(titles[n] for n in _portal_numbers(response)) == expected


def test_my_tickets_shows_only_mine_newest_first(login, alice, bob, service_desk):
    first, second = report(alice, title="first"), report(alice, title="second")
    report(bob, title="bob's")

    response = login(alice).get(reverse("servicedesk:portal_tickets"))

    assert _portal_numbers(response) == [second.number, first.number]


def test_my_tickets_pages_by_twenty(login, alice, service_desk):
    for n in range(23):
        report(alice, title=f"issue {n}")
    client = login(alice)

    assert len(_portal_numbers(client.get(reverse("servicedesk:portal_tickets")))) == 20
    assert len(_portal_numbers(client.get(reverse("servicedesk:portal_tickets"), {"page": 2}))) == 3
    assert client.get(reverse("servicedesk:portal_tickets"), {"page": "nonsense"}).status_code == 200


def test_portal_ticket_shows_the_public_conversation(login, alice, conversation):
    response = login(alice).get(reverse("servicedesk:portal_ticket", args=[conversation.ticket.number]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cannot connect to the Wi-Fi" in html
    assert "<strong>this morning</strong>" in html  # the description's Markdown is rendered
    assert "Received: waiting for an engineer" in html  # the state as end users read it
    assert "Please forget the network and join it again." in html
    assert 'id="reply-form"' in html


def test_portal_ticket_of_an_unknown_number_is_404(login, alice, incident):
    assert login(alice).get(reverse("servicedesk:portal_ticket", args=["INC9999999"])).status_code == 404


def test_portal_reply_adds_a_public_comment(login, alice, incident):
    response = login(alice).post(
        reverse("servicedesk:portal_reply", args=[incident.number]), {"body": "It fails on floor 3.", "version": 1}
    )

    assert response["Location"] == reverse("servicedesk:portal_ticket", args=[incident.number])
    assert messages_of(response) == ["Your reply was added."]
    comment = Comment.objects.get(ticket=incident)
    assert (comment.author, comment.body, comment.is_internal) == (alice, "It fails on floor 3.", False)


def test_portal_reply_with_an_attachment_can_be_downloaded(login, alice, incident, settings):
    client = login(alice)

    client.post(
        reverse("servicedesk:portal_reply", args=[incident.number]),
        {"body": "Screenshot attached", "files": [upload("wifi.png")]},
    )

    attachment = Attachment.objects.get(ticket=incident)
    assert (attachment.filename, attachment.is_internal) == ("wifi.png", False)
    download = client.get(reverse("servicedesk:portal_attachment", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == PNG_BYTES
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="wifi.png"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert len(stored_files(settings.MEDIA_ROOT)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   "}, "Write a message or attach a file."),
        ({"body": "see file", "files": "renamed"}, "does not look like a .png file"),
        ({"body": "see file", "files": "exe"}, "files of this type are not accepted"),
        ({"body": "stale", "version": 0}, "changed by someone else meanwhile"),
    ],
    ids=["empty", "renamed-binary", "exe", "stale-version"],
)
def test_a_refused_portal_reply_explains_and_changes_nothing(login, alice, incident, settings, data, message):
    files = {"renamed": [upload("photo.png", EXE_BYTES)], "exe": [upload("setup.exe", EXE_BYTES)]}
    data = {**data, "files": files[data["files"]]} if "files" in data else data
    before = ticket_state(incident)

    response = login(alice).post(reverse("servicedesk:portal_reply", args=[incident.number]), data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert ticket_state(incident) == before
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_too_large_upload_is_refused_in_the_portal(login, alice, incident, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG_BYTES) - 1
    before = ticket_state(incident)

    response = login(alice).post(
        reverse("servicedesk:portal_reply", args=[incident.number]), {"body": "big", "files": [upload()]}
    )

    assert any("larger than the limit" in text for text in messages_of(response))
    assert ticket_state(incident) == before
    assert stored_files(settings.MEDIA_ROOT) == []


def test_portal_reply_refuses_get(login, alice, incident):
    assert login(alice).get(reverse("servicedesk:portal_reply", args=[incident.number])).status_code == 405


# -- desk queues -------------------------------------------------------------------------------------


def _at(day: str):
    return timezone.make_aware(dt.datetime.fromisoformat(day + " 10:00"))


@pytest.fixture
def queue(alice, bob, lin, lee, mona, service_desk, network_team):
    """Four incidents across groups, assignees, priorities, states and dates."""
    printer = report(alice, title="Printer jams on floor 2", priority=Priority.LOW)
    vpn = report(bob, title="VPN drops every hour", priority=Priority.HIGH)
    services.assign_ticket(ticket=vpn, actor=mona, group=network_team, assignee=lee)
    email = report(alice, title="Email bounces", priority=Priority.CRITICAL)
    incident_services.take_incident(incident=email, actor=lin)
    laptop = report(bob, title="Laptop battery", priority=Priority.MODERATE)
    incident_services.cancel_incident(incident=laptop, actor=bob)
    for ticket, day in ((printer, "2024-01-10"), (vpn, "2024-02-10"), (email, "2024-03-10"), (laptop, "2024-04-10")):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=_at(day))
    return {"printer": printer.number, "vpn": vpn.number, "email": email.number, "laptop": laptop.number}


def _names(queue, numbers):
    by_number = {number: name for name, number in queue.items()}
    return [by_number[number] for number in numbers]


@pytest.mark.parametrize(
    ("who", "name", "expected"),
    [
        ("lin", "mine", ["email"]),
        ("lin", "unassigned", ["printer"]),
        ("lin", "open", ["email", "printer"]),
        ("lin", "all", ["email", "laptop", "printer"]),
        ("lee", "mine", ["vpn"]),
        ("lee", "unassigned", []),
        ("lee", "all", ["vpn"]),
        ("mona", "open", ["email", "vpn", "printer"]),
        ("mona", "all", ["email", "vpn", "laptop", "printer"]),
    ],
)
def test_each_queue_lists_its_tickets_by_priority(request, login, queue, who, name, expected):
    response = login(request.getfixturevalue(who)).get(reverse("servicedesk:desk_queue_named", args=[name]))

    assert response.status_code == 200
    assert _names(queue, _numbers(response)) == expected


def test_the_desk_opens_on_my_queue(login, lin, queue):
    response = login(lin).get(reverse("servicedesk:desk_queue"))

    assert response.context["queue"] == "mine"
    assert _names(queue, _numbers(response)) == ["email"]


def test_an_unknown_queue_falls_back_to_mine(login, lin, queue):
    response = login(lin).get(reverse("servicedesk:desk_queue_named", args=["everything-ever"]))

    assert (response.status_code, response.context["queue"]) == (200, "mine")


@pytest.fixture
def filter_queue(login, mona, queue):
    """GET the manager's `all` queue with filters; returns the rows' names."""
    client = login(mona)

    def get(**params):
        response = client.get(reverse("servicedesk:desk_queue_named", args=["all"]), params)
        assert response.status_code == 200
        return _names(queue, _numbers(response))

    return get


def test_filter_by_state(filter_queue):
    assert filter_queue(state="new") == ["printer"]
    assert filter_queue(state="assigned") == ["vpn"]  # it has an engineer, who has not started yet
    assert filter_queue(state=["in_progress", "cancelled"]) == ["email", "laptop"]


def test_filter_by_priority(filter_queue):
    assert filter_queue(priority=[Priority.CRITICAL, Priority.LOW]) == ["email", "printer"]


def test_filter_by_group(filter_queue, network_team):
    assert filter_queue(assignment_group=network_team.pk) == ["vpn"]


def test_filter_by_assignee(filter_queue, lin):
    assert filter_queue(assignee=lin.pk) == ["email"]


def test_filter_by_kind(filter_queue):
    assert filter_queue(kind="incident") == ["email", "vpn", "laptop", "printer"]


def test_search_matches_title_text(filter_queue):
    assert filter_queue(q="vpn") == ["vpn"]
    assert filter_queue(q="  email  ") == ["email"]


def test_search_by_number_in_any_case(filter_queue, queue):
    assert filter_queue(q=queue["laptop"].lower()) == ["laptop"]


def test_filter_by_date_range(filter_queue):
    assert filter_queue(created_after="2024-02-10", created_before="2024-03-10") == ["email", "vpn"]
    assert filter_queue(created_after="2024-04-01") == ["laptop"]


def test_filters_combine(filter_queue, service_desk):
    assert filter_queue(assignment_group=service_desk.pk, state="new", q="printer") == ["printer"]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "limbo"},
        {"priority": "99"},
        {"assignment_group": "abc"},
        {"assignee": "999999"},
        {"kind": "spaceship"},
        {"created_after": "not-a-date"},
        {"page": "abc"},
        {"page": "999"},
        {"sort": "no_such_column"},
    ],
)
def test_bad_filter_values_never_500(login, mona, queue, params):
    response = login(mona).get(reverse("servicedesk:desk_queue_named", args=["all"]), params)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["email", "laptop", "printer", "vpn"]),
        ("-title", ["vpn", "printer", "laptop", "email"]),
        ("-priority", ["printer", "laptop", "vpn", "email"]),
        ("created_at", ["printer", "vpn", "email", "laptop"]),
        ("assignment_group", ["vpn"]),  # Network Operations before Service Desk
    ],
)
def test_sorting(filter_queue, sort, expected):
    assert filter_queue(sort=sort)[: len(expected)] == expected


def test_the_queue_pages_by_twenty_five(login, mona, alice, service_desk):
    for n in range(30):
        report(alice, title=f"issue {n}")
    client = login(mona)
    url = reverse("servicedesk:desk_queue_named", args=["all"])

    first, second = _numbers(client.get(url)), _numbers(client.get(url, {"page": 2}))

    assert (len(first), len(second)) == (25, 5)
    assert set(first).isdisjoint(second)


def test_an_htmx_request_gets_only_the_table(login, mona, queue):
    response = login(mona).get(reverse("servicedesk:desk_queue_named", args=["all"]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert queue["vpn"] in html


# -- desk ticket page and its forms ------------------------------------------------------------------


def test_desk_ticket_shows_the_whole_timeline(login, conversation, network_team, mona):
    services.assign_ticket(ticket=conversation.ticket, actor=mona, group=network_team, reason="Wi-Fi is network")

    response = login(mona).get(reverse("servicedesk:desk_ticket", args=[conversation.ticket.number]))

    html = response.content.decode()
    kinds = [event.kind for event in response.context["timeline"]]
    assert kinds[0] == EventKind.CREATED
    assert {EventKind.COMMENT, EventKind.WORK_NOTE, EventKind.ATTACHMENT, EventKind.FIELD} <= set(kinds)
    assert "Opened the ticket" in html
    assert "Service Desk" in html and "Network Operations" in html  # the group change, from and to
    assert "Wi-Fi is network" in html
    assert "INTERNAL-NOTE" in html


def test_desk_ticket_of_a_resolved_incident_renders(login, lin, resolved_incident):
    """The timeline holds the incident's own fields (resolution code and notes)."""
    response = login(lin).get(reverse("servicedesk:desk_ticket", args=[resolved_incident.number]))

    assert response.status_code == 200
    assert "Replaced the access point." in response.content.decode()


def test_desk_comment_adds_a_work_note(login, lin, incident):
    response = login(lin).post(
        reverse("servicedesk:desk_comment", args=[incident.number]), {"body": "Checked AP-3", "internal": "on"}
    )

    assert messages_of(response) == ["Work note added."]
    assert TicketEvent.objects.filter(ticket=incident, kind=EventKind.WORK_NOTE).count() == 1
    assert Comment.objects.get(ticket=incident).is_internal


def test_desk_comment_without_the_internal_box_is_a_public_reply(login, lin, incident):
    response = login(lin).post(reverse("servicedesk:desk_comment", args=[incident.number]), {"body": "On my way"})

    assert messages_of(response) == ["Reply sent."]
    assert not Comment.objects.get(ticket=incident).is_internal


def test_desk_comment_with_an_internal_file(login, lin, incident):
    login(lin).post(
        reverse("servicedesk:desk_comment", args=[incident.number]),
        {"body": "Capture", "internal": "on", "files": [upload("capture.txt", b"pkt 1\n")]},
    )

    assert Attachment.objects.get(ticket=incident).is_internal


def test_desk_comment_on_a_stale_version_changes_nothing(login, lin, incident, alice):
    services.add_comment(ticket=incident, author=alice, body="Any news?")
    before = ticket_state(incident)

    response = login(lin).post(
        reverse("servicedesk:desk_comment", args=[incident.number]), {"body": "Hm", "internal": "on", "version": 1}
    )

    assert any("changed by someone else meanwhile" in text for text in messages_of(response))
    assert ticket_state(incident) == before


def test_assign_form_saves_group_and_assignee(login, lin, lee, incident, network_team):
    response = login(lin).post(
        reverse("servicedesk:desk_assign", args=[incident.number]),
        {"group": network_team.pk, "assignee": lee.pk, "version": incident.version},
    )

    assert messages_of(response) == ["Assignment saved."]
    state = ticket_state(incident)
    assert (state["assignment_group_id"], state["assignee_id"]) == (network_team.pk, lee.pk)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"group": "service_desk", "assignee": "lee"}, "Select a valid choice"),
        ({"group": "", "assignee": "lin"}, "This field is required"),
        ({"group": "999999"}, "Select a valid choice"),
        ({"group": "abc"}, "Select a valid choice"),
        ({"group": "network_team", "version": 0}, "changed by someone else meanwhile"),
    ],
    ids=["assignee-not-in-group", "no-group", "unknown-group", "garbage-group", "stale-version"],
)
def test_a_bad_assignment_explains_and_changes_nothing(request, login, lin, incident, network_team, data, message):
    values = {"service_desk": "service_desk", "network_team": "network_team", "lee": "lee", "lin": "lin"}
    data = {
        key: (request.getfixturevalue(values[value]).pk if value in values else value) for key, value in data.items()
    }
    before = ticket_state(incident)

    response = login(lin).post(reverse("servicedesk:desk_assign", args=[incident.number]), data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert ticket_state(incident) == before


def test_take_assigns_to_me(login, lin, incident):
    response = login(lin).post(reverse("servicedesk:desk_take", args=[incident.number]), {"version": incident.version})

    assert messages_of(response) == [f"{incident.number} is now assigned to you."]
    assert ticket_state(incident)["assignee_id"] == lin.pk


def test_take_on_a_stale_version_changes_nothing(login, lin, alice, incident):
    services.add_comment(ticket=incident, author=alice, body="Any news?")
    before = ticket_state(incident)

    response = login(lin).post(reverse("servicedesk:desk_take", args=[incident.number]), {"version": 1})

    assert any("changed by someone else meanwhile" in text for text in messages_of(response))
    assert ticket_state(incident) == before


def test_group_members_lists_the_active_members_of_the_group(login, lin, service_desk):
    service_desk.members.add(UserFactory(username="zed"), UserFactory(username="gone", is_active=False))

    response = login(lin).get(reverse("servicedesk:desk_group_members"), {"group": service_desk.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<option") == 3  # the empty choice, lin and zed
    assert f'value="{lin.pk}"' in html
    assert "gone" not in html


@pytest.mark.parametrize("group", ["", "999999", "abc"])
def test_group_members_of_no_or_an_unknown_group_is_only_the_empty_choice(login, lin, service_desk, group):
    response = login(lin).get(reverse("servicedesk:desk_group_members"), {"group": group})

    assert response.status_code == 200
    assert response.content.decode().count("<option") == 1


def test_desk_attachment_downloads_an_internal_file(login, lin, conversation):
    response = login(lin).get(reverse("servicedesk:desk_attachment", args=[conversation.internal_attachment.pk]))

    assert b"".join(response.streaming_content) == b"radio reset x42\n"
    assert response["Content-Disposition"].startswith("attachment")


def test_the_queue_counts_its_tickets_up_to_a_cap(login, mona, queue, monkeypatch):
    from servicedesk import selectors

    html = login(mona).get(reverse("servicedesk:desk_queue_named", args=["all"])).content.decode()
    assert "Page 1 · 4 tickets" in html

    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 2)
    html = login(mona).get(reverse("servicedesk:desk_queue_named", args=["all"])).content.decode()
    assert "Page 1 · more than 2 tickets" in html


def test_the_queue_pages_without_counting_everything(login, lin, alice, service_desk):
    from tests.factories import report

    for n in range(30):
        report(alice, title=f"Printer {n}")
    client = login(lin)
    url = reverse("servicedesk:desk_queue_named", args=["open"])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert "page=2" in first and "Page 2" in second
    assert second.count('class="form-check-input bulk-select"') == 5
