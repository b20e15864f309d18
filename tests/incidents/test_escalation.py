"""Escalation: functional (to another group, routed inside it) and hierarchic (a flag and a notification to the
group's manager); reasons required, refusals change nothing, and the desk views' permission matrix."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents import escalation
from incidents.choices import IncidentState
from incidents.models import Incident, RoutingLedger
from incidents.services import resolve_incident, start_work
from servicedesk import notifications, roles
from servicedesk.choices import EventKind
from servicedesk.models import (
    IMWebhook,
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationTopic,
    TicketEvent,
)
from servicedesk.services import ChangedMeanwhile, TicketError, assign_ticket
from tests.factories import AssignmentGroupFactory, UserFactory, messages_of, ticket_state


@pytest.fixture
def zoe(db):
    return UserFactory(username="zoe", first_name="Zoe", last_name="Quinn", roles=[roles.SERVICE_DESK_MANAGER])


@pytest.fixture
def second_line(db, lee, zoe):
    """L2: lee works there, zoe manages it."""
    lee.first_name, lee.last_name = "Lee", "Zhang"
    lee.save()
    return AssignmentGroupFactory(name="Second Line", manager=zoe, members=[lee])


@pytest.fixture
def assigned_incident(incident, lin, service_desk):
    """alice's incident, assigned to lin (state Assigned)."""
    return assign_ticket(ticket=incident, actor=lin, group=service_desk, assignee=lin)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def events(incident, field):
    return list(TicketEvent.objects.filter(ticket=incident, field=field).order_by("pk"))


# -- functional escalation ---------------------------------------------------------------------------


def test_escalating_to_a_group_routes_inside_it_and_logs_the_reason(assigned_incident, lin, second_line, lee):
    escalation.escalate_to_group(
        incident=assigned_incident, actor=lin, group=second_line, reason="Needs an L2 network engineer"
    )

    incident = fresh(assigned_incident)
    assert (incident.assignment_group, incident.assignee, incident.state) == (second_line, lee, IncidentState.ASSIGNED)
    assert incident.routing_reason == (
        f"Escalated from Service Desk to Second Line by {lin.get_full_name()}: Needs an L2 network engineer; "
        "Lee Zhang has the fewest open incidents (0)."
    )
    [group_event] = events(incident, "assignment_group")
    assert (group_event.old_display, group_event.new_display, group_event.actor) == ("Service Desk", "Second Line", lin)
    [reason_event] = events(incident, "routing_reason")
    assert (reason_event.reason, reason_event.is_public, reason_event.new_value) == (
        "Needs an L2 network engineer",
        False,  # the desk's reasoning stays out of the requester's timeline
        incident.routing_reason,
    )
    assert events(incident, "assignee")[-1].new_display == "Lee Zhang"


def test_a_new_unassigned_incident_escalated_becomes_assigned(incident, lin, second_line, lee):
    escalation.escalate_to_group(incident=incident, actor=lin, group=second_line, reason="L2")

    assert (fresh(incident).assignee, fresh(incident).state) == (lee, IncidentState.ASSIGNED)


def test_escalating_to_a_group_without_members_clears_the_assignee(assigned_incident, lin):
    vendors = AssignmentGroupFactory(name="Vendors")

    escalation.escalate_to_group(incident=assigned_incident, actor=lin, group=vendors, reason="Vendor bug")

    incident = fresh(assigned_incident)
    assert (incident.assignment_group, incident.assignee, incident.state) == (vendors, None, IncidentState.NEW)
    assert incident.routing_reason.endswith("; the group has no active members, so nobody was assigned.")


def test_an_incident_in_progress_keeps_its_state_with_the_new_engineer(in_progress_incident, lin, second_line, lee):
    escalation.escalate_to_group(incident=in_progress_incident, actor=lin, group=second_line, reason="L2")

    incident = fresh(in_progress_incident)
    assert (incident.assignee, incident.state) == (lee, IncidentState.IN_PROGRESS)


