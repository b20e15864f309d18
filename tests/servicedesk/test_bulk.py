"""Bulk actions on selected desk queue rows: each row through the same service and checks, refusals reported.

lin (L1, Service Desk) works the queue; lee (L2) is only in Network Operations; alice and bob are end users.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services as incident_services
from servicedesk import bulk, registry, services
from servicedesk.choices import EventKind
from servicedesk.forms import BulkForm
from servicedesk.models import Comment, Ticket, TicketEvent
from servicedesk.registry import BulkAction, BulkField, StateInfo, TicketKind
from tests.factories import messages_of, report, ticket_state

URL = reverse("servicedesk:desk_bulk")


@pytest.fixture
def three(alice, service_desk):
    """Three New incidents in the Service Desk group."""
    return [report(alice, title=f"Printer {n}") for n in range(3)]


@pytest.fixture
def elsewhere(bob, mona, network_team):
    """bob's incident, routed to Network Operations (out of lin's scope)."""
    ticket = report(bob, title="VPN drops")
    return services.assign_ticket(ticket=ticket, actor=mona, group=network_team)


def _numbers(tickets):
    return [t.number for t in tickets]


def _states(tickets):
    return [ticket_state(t) for t in tickets]


def _post(client, tickets, **data):
    return client.post(URL, {"tickets": _numbers(tickets), **data})


# -- the registry ------------------------------------------------------------------------------------


def test_incidents_declare_their_bulk_state_actions():
    actions = registry.get_kind("incident").bulk_actions

    assert list(actions) == ["start_work", "put_on_hold", "resolve", "cancel"]
    assert [f.name for f in actions["resolve"].fields] == ["code", "notes"]
    assert [f.name for f in actions["put_on_hold"].fields] == ["reason"]
    assert {value for value, _label in actions["put_on_hold"].fields[0].choices} == {
        "awaiting_caller",
        "awaiting_vendor",
        "awaiting_change",
        "awaiting_problem",
    }


def test_a_bulk_action_runs_a_dotted_path_with_the_kinds_ticket_keyword(incident, lin):
    action = BulkAction("Start", "incidents.services.start_work", ticket_arg="incident")

    action.run(ticket=Ticket.objects.get(pk=incident.pk), actor=lin)

    assert ticket_state(incident)["state"] == "in_progress"


def test_a_bulk_action_runs_a_callable():
    calls = []
    action = BulkAction("Probe", lambda ticket, actor, **fields: calls.append((ticket, actor, fields)))

    action.run(ticket="T", actor="A", note="x")

    assert calls == [("T", "A", {"note": "x"})]


def test_register_bulk_actions_adds_to_a_registered_kind(monkeypatch):
    kind = TicketKind(
        code="probe", prefix="PRB", label="Probe", model_label="servicedesk.Ticket", states={}, initial_state="new"
    )
    monkeypatch.setitem(registry._kinds, "probe", kind)
    action = BulkAction("Poke", lambda ticket, actor: None)

    registry.register_bulk_actions("probe", {"poke": action})

    assert registry.get_kind("probe").bulk_actions == {"poke": action}


# -- assign ------------------------------------------------------------------------------------------


def test_bulk_assign_routes_every_selected_row(login, lin, lee, three, network_team):
    response = _post(login(lin), three, action="assign", group=network_team.pk, assignee=lee.pk)

    assert messages_of(response) == ["Done on 3 tickets."]
    for ticket in three:
        state = ticket_state(ticket)
        assert (state["assignment_group_id"], state["assignee_id"]) == (network_team.pk, lee.pk)
        assert TicketEvent.objects.get(ticket=ticket, field="assignee").actor == lin


def test_refused_rows_are_reported_by_number_and_reason_and_the_rest_apply(
    login, lin, alice, three, elsewhere, service_desk
):
    cancelled = incident_services.cancel_incident(incident=report(alice, title="Old"), actor=alice)
    before = {t.number: ticket_state(t) for t in (elsewhere, cancelled)}

    response = _post(
        login(lin), [three[0], elsewhere, cancelled, three[1]], action="assign", group=service_desk.pk, assignee=lin.pk
    )

    assert messages_of(response) == [
        "Done on 2 tickets.",
        "2 tickets were not changed:",
        f"{elsewhere.number}: No such ticket in your queues.",
        f"{cancelled.number}: {cancelled.number} is no longer open.",
    ]
    assert {t.number: ticket_state(t) for t in (elsewhere, cancelled)} == before
    assert [ticket_state(t)["assignee_id"] for t in three] == [lin.pk, lin.pk, None]


def test_an_engineer_of_another_group_changes_nothing(login, lee, three, network_team):
    """Out of scope reads as unknown, whatever the numbers typed in."""
    before = _states(three)

    response = _post(login(lee), three, action="assign", group=network_team.pk, assignee=lee.pk)

    assert messages_of(response)[0] == "3 tickets were not changed:"
    assert all(text.endswith("No such ticket in your queues.") for text in messages_of(response)[1:])
    assert _states(three) == before


def test_an_unknown_number_is_reported_not_a_500(login, lin, service_desk):
    response = login(lin).post(URL, {"tickets": ["INC9999999"], "action": "assign", "group": service_desk.pk})

    assert messages_of(response) == ["1 ticket was not changed:", "INC9999999: No such ticket in your queues."]


# -- work notes --------------------------------------------------------------------------------------


def test_bulk_note_adds_an_internal_note_with_time_to_each_row(login, lin, three):
    response = _post(login(lin), three, action="note", body="Firmware pushed to all printers", time_spent_minutes=15)

    assert messages_of(response) == ["Done on 3 tickets."]
    notes = Comment.objects.filter(ticket__in=[t.pk for t in three])
    assert [(n.body, n.is_internal, n.time_spent_minutes, n.author) for n in notes] == [
        ("Firmware pushed to all printers", True, 15, lin)
    ] * 3
    assert TicketEvent.objects.filter(kind=EventKind.WORK_NOTE, ticket__in=[t.pk for t in three]).count() == 3


def test_bulk_note_on_a_closed_ticket_is_refused_for_that_row(login, lin, alice, resolved_incident, three):
    incident_services.accept_resolution(incident=resolved_incident, actor=alice)

    response = _post(login(lin), [resolved_incident, three[0]], action="note", body="Checked")

    assert messages_of(response)[:2] == ["Done on 1 ticket.", "1 ticket was not changed:"]
    assert "is closed" in messages_of(response)[2]
    assert not Comment.objects.filter(ticket=resolved_incident).exists()


# -- state changes -----------------------------------------------------------------------------------


def test_bulk_start_work(login, lin, three):
    response = _post(login(lin), three, action="incident:start_work")

    assert messages_of(response) == ["Done on 3 tickets."]
    assert [ticket_state(t)["state"] for t in three] == ["in_progress"] * 3


def test_bulk_hold_needs_a_reason_and_refuses_rows_in_the_wrong_state(login, lin, three):
    incident_services.take_incident(incident=three[0], actor=lin)
    before = ticket_state(three[1])

    response = _post(
        login(lin), three[:2], action="incident:put_on_hold", incident__put_on_hold__reason="awaiting_vendor"
    )

    assert messages_of(response)[:2] == ["Done on 1 ticket.", "1 ticket was not changed:"]
    assert messages_of(response)[2].startswith(f"{three[1].number}: {three[1].number} is New")
    held = Ticket.objects.get(pk=three[0].pk)
    assert (held.state, held.incident.on_hold_reason) == ("on_hold", "awaiting_vendor")
    assert ticket_state(three[1]) == before


def test_bulk_resolve_with_code_and_notes(login, lin, three):
    response = _post(
        login(lin),
        three,
        action="incident:resolve",
        incident__resolve__code="permanent",
        incident__resolve__notes="Replaced the toner.",
    )

    assert messages_of(response) == ["Done on 3 tickets."]
    for ticket in three:
        incident = Ticket.objects.get(pk=ticket.pk).incident
        assert (incident.state, incident.resolution_code, incident.resolution_notes) == (
            "resolved",
            "permanent",
            "Replaced the toner.",
        )


def test_bulk_cancel_with_a_reason(login, lin, three):
    response = _post(login(lin), three[:1], action="incident:cancel", incident__cancel__reason="Raised twice")

    assert messages_of(response) == ["Done on 1 ticket."]
    assert ticket_state(three[0])["state"] == "cancelled"
    assert TicketEvent.objects.get(ticket=three[0], field="state").reason == "Raised twice"


def test_a_state_action_is_refused_on_tickets_of_another_kind(monkeypatch, lin, alice, three):
    probe = TicketKind(
        code="probe",
        prefix="PRB",
        label="Probe",
        model_label="servicedesk.Ticket",
        states={"new": StateInfo("New", "New")},
        initial_state="new",
    )
    monkeypatch.setitem(registry._kinds, "probe", probe)
    other = Ticket.objects.create(number="PRB0000001", kind="probe", title="x", requester=alice, opened_by=alice)

    result = bulk.bulk_change_state(
        actor=lin, numbers=[other.number, three[0].number], kind="incident", action="start_work", values={}
    )

    assert result.applied == [three[0].number]
    assert result.failed == [bulk.RowFailure(other.number, "This action is only for: Incident.")]


# -- one transaction per row -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (services.TicketError("Not now."), "Not now."),
        (PermissionDenied("x"), "You may not do that on this ticket."),
        (ValidationError(["Too big.", "Wrong type."]), "Too big. Wrong type."),
    ],
    ids=["ticket-error", "permission", "validation"],
)
def test_a_failing_row_is_rolled_back_alone(lin, three, error, reason):
    """What the failing row wrote before the refusal is undone; the rows around it stay done."""

    def operation(ticket):
        services.add_comment(ticket=ticket, author=lin, body="started", internal=True)
        if ticket.number == three[1].number:
            raise error

    result = bulk.apply_to_rows(actor=lin, numbers=_numbers(three), operation=operation)

    assert result.applied == [three[0].number, three[2].number]
    assert result.failed == [bulk.RowFailure(three[1].number, reason)]
    assert [Comment.objects.filter(ticket=t).count() for t in three] == [1, 0, 1]


def test_an_end_user_cannot_run_the_service_at_all(alice, incident):
    with pytest.raises(PermissionDenied):
        bulk.bulk_add_note(actor=alice, numbers=[incident.number], body="x")


def test_each_row_costs_the_same_number_of_queries(lin, alice, service_desk, network_team, lee):
    """No N+1: rows are fetched once, then every row costs what one single assignment costs."""
    tickets = [report(alice, title=f"Row {n}") for n in range(7)]

    def cost(rows):
        with CaptureQueriesContext(connection) as queries:
            result = bulk.bulk_assign(actor=lin, numbers=_numbers(rows), group=network_team, assignee=lee)
        assert not result.failed
        return len(queries)

    one, three_rows = cost(tickets[:1]), cost(tickets[1:4])
    per_row = (three_rows - one) / 2
    assert per_row == int(per_row)
    assert cost(tickets[4:7]) == three_rows


def test_many_failures_are_counted_after_the_first_25(login, lin):
    numbers = [f"INC{n:07d}" for n in range(9000000, 9000030)]

    response = login(lin).post(URL, {"tickets": numbers, "action": "note", "body": "x"})

    texts = messages_of(response)
    assert texts[0] == "30 tickets were not changed:"
    assert len(texts) == 1 + 25 + 1 and texts[-1] == "… and 5 more."


# -- the page and the form ---------------------------------------------------------------------------


def test_the_queue_has_a_checkbox_per_row_and_the_bulk_form(login, lin, three):
    html = login(lin).get(reverse("servicedesk:desk_queue_named", args=["open"])).content.decode()

    assert 'id="bulk-form"' in html and 'id="bulk-select-all"' in html
    for ticket in three:
        assert f'name="tickets" value="{ticket.number}" form="bulk-form"' in html
    assert 'value="incident:resolve"' in html and 'name="incident__resolve__code"' in html


def test_the_htmx_table_refresh_keeps_the_checkboxes(login, lin, three):
    html = (
        login(lin).get(reverse("servicedesk:desk_queue_named", args=["open"]), HTTP_HX_REQUEST="true").content.decode()
    )

    assert f'value="{three[0].number}" form="bulk-form"' in html


def test_it_goes_back_to_the_queue_it_came_from(login, lin, three, service_desk):
    back = reverse("servicedesk:desk_queue_named", args=["open"]) + "?priority=4"

    response = _post(login(lin), three[:1], action="assign", group=service_desk.pk, next=back)

    assert response["Location"] == back


def test_it_never_redirects_off_the_site(login, lin, three, service_desk):
    response = _post(login(lin), three[:1], action="assign", group=service_desk.pk, next="https://evil.example/")

    assert response["Location"] == reverse("servicedesk:desk_queue")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tickets": [], "action": "note", "body": "x"}, "Select at least one ticket."),
        ({"action": "shout"}, "Select a valid choice"),
        ({"action": ""}, "This field is required."),
        ({"action": "assign"}, "Choose the assignment group."),
        ({"action": "assign", "group": "abc"}, "Select a valid choice"),
        ({"action": "assign", "group": "service_desk", "assignee": "lee"}, "is not a member of"),
        ({"action": "note", "body": "   "}, "Write the work note."),
        ({"action": "note", "body": "x", "time_spent_minutes": "-5"}, "greater than or equal to 0"),
        ({"action": "note", "body": "x", "time_spent_minutes": "1441"}, "less than or equal to 1440"),
        ({"action": "note", "body": "x", "time_spent_minutes": "soon"}, "Enter a whole number."),
        ({"action": "incident:put_on_hold"}, "This field is required."),
        ({"action": "incident:put_on_hold", "incident__put_on_hold__reason": "bored"}, "Select a valid choice"),
        ({"action": "incident:resolve", "incident__resolve__code": "permanent"}, "This field is required."),
        ({"action": "incident:cancel", "incident__cancel__reason": " "}, "This field is required."),
        ({"tickets": ["INC 1; DROP"], "action": "note", "body": "x"}, "That is not a ticket number."),
        ({"tickets": [f"INC{n:07d}" for n in range(501)], "action": "note", "body": "x"}, "at most 500"),
    ],
    ids=[
        "no-rows",
        "unknown-action",
        "no-action",
        "no-group",
        "garbage-group",
        "assignee-not-in-group",
        "blank-note",
        "negative-time",
        "too-much-time",
        "garbage-time",
        "hold-without-reason",
        "unknown-hold-reason",
        "resolve-without-notes",
        "cancel-without-reason",
        "garbage-number",
        "too-many-rows",
    ],
)
def test_bad_input_explains_and_changes_nothing(request, login, lin, three, network_team, data, message):
    fixtures = {"service_desk", "lee"}
    data = {k: (request.getfixturevalue(v).pk if isinstance(v, str) and v in fixtures else v) for k, v in data.items()}
    data.setdefault("tickets", _numbers(three))
    before = _states(three)

    response = login(lin).post(URL, data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert _states(three) == before


def test_the_form_offers_every_registered_state_action():
    form = BulkForm()
    values = [value for value, _label, _fields in form.state_sections()]

    assert values == [
        "incident:start_work",
        "incident:put_on_hold",
        "incident:resolve",
        "incident:cancel",
        "task:start_task",
        "task:complete_task",
    ]


def test_the_form_hands_the_actions_own_fields_to_the_service(three):
    form = BulkForm(
        {
            "tickets": [three[0].number.lower()],
            "action": "incident:resolve",
            "incident__resolve__code": "permanent",
            "incident__resolve__notes": " Done ",
            "incident__cancel__reason": "ignored: another action's field",
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tickets"] == [three[0].number]
    assert form.state_action() == ("incident", "resolve")
    assert form.cleaned_data["values"] == {"code": "permanent", "notes": "Done"}


# -- permissions -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, three):
    before = _states(three)

    response = client.post(URL, {"tickets": _numbers(three), "action": "incident:start_work"})

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert _states(three) == before


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_an_end_user_gets_403(request, login, three, who):
    before = _states(three)

    response = _post(login(request.getfixturevalue(who)), three, action="incident:start_work")

    assert response.status_code == 403
    assert _states(three) == before


def test_get_is_not_allowed(login, lin):
    assert login(lin).get(URL).status_code == 405


def test_the_manager_changes_rows_of_every_group(login, mona, three, elsewhere):
    response = _post(login(mona), [*three, elsewhere], action="incident:start_work")

    assert messages_of(response) == ["Done on 4 tickets."]


def test_a_bulk_field_is_a_select_or_text():
    select = BulkField("code", "Code", choices=[("a", "A")])
    text = BulkField("notes", "Notes", multiline=True)

    assert select.required and text.multiline and not text.choices


def test_the_bulk_bar_and_the_filter_share_one_read_of_the_groups(login, lin, three, network_team, service_desk):
    client = login(lin)
    url = reverse("servicedesk:desk_queue_named", args=["open"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"assignment_group": network_team.pk})

    listings = [q["sql"] for q in queries.captured_queries if 'FROM "servicedesk_assignmentgroup" WHERE' in q["sql"]]
    assert len([sql for sql in listings if "ORDER BY" in sql]) == 1, listings  # besides the filter value's check
    html = response.content.decode()
    assert f'<option value="{network_team.pk}" selected>Network Operations</option>' in html  # the filter's
    bulk_group = html[html.index('id="bulk_group"') :].split("</select>")[0]
    assert f'<option value="{service_desk.pk}">Service Desk</option>' in bulk_group
    assert f'value="{network_team.pk}" selected' not in bulk_group
