"""SLA clocks follow the ticket: started by policy, paused and resumed by state, re-targeted by priority with
the time already spent kept, stopped at resolution; the sweep fires each level exactly once.

Time is frozen and moved with time-machine; the calendars are 24x7 unless a test says otherwise, so the
arithmetic is easy to check by eye (the calendar maths has its own tests)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents import services as incidents
from servicedesk.models import Notification, TicketEvent
from servicedesk.services import add_comment
from sla.models import BusinessCalendar, ClockStatus, SLAAction, SLAClock, SLAClockEvent, SLAPolicy, SLATarget
from sla.sweep import sweep
from tests.factories import report

H = timedelta(hours=1)
K = SLAClockEvent.Kind
START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def always(db):
    return BusinessCalendar.objects.create(name="Always", time_zone="UTC", is_24x7=True)


@pytest.fixture
def policy(always, service_desk, mona):
    policy = SLAPolicy.objects.create(
        name="Incidents", kind="incident", calendar=always, pause_states="on_hold:awaiting_caller"
    )
    for priority, response, resolution in ((1, 0.25, 2), (2, 1, 8), (3, 4, 24), (4, 8, 72), (5, 8, 72)):
        SLATarget.objects.create(policy=policy, priority=priority, response=response * H, resolution=resolution * H)
    SLAAction.objects.create(policy=policy, at_percent=75, action="notify_assignee")
    SLAAction.objects.create(policy=policy, at_percent=100, action="notify_manager")
    return policy


@pytest.fixture
def clock_time():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def clock(ticket, metric="resolution"):
    return SLAClock.objects.get(ticket=ticket, metric=metric)


def kinds(clock_row):
    return list(clock_row.events.values_list("kind", flat=True))


@pytest.mark.django_db
class TestClockFollowsTicket:
    def test_default_policies_give_the_service_desk_standard(self, alice, service_desk, clock_time):
        SLAPolicy.objects.filter(name="Incidents").delete()
        critical = report(alice, priority=1)
        assert (clock(critical, "response").target, clock(critical).target) == (H / 4, 2 * H)
        assert clock(critical).breach_at == START + 2 * H  # round the clock
        medium = report(alice, priority=3)
        assert clock(medium).target == 24 * H and clock(medium).policy.calendar.time_zone == "Asia/Shanghai"
        # 08:00 UTC on a Monday is 16:00 in Shanghai: 2 h today, then 22 h of office hours (8 h a day) later.
        assert clock(medium).breach_at > START + 48 * H

    def test_new_incident_starts_both_clocks(self, alice, policy, clock_time):
        incident = report(alice, priority=3)
        resolution = clock(incident)
        assert resolution.target == 24 * H and resolution.status == ClockStatus.RUNNING
        assert resolution.breach_at == START + 24 * H
        assert resolution.next_check_at == START + 18 * H  # the 75% warning comes first
        assert clock(incident, "response").target == 4 * H

    def test_no_policy_no_clock(self, alice, service_desk, clock_time):
        SLAPolicy.objects.update(is_active=False)  # the default policies of the data migration
        incident = report(alice)
        assert not SLAClock.objects.filter(ticket=incident).exists()

    def test_response_stops_when_an_engineer_takes_it(self, alice, lin, policy, clock_time):
        incident = report(alice, priority=3)
        clock_time.shift(30 * 60)
        incidents.take_incident(incident=incident, actor=lin)
        response = clock(incident, "response")
        assert response.status == ClockStatus.STOPPED and response.elapsed == timedelta(minutes=30)
        assert not response.is_breached
        assert clock(incident).status == ClockStatus.RUNNING

    def test_pause_while_awaiting_caller_then_resume_keeps_the_remaining_time(self, alice, lin, policy, clock_time):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(2 * 3600)
        incidents.put_on_hold(incident=incident, actor=lin, reason="awaiting_caller")
        paused = clock(incident)
        assert paused.status == ClockStatus.PAUSED and paused.elapsed == 2 * H and paused.next_check_at is None
        clock_time.shift(30 * 3600)  # longer than the whole target
        incidents.resume_work(incident=incident, actor=lin)
        resumed = clock(incident)
        now = timezone.now()
        # No instant escalation: 22 h are left, the 75% warning is 16 h away.
        assert resumed.status == ClockStatus.RUNNING and resumed.elapsed == 2 * H
        assert resumed.breach_at == now + 22 * H and resumed.next_check_at == now + 16 * H
        assert sweep(now=now).fired == []
        assert kinds(resumed) == [K.STARTED, K.PAUSED, K.RESUMED]
        assert resumed.events.get(kind=K.RESUMED).detail == "after 1 d 6 h paused"

    def test_other_hold_reasons_do_not_pause(self, alice, lin, policy, clock_time):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        incidents.put_on_hold(incident=incident, actor=lin, reason="awaiting_vendor")
        assert clock(incident).status == ClockStatus.RUNNING

    def test_priority_change_keeps_the_time_spent(self, alice, lin, policy, clock_time):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(3 * 3600)
        incidents.override_priority(incident=incident, actor=lin, priority=2, reason="Whole floor affected")
        row = clock(incident)
        now = timezone.now()
        assert row.target == 8 * H and row.elapsed == 3 * H
        assert row.breach_at == now + 5 * H  # 8 h target, 3 h already spent
        event = row.events.get(kind=K.RETARGETED)
        assert (event.old_target, event.target) == (24 * H, 8 * H)

    def test_resolve_stops_and_reopen_runs_on(self, alice, lin, policy, clock_time):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(5 * 3600)
        incident = incidents.resolve_incident(incident=incident, actor=lin, code="permanent", notes="Fixed")
        stopped = clock(incident)
        assert stopped.status == ClockStatus.STOPPED and stopped.elapsed == 5 * H and stopped.breach_at is None
        clock_time.shift(48 * 3600)
        incidents.reopen_incident(incident=incident, actor=alice, reason="Still broken")
        again = clock(incident)
        assert again.status == ClockStatus.RUNNING and again.elapsed == 5 * H
        assert again.breach_at == timezone.now() + 19 * H
        assert kinds(again)[-1] == K.REOPENED


@pytest.mark.django_db
class TestSweep:
    def test_warning_then_breach_each_once_with_their_actions(self, alice, lin, mona, policy, clock_time, sent_tasks):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(18 * 3600 + 1)
        first = sweep()
        assert (first.warnings, first.breaches) == (1, 0)
        assert sweep().fired == []  # a second run finds nothing due
        warning = TicketEvent.objects.get(ticket=incident, kind="sla", field="warning")
        assert Notification.objects.filter(event=warning, recipient=lin).exists()
        clock_time.shift(6 * 3600)
        second = sweep()
        assert second.breaches == 1 and clock(incident).is_breached
        breach = TicketEvent.objects.get(ticket=incident, kind="sla", field="breach")
        assert Notification.objects.filter(event=breach, recipient=mona).exists()
        assert SLAClockEvent.objects.filter(kind=K.BREACHED).count() == 1
        assert clock(incident).next_check_at is None

    def test_a_late_sweep_fires_every_level_it_missed_once(self, alice, policy, clock_time):
        incident = report(alice, priority=3)
        clock_time.shift(30 * 3600)
        result = sweep()
        levels = sorted(percent for clock_id, percent in result.fired if clock_id == clock(incident).pk)
        assert levels == [75, 90, 100]
        assert clock(incident).breached_at == START + 24 * H  # when it happened, not when the sweep noticed

    def test_escalation_and_raise_priority(self, alice, lin, lee, policy, network_team, clock_time):
        SLAAction.objects.create(policy=policy, at_percent=90, action="escalate", group=network_team)
        SLAAction.objects.create(policy=policy, at_percent=90, action="raise_priority")
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(22 * 3600)
        sweep()
        incident.refresh_from_db()
        assert incident.assignment_group == network_team and incident.assignee is None
        assert incident.priority == 2
        row = clock(incident)
        # Re-targeted to P2's 8 h with 22 h spent: breached, recorded by the same sweep or the next.
        sweep()
        assert clock(incident).is_breached
        assert row.events.filter(kind=K.RETARGETED).exists()

    def test_the_sweep_reads_only_due_clocks(self, alice, policy, clock_time, django_assert_max_num_queries):
        for _ in range(5):
            report(alice, priority=4)
        with django_assert_max_num_queries(3):
            assert sweep().examined == 0

    def test_clock_on_a_locked_ticket_is_postponed_not_waited_for(self, alice, policy, clock_time):
        from unittest import mock

        SLAAction.objects.create(policy=policy, at_percent=75, action="raise_priority")  # needs the ticket's lock
        incident = report(alice, priority=3)
        clock_time.shift(19 * 3600)
        # Another transaction holds the ticket: lock_ticket(skip_locked=True) gives None.
        with mock.patch("sla.sweep.core.lock_ticket", return_value=None):
            result = sweep()
        assert result.postponed == 2 and result.fired == []  # both clocks are due, neither fires yet
        assert clock(incident).next_check_at > timezone.now()
        assert sweep(now=timezone.now() + timedelta(seconds=10)).warnings >= 1  # the next sweep fires it


@pytest.mark.django_db
def test_admin_screens_of_policies_and_clocks(admin_client, alice, policy):
    from django.urls import reverse

    incident = report(alice, priority=3)
    assert admin_client.get(reverse("admin:sla_slapolicy_change", args=[policy.pk])).status_code == 200
    assert admin_client.get(reverse("admin:sla_slapolicy_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:sla_slaclock_change", args=[clock(incident).pk]))
    assert page.status_code == 200 and "Started" in page.content.decode()
    assert admin_client.get(reverse("admin:sla_slaclock_add")).status_code == 403


@pytest.mark.django_db
def test_the_desk_shows_the_clocks_and_the_portal_the_target(alice, lin, login, policy):
    from django.urls import reverse

    incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
    desk = login(lin).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()
    assert 'id="sla-clocks"' in desk and 'data-metric="resolution"' in desk and 'data-colour="success"' in desk
    assert 'data-kind="started"' in desk and "left" in desk
    portal = login(alice).get(reverse("servicedesk:portal_ticket", args=[incident.number])).content.decode()
    assert 'id="sla-target"' in portal and 'id="sla-clocks"' not in portal


@pytest.mark.django_db
def test_the_colour_turns_at_the_warning_and_the_breach(alice, lin, login, policy):
    from django.urls import reverse

    with time_machine.travel(START, tick=False) as traveller:
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        client = login(lin)
        url = reverse("servicedesk:desk_ticket", args=[incident.number])
        traveller.shift(19 * 3600)
        assert (
            'data-metric="resolution" data-status="running" data-colour="warning"' in client.get(url).content.decode()
        )
        traveller.shift(6 * 3600)
        assert 'data-metric="resolution" data-status="running" data-colour="danger"' in client.get(url).content.decode()


@pytest.mark.django_db
class TestQueueByTimeToBreach:
    def test_the_ticket_carries_its_nearest_deadline(self, alice, lin, policy, clock_time):
        incident = report(alice, priority=3)
        incident.refresh_from_db()
        assert incident.sla_due_at == START + 4 * H  # the response clock comes first
        incident = incidents.take_incident(incident=incident, actor=lin)
        incident.refresh_from_db()
        assert incident.sla_due_at == START + 24 * H  # responded: the resolution clock is next
        incidents.put_on_hold(incident=incident, actor=lin, reason="awaiting_caller")
        incident.refresh_from_db()
        assert incident.sla_due_at is None  # paused: no deadline runs

    def test_queue_sorts_and_filters_by_time_to_breach(self, alice, lin, login, policy):
        from django.urls import reverse

        with time_machine.travel(START, tick=False) as traveller:
            slow = report(alice, priority=4, title="Slow one")
            urgent = report(alice, priority=2, title="Urgent one")
            client = login(lin)
            url = reverse("servicedesk:desk_queue_named", args=["open"])
            page = client.get(url, {"sort": "sla_due_at"})
            numbers = [row.record.number for row in page.context["table"].paginated_rows]
            assert numbers.index(urgent.number) < numbers.index(slow.number)
            traveller.shift(90 * 60)  # urgent's 1 h response target has passed
            past = client.get(url, {"sla": "breached"}).content.decode()
            assert urgent.number in past and slow.number not in past
            assert "−30 min" in past


@pytest.mark.django_db
def test_a_notify_only_level_appends_to_the_log_without_changing_the_ticket(alice, lin, policy, clock_time):
    incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
    incident.refresh_from_db()
    version = incident.version
    clock_time.shift(19 * 3600)
    assert sweep().warnings >= 1
    incident.refresh_from_db()
    assert incident.version == version  # nobody's open form goes stale because of a warning
    assert TicketEvent.objects.filter(ticket=incident, kind="sla", field="warning").exists()


@pytest.mark.django_db
class TestWhatMovesTheClocks:
    def test_a_work_note_or_the_requesters_reply_is_no_response_an_engineers_reply_is(
        self, alice, lin, policy, clock_time
    ):
        incident = report(alice, priority=3)
        clock_time.shift(10 * 60)
        add_comment(ticket=incident, author=lin, body="Looked at the logs", internal=True)
        add_comment(ticket=incident, author=alice, body="Any news?")
        assert clock(incident, "response").status == ClockStatus.RUNNING
        assert kinds(clock(incident, "response")) == [K.STARTED]
        clock_time.shift(20 * 60)
        add_comment(ticket=incident, author=lin, body="Which floor are you on?")
        response = clock(incident, "response")
        assert response.status == ClockStatus.STOPPED and response.elapsed == timedelta(minutes=30)
        incident.refresh_from_db()
        assert incident.sla_due_at == clock(incident).breach_at == START + 24 * H

    def test_the_callers_reply_resumes_the_paused_clock(self, alice, lin, policy, clock_time):
        incident = incidents.take_incident(incident=report(alice, priority=3), actor=lin)
        clock_time.shift(2 * 3600)
        incidents.put_on_hold(incident=incident, actor=lin, reason="awaiting_caller")
        clock_time.shift(5 * 3600)
        add_comment(ticket=incident, author=alice, body="It is the third floor")  # the incident resumes itself
        resumed = clock(incident)
        assert resumed.status == ClockStatus.RUNNING and resumed.elapsed == 2 * H
        assert kinds(resumed) == [K.STARTED, K.PAUSED, K.RESUMED]
        incident.refresh_from_db()
        assert incident.state == "in_progress" and incident.sla_due_at == timezone.now() + 22 * H

    def test_a_priority_change_retargets_both_running_clocks(self, alice, lin, policy, clock_time):
        incident = report(alice, priority=3)
        clock_time.shift(30 * 60)
        incidents.override_priority(incident=incident, actor=lin, priority=1, reason="The CEO's laptop")
        response, resolution = clock(incident, "response"), clock(incident)
        assert (response.target, resolution.target) == (H / 4, 2 * H)
        assert response.elapsed == resolution.elapsed == H / 2
        assert response.breach_at == START + H / 2  # past its new target already: due now
        assert kinds(response)[-1] == kinds(resolution)[-1] == K.RETARGETED
        incident.refresh_from_db()
        assert incident.sla_due_at == response.breach_at


@pytest.mark.django_db
class TestWhichPolicy:
    """The first active policy by position whose every condition matches; facts that cost a query are read only
    when a policy asks for them."""

    @pytest.fixture
    def special(self, always):
        def make(name, target_priority=3, **conditions):
            special = SLAPolicy.objects.create(name=name, kind="incident", calendar=always, position=0, **conditions)
            SLATarget.objects.create(policy=special, priority=target_priority, response=H, resolution=2 * H)
            return special

        return make

    def test_by_category_any_case(self, alice, policy, special, clock_time):
        from incidents.models import Category

        special("Network", category="network")
        policy.position = 1
        policy.save()
        network = Category.objects.create(name="Network")
        assert clock(report(alice, priority=3, category=network)).policy.name == "Network"
        assert clock(report(alice, priority=3)).policy == policy

    def test_by_service(self, alice, policy, special, clock_time):
        from cmdb.models import CIType, ConfigurationItem

        erp = ConfigurationItem.objects.create(name="ERP", ci_type=CIType.BUSINESS_SERVICE)
        mail = ConfigurationItem.objects.create(name="Email", ci_type=CIType.BUSINESS_SERVICE)
        special("ERP", service=erp)
        policy.position = 1
        policy.save()
        assert clock(report(alice, priority=3, affected_service=erp)).target == 2 * H
        assert clock(report(alice, priority=3, affected_service=mail)).policy == policy

    def test_by_the_requesters_department(self, alice, bob, policy, special, clock_time):
        from servicedesk.models import Department, Profile

        finance = Department.objects.create(name="Finance")
        Profile.objects.create(user=alice, department=finance)
        special("Finance", organisation=finance)
        policy.position = 1
        policy.save()
        assert clock(report(alice, priority=3)).policy.name == "Finance"
        assert clock(report(bob, priority=3)).policy == policy

    def test_a_new_priority_can_move_the_clocks_to_another_policy(self, alice, lin, policy, special, clock_time):
        only_p1 = special("Only P1", priorities="1", target_priority=1)
        policy.position = 1
        policy.save()
        incident = report(alice, priority=3)
        assert clock(incident).policy == policy
        clock_time.shift(3600)
        incidents.override_priority(incident=incident, actor=lin, priority=1, reason="Escalated by phone")
        moved = clock(incident)
        assert (moved.policy, moved.target, moved.elapsed) == (only_p1, 2 * H, H)
        assert moved.events.get(kind=K.RETARGETED).detail == "priority now P1 - Critical · policy Incidents → Only P1"


@pytest.mark.django_db(transaction=True)
def test_a_change_does_not_wait_for_someone_saving_the_policy(alice, lin, service_desk, policy):
    """The clocks are locked alone, not with their policy and calendar rows (which every ticket shares): an admin
    saving the policy, or another ticket's change, holding those rows does not hold up a change."""
    incident = report(alice, priority=3)
    admin = connections.create_connection("default")
    try:
        admin.set_autocommit(False)
        with admin.cursor() as cursor:
            cursor.execute("UPDATE sla_slapolicy SET warning_percents = warning_percents WHERE id = %s", [policy.pk])
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")  # waiting for the admin would fail instead of hang
            incidents.take_incident(incident=incident, actor=lin)
    finally:
        admin.rollback()
        admin.close()
    assert clock(incident, "response").status == ClockStatus.STOPPED