def test_escalating_to_another_group_takes_down_the_manager_flag(assigned_incident, lin, mona, second_line):
    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Customer is the CEO")

    escalation.escalate_to_group(incident=assigned_incident, actor=lin, group=second_line, reason="L2")

    assert fresh(assigned_incident).manager_escalated_at is None
    flag_events = events(assigned_incident, "manager_escalated_at")
    assert [(e.old_display, e.new_display) for e in flag_events] == [
        ("", mona.get_full_name()),
        (mona.get_full_name(), ""),
    ]


def test_the_system_may_escalate(assigned_incident, second_line, lee):
    escalation.escalate_to_group(incident=assigned_incident, actor=None, group=second_line, reason="SLA breached")

    incident = fresh(assigned_incident)
    assert incident.assignee == lee
    assert incident.routing_reason.startswith("Escalated from Service Desk to Second Line by the system: SLA breached;")
    assert events(incident, "routing_reason")[0].actor is None


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_escalating_to_a_group_needs_a_reason(assigned_incident, lin, second_line, reason):
    before = ticket_state(assigned_incident)

    with pytest.raises(TicketError, match="Say why the incident is escalated"):
        escalation.escalate_to_group(incident=assigned_incident, actor=lin, group=second_line, reason=reason)

    assert ticket_state(assigned_incident) == before


def test_escalating_to_a_group_needs_a_group(assigned_incident, lin):
    before = ticket_state(assigned_incident)

    with pytest.raises(TicketError, match="Choose the group"):
        escalation.escalate_to_group(incident=assigned_incident, actor=lin, group=None, reason="L2")

    assert ticket_state(assigned_incident) == before


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("same group", "already with Service Desk"),
        ("inactive group", "is not an active group"),
        ("resolved", "only an open incident can be escalated"),
    ],
)
def test_refused_group_escalations_change_nothing(request, lin, service_desk, second_line, case, message):
    incident = request.getfixturevalue("resolved_incident" if case == "resolved" else "assigned_incident")
    group = {"same group": service_desk, "inactive group": second_line, "resolved": second_line}[case]
    if case == "inactive group":
        second_line.is_active = False
        second_line.save()
    before = ticket_state(incident)
    routing_reason = fresh(incident).routing_reason

    with pytest.raises(TicketError, match=message):
        escalation.escalate_to_group(incident=incident, actor=lin, group=group, reason="L2")

    assert ticket_state(incident) == before
    assert fresh(incident).routing_reason == routing_reason
    assert not RoutingLedger.objects.exists()


@pytest.mark.parametrize("who", ["alice", "lee"])  # the requester; an engineer of another group
def test_only_engineers_in_scope_escalate(request, assigned_incident, second_line, who):
    before = ticket_state(assigned_incident)

    with pytest.raises(PermissionDenied):
        escalation.escalate_to_group(
            incident=assigned_incident, actor=request.getfixturevalue(who), group=second_line, reason="L2"
        )
    with pytest.raises(PermissionDenied):
        escalation.escalate_to_manager(incident=assigned_incident, actor=request.getfixturevalue(who), reason="Help")

    assert ticket_state(assigned_incident) == before


def test_a_stale_form_is_refused(assigned_incident, lin, second_line):
    version = assigned_incident.version
    start_work(incident=assigned_incident, actor=lin)
    before = ticket_state(assigned_incident)

    with pytest.raises(ChangedMeanwhile):
        escalation.escalate_to_group(
            incident=assigned_incident, actor=lin, group=second_line, reason="L2", expected_version=version
        )
    with pytest.raises(ChangedMeanwhile):
        escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Help", expected_version=version)

    assert ticket_state(assigned_incident) == before


# -- hierarchic escalation ---------------------------------------------------------------------------


