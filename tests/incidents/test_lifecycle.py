"""The full incident lifecycle: Assigned, On Hold with reasons, caller replies, reopen window, auto-close."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from incidents import services
from incidents.choices import HoldReason, IncidentState
from incidents.models import Incident, IncidentPolicy
from servicedesk.choices import EventKind
from servicedesk.models import TicketEvent
from servicedesk.services import TicketError, add_comment, assign_ticket
from tests.factories import ticket_state

S = IncidentState


def _states(incident):
    return [
        (e.old_value, e.new_value, e.actor_id)
        for e in TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE).order_by("pk")
    ]


@pytest.fixture
def on_hold_for_caller(in_progress_incident, lin):
    return services.put_on_hold(
        incident=in_progress_incident, actor=lin, reason=HoldReason.AWAITING_CALLER, note="Asked for the error text"
    )


# -- Assigned ----------------------------------------------------------------------------------------


def test_naming_an_engineer_makes_a_new_incident_assigned(incident, lin, service_desk):
    assign_ticket(ticket=incident, actor=lin, group=service_desk, assignee=lin)

    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == S.ASSIGNED
    assert _states(incident) == [("new", "assigned", lin.pk)]


def test_taking_the_engineer_off_before_work_makes_it_new_again(incident, lin, service_desk):
    assign_ticket(ticket=incident, actor=lin, group=service_desk, assignee=lin)
    assign_ticket(ticket=Incident.objects.get(pk=incident.pk), actor=lin, group=service_desk, assignee=None)

    assert Incident.objects.get(pk=incident.pk).state == S.NEW


def test_reassigning_an_incident_in_progress_keeps_its_state(in_progress_incident, mona, service_desk):
    service_desk.members.add(mona)

    assign_ticket(ticket=in_progress_incident, actor=mona, group=service_desk, assignee=mona)

    assert Incident.objects.get(pk=in_progress_incident.pk).state == S.IN_PROGRESS


def test_mark_assigned_needs_an_assignee(incident, lin):
    with pytest.raises(TicketError, match="no assignee"):
        services.run_transition(incident, actor=lin, name="mark_assigned")


# -- On Hold -----------------------------------------------------------------------------------------


def test_put_on_hold_keeps_the_reason_and_the_note(on_hold_for_caller):
    incident = on_hold_for_caller

    assert (incident.state, incident.on_hold_reason) == (S.ON_HOLD, HoldReason.AWAITING_CALLER)
    event = TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE).last()
    assert (event.new_value, event.reason) == ("on_hold", "Asked for the error text")
    assert TicketEvent.objects.get(ticket=incident, field="on_hold_reason").new_value == "awaiting_caller"


@pytest.mark.parametrize("reason", ["", "because", None])
def test_on_hold_needs_a_known_reason_and_changes_nothing(in_progress_incident, lin, reason):
    before = ticket_state(in_progress_incident)

    with pytest.raises(TicketError, match="why the incident waits"):
        services.put_on_hold(incident=in_progress_incident, actor=lin, reason=reason)

    assert ticket_state(in_progress_incident) == before


def test_a_new_incident_cannot_be_put_on_hold(incident, lin):
    with pytest.raises(TicketError, match="cannot be done now"):
        services.put_on_hold(incident=incident, actor=lin, reason=HoldReason.AWAITING_VENDOR)


def test_the_requester_cannot_put_on_hold(in_progress_incident, alice):
    with pytest.raises(PermissionDenied):
        services.put_on_hold(incident=in_progress_incident, actor=alice, reason=HoldReason.AWAITING_CALLER)


def test_the_callers_reply_resumes_work(on_hold_for_caller, alice):
    add_comment(ticket=on_hold_for_caller, author=alice, body="The error says 0x80070005.")

    incident = Incident.objects.get(pk=on_hold_for_caller.pk)
    assert (incident.state, incident.on_hold_reason) == (S.IN_PROGRESS, "")
    last = TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE).last()
    assert (last.old_value, last.new_value, last.actor, last.reason) == (
        "on_hold",
        "in_progress",
        alice,
        "The caller replied.",
    )


def test_a_reply_from_the_desk_does_not_resume(on_hold_for_caller, lin):
    add_comment(ticket=on_hold_for_caller, author=lin, body="Any news?")

    assert Incident.objects.get(pk=on_hold_for_caller.pk).state == S.ON_HOLD


def test_a_callers_reply_while_waiting_for_a_vendor_does_not_resume(in_progress_incident, lin, alice):
    incident = services.put_on_hold(incident=in_progress_incident, actor=lin, reason=HoldReason.AWAITING_VENDOR)

    add_comment(ticket=incident, author=alice, body="Any news?")

    assert Incident.objects.get(pk=incident.pk).state == S.ON_HOLD


def test_the_requester_may_resume_only_what_waits_for_them(on_hold_for_caller, in_progress_incident, alice, lin):
    vendor = services.put_on_hold(
        incident=services.resume_work(incident=on_hold_for_caller, actor=lin),
        actor=lin,
        reason=HoldReason.AWAITING_VENDOR,
    )
    with pytest.raises(PermissionDenied):
        services.resume_work(incident=vendor, actor=alice)


def test_an_engineer_resumes(on_hold_for_caller, lin):
    incident = services.resume_work(incident=on_hold_for_caller, actor=lin)

    assert (incident.state, incident.on_hold_reason) == (S.IN_PROGRESS, "")


def test_resolving_from_on_hold_clears_the_reason(on_hold_for_caller, lin):
    incident = services.resolve_incident(incident=on_hold_for_caller, actor=lin, code="remote", notes="Fixed")

    assert (incident.state, incident.on_hold_reason) == (S.RESOLVED, "")


def test_the_engineer_out_of_scope_cannot_hold(in_progress_incident, lee, network_team):
    with pytest.raises(PermissionDenied):
        services.put_on_hold(incident=in_progress_incident, actor=lee, reason=HoldReason.AWAITING_CALLER)


# -- reopen window -----------------------------------------------------------------------------------


def test_reopen_inside_the_window(resolved_incident, alice):
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        incident = services.reopen_incident(incident=resolved_incident, actor=alice, reason="Still broken")

    assert incident.state == S.IN_PROGRESS


def test_reopen_after_the_window_explains_and_changes_nothing(resolved_incident, alice):
    before = ticket_state(resolved_incident)

    with time_machine.travel(timezone.now() + timedelta(days=8)), pytest.raises(TicketError, match="more than 7 days"):
        services.reopen_incident(incident=resolved_incident, actor=alice, reason="Still broken")

    assert ticket_state(resolved_incident) == before


def test_the_window_comes_from_the_policy(resolved_incident, alice):
    IncidentPolicy.objects.update(reopen_window_days=1)

    with (
        time_machine.travel(timezone.now() + timedelta(days=2)),
        pytest.raises(TicketError, match="more than 1 day ago"),
    ):
        services.reopen_incident(incident=resolved_incident, actor=alice, reason="Still broken")


def test_the_portal_hides_reopen_after_the_window(login, alice, resolved_incident):
    page = f"/portal/tickets/{resolved_incident.number}/"
    assert 'id="reopen"' in login(alice).get(page).content.decode()

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        html = login(alice).get(page).content.decode()

    assert 'id="reopen"' not in html
    assert 'id="accept"' in html


# -- closing by itself -------------------------------------------------------------------------------


def test_resolved_incidents_close_themselves_after_the_policy_days(resolved_incident):
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert services.close_expired_resolutions() == 1

    closed = Incident.objects.get(pk=resolved_incident.pk)
    assert (closed.state, closed.is_open) == (S.CLOSED, False)
    event = TicketEvent.objects.filter(ticket=closed, kind=EventKind.STATE).last()
    assert (event.actor, event.new_value) == (None, "closed")
    assert "automatically" in event.reason


def test_a_reopened_incident_is_not_closed_by_the_job(resolved_incident, alice):
    services.reopen_incident(incident=resolved_incident, actor=alice, reason="Still broken")

    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert services.close_expired_resolutions() == 0
    assert Incident.objects.get(pk=resolved_incident.pk).state == S.IN_PROGRESS


def test_auto_close_leaves_young_resolutions_and_runs_twice_safely(resolved_incident):
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.close_expired_resolutions() == 0
    assert Incident.objects.get(pk=resolved_incident.pk).state == S.RESOLVED

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert services.close_expired_resolutions() == 1
        assert services.close_expired_resolutions() == 0

    assert _states(resolved_incident)[-1][:2] == ("resolved", "closed")


def test_the_beat_task_calls_the_service(resolved_incident):
    from incidents.tasks import close_expired_resolutions

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert close_expired_resolutions() == 1