def test_escalating_to_the_manager_flags_logs_and_notifies(
    assigned_incident, lin, mona, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="  Customer is the CEO ")

    incident = fresh(assigned_incident)
    assert incident.manager_escalated_at is not None
    assert (incident.assignee, incident.state) == (lin, IncidentState.ASSIGNED)  # nothing else moves
    [event] = events(incident, "manager_escalated_at")
    assert (event.kind, event.actor, event.reason, event.is_public) == (
        EventKind.FIELD,
        lin,
        "Customer is the CEO",
        False,
    )
    assert (event.new_value, event.new_display) == (incident.manager_escalated_at.isoformat(), mona.get_full_name())
    [notification] = Notification.objects.filter(event=event)
    assert (notification.recipient, notification.status) == (mona, Notification.Status.PENDING)
    assert (notification.channel, notification.topic) == (NotificationChannel.EMAIL, NotificationTopic.ESCALATED)
    assert sent_tasks == [notification.pk]  # delivered after commit


def test_escalating_to_the_manager_again_notifies_again(assigned_incident, lin, mona, sent_tasks):
    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="CEO")
    first = fresh(assigned_incident).manager_escalated_at

    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Still down after an hour")

    assert fresh(assigned_incident).manager_escalated_at > first
    assert Notification.objects.filter(recipient=mona, event__ticket=assigned_incident).count() == 2
    assert events(assigned_incident, "manager_escalated_at")[-1].old_value == first.isoformat()


def test_a_manager_flagging_their_own_group_gets_no_email(assigned_incident, mona):
    escalation.escalate_to_manager(incident=assigned_incident, actor=mona, reason="Noting it for the review")

    assert fresh(assigned_incident).manager_escalated_at is not None
    assert not Notification.objects.filter(event__ticket=assigned_incident).exists()


def _manager_rows(incident):
    rows = Notification.objects.filter(event__ticket=incident, event__field="manager_escalated_at")
    return sorted((row.recipient.username, row.channel, row.topic) for row in rows)


def test_the_manager_also_hears_by_chat_when_a_webhook_serves_them(assigned_incident, lin, mona):
    IMWebhook.objects.create(name="Mona's robot", kind="dingtalk", url="http://127.0.0.1:9/send", user=mona)

    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Customer is the CEO")

    assert _manager_rows(assigned_incident) == [("mona", "dingtalk", "escalated"), ("mona", "email", "escalated")]


@pytest.mark.parametrize(
    ("email", "im", "expected"),
    [
        ([], [], []),
        ([], ["escalated"], [("mona", "slack", "escalated")]),
        (["escalated"], [], [("mona", "email", "escalated")]),
    ],
)
def test_the_manager_hears_only_where_they_chose(assigned_incident, lin, mona, email, im, expected):
    IMWebhook.objects.create(name="Mona's robot", kind="slack", url="http://127.0.0.1:9/send", user=mona)
    others = [topic for topic in NotificationTopic.values if topic != "escalated"]
    NotificationPreference.objects.create(user=mona, email_topics=others + email, im_topics=others + im)

    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Customer is the CEO")

    assert fresh(assigned_incident).manager_escalated_at is not None  # the flag is raised all the same
    assert _manager_rows(assigned_incident) == expected


def test_the_managers_message_says_who_what_and_why(assigned_incident, lin, mona):
    IMWebhook.objects.create(name="Mona's robot", kind="wecom", url="http://127.0.0.1:9/send", user=mona)
    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="Customer is the CEO")
    rows = {row.channel: row for row in Notification.objects.filter(recipient=mona)}
    number, desk_url = assigned_incident.number, reverse("servicedesk:desk_ticket", args=[assigned_incident.number])

    subject, body = notifications.render_email(rows["email"])
    title, text = notifications.render_im(rows["wecom"])

    assert subject == f"[{number}] Cannot connect to the Wi-Fi (Escalated to you)" == title
    for words in (body, text):
        assert f"{lin.get_full_name()} escalated {number} to you." in words
        assert "Reason: Customer is the CEO" in words
        assert desk_url in words  # the manager works in the desk, not the portal
    assert "Group: Service Desk" in body
    assert body.startswith(f"Hello {mona.get_full_name()},")


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_escalating_to_the_manager_needs_a_reason(assigned_incident, lin, reason):
    before = ticket_state(assigned_incident)

    with pytest.raises(TicketError, match="Say why the manager is needed"):
        escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason=reason)

    assert ticket_state(assigned_incident) == before
    assert fresh(assigned_incident).manager_escalated_at is None


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no manager", "Service Desk has no manager to escalate to"),
        ("inactive manager", "Service Desk has no manager to escalate to"),
        ("no group", "has no assignment group"),
        ("resolved", "only an open incident can be escalated"),
    ],
)
def test_refused_manager_escalations_change_nothing(request, lin, mona, service_desk, case, message):
    incident = request.getfixturevalue("resolved_incident" if case == "resolved" else "assigned_incident")
    if case == "no manager":
        service_desk.manager = None
        service_desk.save()
    elif case == "inactive manager":
        mona.is_active = False
        mona.save()
    elif case == "no group":
        incident = assign_ticket(ticket=incident, actor=lin, group=None)
    before = ticket_state(incident)

    with pytest.raises(TicketError, match=message):
        escalation.escalate_to_manager(incident=incident, actor=lin, reason="Help")

    assert ticket_state(incident) == before
    assert fresh(incident).manager_escalated_at is None


# -- desk views --------------------------------------------------------------------------------------

VIEWS = {
    "group": ("incidents:escalate_group", lambda group: {"group": group.pk, "reason": "Needs L2"}),
    "manager": ("incidents:escalate_manager", lambda group: {"reason": "Customer is the CEO"}),
}


def post(client, view, incident, target, **data):
    name, payload = VIEWS[view]
    return client.post(reverse(name, args=[incident.number]), {**payload(target), **data})


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_users_are_sent_to_login(client, assigned_incident, second_line, view):
    before = ticket_state(assigned_incident)

    response = post(client, view, assigned_incident, second_line)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert ticket_state(assigned_incident) == before


@pytest.mark.parametrize("who", ["alice", "bob"])
@pytest.mark.parametrize("view", VIEWS)
def test_end_users_get_403(request, login, assigned_incident, second_line, who, view):
    before = ticket_state(assigned_incident)

    response = post(login(request.getfixturevalue(who)), view, assigned_incident, second_line)

    assert response.status_code == 403
    assert ticket_state(assigned_incident) == before


@pytest.mark.parametrize("view", VIEWS)
def test_an_engineer_out_of_scope_gets_404(login, assigned_incident, second_line, lee, view):
    before = ticket_state(assigned_incident)

    response = post(login(lee), view, assigned_incident, second_line)

    assert response.status_code == 404
    assert ticket_state(assigned_incident) == before


@pytest.mark.parametrize("view", VIEWS)
def test_an_unknown_number_is_404(login, lin, assigned_incident, second_line, view):
    name, payload = VIEWS[view]

    assert login(lin).post(reverse(name, args=["INC9999999"]), payload(second_line)).status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_get_is_not_allowed(login, lin, assigned_incident, view):
    assert login(lin).get(reverse(VIEWS[view][0], args=[assigned_incident.number])).status_code == 405


def test_an_engineer_escalates_to_a_group(login, lin, assigned_incident, second_line, lee):
    response = post(login(lin), "group", assigned_incident, second_line, version=assigned_incident.version)

    assert response["Location"] == reverse("servicedesk:desk_ticket", args=[assigned_incident.number])
    assert messages_of(response) == [f"{assigned_incident.number} is escalated to Second Line."]
    assert (fresh(assigned_incident).assignment_group, fresh(assigned_incident).assignee) == (second_line, lee)


def test_an_engineer_escalates_to_the_manager(login, lin, assigned_incident, sent_tasks):
    response = post(login(lin), "manager", assigned_incident, None, version=assigned_incident.version)

    assert response["Location"] == reverse("servicedesk:desk_ticket", args=[assigned_incident.number])
    assert messages_of(response) == [f"The manager was told about {assigned_incident.number}."]
    assert fresh(assigned_incident).manager_escalated_at is not None


@pytest.mark.parametrize(
    ("view", "data", "message"),
    [
        ("group", {"group": ""}, "Choose the group to escalate to."),
        ("group", {"group": "999999"}, "Choose another active group to escalate to."),
        ("group", {"group": "not-a-number"}, "Choose another active group to escalate to."),
        ("group", {"group": "current"}, "Choose another active group to escalate to."),
        ("group", {"reason": "   "}, "Say why the incident is escalated."),
        ("group", {"reason": "x" * 2001}, "at most 2000 characters"),
        ("manager", {"reason": ""}, "Say why the manager is needed."),
        ("group", {"version": "stale"}, "changed by someone else meanwhile"),
        ("manager", {"version": "stale"}, "changed by someone else meanwhile"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(
    login, lin, service_desk, assigned_incident, second_line, view, data, message
):
    if data.get("group") == "current":
        data = {**data, "group": service_desk.pk}
    if data.get("version") == "stale":
        data = {**data, "version": assigned_incident.version - 1}
    before = ticket_state(assigned_incident)

    response = post(login(lin), view, assigned_incident, second_line, **data)

    assert response.status_code == 302
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert ticket_state(assigned_incident) == before
    assert fresh(assigned_incident).manager_escalated_at is None


def test_a_refusal_of_the_service_becomes_a_message(login, lin, service_desk, assigned_incident):
    service_desk.manager = None
    service_desk.save()
    before = ticket_state(assigned_incident)

    response = post(login(lin), "manager", assigned_incident, None)

    assert messages_of(response) == ["Service Desk has no manager to escalate to."]
    assert ticket_state(assigned_incident) == before


# -- the desk panel ----------------------------------------------------------------------------------


def _desk_page(login, user, incident) -> str:
    return login(user).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()


def test_the_panel_offers_both_escalations_on_an_open_incident(login, lin, assigned_incident, second_line):
    page = _desk_page(login, lin, assigned_incident)

    assert 'id="escalate-group-form"' in page and 'id="escalate-manager-form"' in page
    select = page.split('id="escalate_group_group"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{second_line.pk}">Second Line</option>' in select
    # The current group is not offered as a target.
    assert f'<option value="{assigned_incident.assignment_group_id}"' not in select


def test_the_panel_shows_when_the_manager_was_flagged(login, lin, assigned_incident, mona):
    escalation.escalate_to_manager(incident=assigned_incident, actor=lin, reason="CEO")

    page = _desk_page(login, lin, assigned_incident)

    assert 'id="manager-escalated"' in page
    assert f"Escalated to the manager {mona.get_full_name()} on" in page
    assert "Escalate again" in page


def test_the_panel_says_when_there_is_no_manager(login, lin, service_desk, assigned_incident):
    service_desk.manager = None
    service_desk.save()

    page = _desk_page(login, lin, assigned_incident)

    assert 'id="escalate-manager-form"' not in page
    assert "Service Desk has no manager to escalate to." in page


def test_a_closed_incident_offers_no_escalation(login, lin, resolved_incident):
    page = _desk_page(login, lin, resolved_incident)

    assert 'id="escalation-panel"' in page
    assert 'id="escalate-group-form"' not in page and 'id="escalate-manager-form"' not in page


def test_resolving_after_escalation_still_works(assigned_incident, lin, second_line, lee):
    escalation.escalate_to_group(incident=assigned_incident, actor=lin, group=second_line, reason="L2")

    resolve_incident(incident=fresh(assigned_incident), actor=lee, code="permanent", notes="Fixed the tunnel")

    assert fresh(assigned_incident).state == IncidentState.RESOLVED
