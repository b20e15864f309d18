"""The request lifecycle through the services: approvals (every approver kind, conditions, delegation),
fulfilment steps in order and in parallel, cancellation, and what a refused action leaves behind."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_catalog import services
from requests_catalog.choices import ApprovalState, ItemState, RequestState, TaskState
from requests_catalog.models import Approval, ApprovalDelegation, ApprovalStep, FulfilmentTask, ServiceRequest
from requests_catalog.services import OrderLine, RequestError
from servicedesk.models import TicketEvent
from servicedesk.tasks import deliver_notification
from tests.factories import ticket_state


def answer(key, value, display=None, type_="text", label=None):
    return SimpleNamespace(key=key, label=label or key, type=type_, value=value, display=display or str(value))


def order(user, item, quantity=1, answers=None, **kwargs):
    answers = answers if answers is not None else [answer("model", "std", 'Standard 14"', "choice")]
    line = OrderLine(version=item.current_version, quantity=quantity, answers=answers)
    return services.submit_request(actor=user, lines=[line], **kwargs)


def pending(request, user):
    return Approval.objects.get(line__request=request, approver=user, state=ApprovalState.REQUESTED)


def refreshed(request):
    return ServiceRequest.objects.get(pk=request.pk)


def tasks_of(request):
    return list(FulfilmentTask.objects.filter(request=request).order_by("step", "pk"))


@pytest.mark.django_db
class TestApprovalChain:
    def test_manager_then_auto_approved_finance_then_fulfilment(self, alice, carol, catalog):
        # 1 x 1200 is not under 1000: finance is asked; 1 laptop first goes to alice's manager.
        request = order(alice, catalog.laptop)
        assert request.state == RequestState.AWAITING_APPROVAL
        assert request.number.startswith("REQ")
        approval = pending(request, carol)
        assert approval.step_name == "Manager"

        services.decide_approval(approval=approval, actor=carol, approve=True, comment="Fine")
        request = refreshed(request)
        assert request.state == RequestState.AWAITING_APPROVAL  # now finance
        finance_rows = Approval.objects.filter(line__request=request, step=1)
        assert {row.approver.username for row in finance_rows} == {"fred", "gina"}

    def test_auto_approve_condition_skips_the_step(self, alice, carol, catalog):
        step = ApprovalStep.objects.get(item=catalog.laptop, name="Finance")
        step.auto_approve_value = "5000"
        step.save()
        from requests_catalog.definition import publish_version

        publish_version(catalog.laptop)
        catalog.laptop.refresh_from_db()
        request = order(alice, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        request = refreshed(request)
        assert request.state == RequestState.IN_FULFILMENT
        auto = Approval.objects.get(line__request=request, step=1)
        assert auto.state == ApprovalState.APPROVED and auto.approver is None
        assert "total_cost < 5000" in auto.comment

    def test_group_any_first_decision_wins(self, alice, carol, catalog):
        request = order(alice, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        fred = Approval.objects.get(line__request=request, approver__username="fred")
        services.decide_approval(approval=fred, actor=fred.approver, approve=True)
        gina = Approval.objects.get(line__request=request, approver__username="gina")
        assert gina.state == ApprovalState.NOT_NEEDED
        assert refreshed(request).state == RequestState.IN_FULFILMENT
        with pytest.raises(RequestError):
            services.decide_approval(approval=gina, actor=gina.approver, approve=True)

    def test_group_all_needs_every_member(self, alice, carol, catalog):
        ApprovalStep.objects.filter(item=catalog.laptop, name="Finance").update(approver_type="group_all")
        from requests_catalog.definition import publish_version

        publish_version(catalog.laptop)
        catalog.laptop.refresh_from_db()
        request = order(alice, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        fred = Approval.objects.get(line__request=request, approver__username="fred")
        services.decide_approval(approval=fred, actor=fred.approver, approve=True)
        assert refreshed(request).state == RequestState.AWAITING_APPROVAL
        gina = Approval.objects.get(line__request=request, approver__username="gina")
        services.decide_approval(approval=gina, actor=gina.approver, approve=True)
        assert refreshed(request).state == RequestState.IN_FULFILMENT

    def test_named_user_step(self, alice, carol, catalog, lee):
        ApprovalStep.objects.filter(item=catalog.laptop).delete()
        ApprovalStep.objects.create(item=catalog.laptop, approver_type="user", user=lee, name="Security")
        from requests_catalog.definition import publish_version

        publish_version(catalog.laptop)
        catalog.laptop.refresh_from_db()
        request = order(alice, catalog.laptop)
        approval = pending(request, lee)
        with pytest.raises(PermissionDenied):
            services.decide_approval(approval=approval, actor=carol, approve=True)
        services.decide_approval(approval=approval, actor=lee, approve=True)
        assert refreshed(request).state == RequestState.IN_FULFILMENT

    def test_rejection_ends_the_request_with_the_reason(self, alice, carol, catalog):
        request = order(alice, catalog.laptop)
        with pytest.raises(RequestError):
            services.decide_approval(approval=pending(request, carol), actor=carol, approve=False, comment="  ")
        assert refreshed(request).state == RequestState.AWAITING_APPROVAL
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=False, comment="Budget freeze")
        request = refreshed(request)
        assert request.state == RequestState.REJECTED
        assert request.rejection_reason == "Budget freeze"
        assert not request.is_open
        assert request.lines.get().state == ItemState.REJECTED
        assert not FulfilmentTask.objects.filter(request=request).exists()
        event = TicketEvent.objects.filter(ticket=request, kind="approval").last()
        assert event.is_public and event.reason == "Budget freeze"

    def test_someone_else_cannot_decide(self, alice, bob, catalog, carol):
        request = order(alice, catalog.laptop)
        before = ticket_state(request)
        with pytest.raises(PermissionDenied):
            services.decide_approval(approval=pending(request, carol), actor=bob, approve=True)
        with pytest.raises(PermissionDenied):
            services.decide_approval(approval=pending(request, carol), actor=alice, approve=True)
        assert ticket_state(refreshed(request)) == before

    def test_delegate_decides_while_the_approver_is_away(self, alice, bob, carol, catalog):
        today = timezone.localdate()
        ApprovalDelegation.objects.create(delegator=carol, delegate=bob, starts_on=today, ends_on=today)
        request = order(alice, catalog.laptop)
        approval = pending(request, carol)
        services.decide_approval(approval=approval, actor=bob, approve=True, comment="For Carol")
        approval.refresh_from_db()
        assert approval.decided_by == bob and approval.approver == carol
        decided = TicketEvent.objects.get(ticket=request, kind="approval", new_display__startswith="Approved by")
        assert f"{bob.get_full_name()} for {carol.get_full_name()}" in decided.new_display

    def test_expired_delegation_gives_no_right(self, alice, bob, carol, catalog):
        yesterday = timezone.localdate() - timedelta(days=1)
        ApprovalDelegation.objects.create(delegator=carol, delegate=bob, starts_on=yesterday, ends_on=yesterday)
        request = order(alice, catalog.laptop)
        with pytest.raises(PermissionDenied):
            services.decide_approval(approval=pending(request, carol), actor=bob, approve=True)

    def test_without_a_manager_the_fulfilment_group_manager_decides(self, bob, mona, catalog):
        request = order(bob, catalog.laptop)  # bob has no profile, no manager
        assert pending(request, mona).step_name == "Manager"

    def test_requester_is_never_their_own_group_approver(self, catalog, carol, finance):
        fred = finance.members.get(username="fred")
        from servicedesk.models import Profile

        Profile.objects.create(user=fred, manager=carol)
        request = order(fred, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        approvers = set(
            Approval.objects.filter(line__request=request, step=1).values_list("approver__username", flat=True)
        )
        assert approvers == {"gina"}

    def test_standard_item_skips_approval(self, alice, catalog):
        request = order(alice, catalog.reset, answers=[answer("account", "alice")])
        assert refreshed(request).state == RequestState.IN_FULFILMENT
        assert not Approval.objects.filter(line__request=request).exists()


@pytest.mark.django_db
class TestOrdering:
    def test_item_not_open_to_the_user_is_refused(self, bob, catalog):
        with pytest.raises(PermissionDenied):
            order(bob, catalog.dev_vm, answers=[])
        assert not ServiceRequest.objects.exists()

    def test_department_member_may_order(self, alice, catalog):
        request = order(alice, catalog.dev_vm, answers=[])
        assert request.lines.get().item == catalog.dev_vm

    def test_quantity_bounds(self, alice, catalog):
        for quantity in (0, 4, True):
            with pytest.raises(RequestError):
                order(alice, catalog.laptop, quantity=quantity)
        assert not ServiceRequest.objects.exists()

    def test_answers_are_stored_typed(self, alice, catalog):
        from datetime import date

        request = order(
            alice,
            catalog.laptop,
            answers=[answer("model", "pro", 'Pro 16"', "choice"), answer("needed_by", date(2030, 1, 2), type_="date")],
        )
        line = request.lines.get()
        values = {a.key: a.value for a in line.answers.all()}
        assert values == {"model": "pro", "needed_by": date(2030, 1, 2)}
        assert line.item_version == catalog.laptop.current_version

    def test_requests_keep_their_version(self, alice, catalog):
        from requests_catalog.definition import publish_version

        request = order(alice, catalog.laptop)
        ordered_under = request.lines.get().item_version
        catalog.laptop.name = "Laptop (2027 range)"
        catalog.laptop.save()
        newer = publish_version(catalog.laptop)
        assert newer.number == ordered_under.number + 1
        assert request.lines.get().item_version == ordered_under
        assert ordered_under.definition["name"] == "Laptop"

    def test_publishing_unchanged_rows_makes_no_new_version(self, catalog):
        from requests_catalog.definition import publish_version

        assert publish_version(catalog.laptop) == catalog.laptop.current_version

    def test_ordering_for_someone_else_makes_them_a_watcher(self, alice, bob, catalog, carol):
        request = order(alice, catalog.reset, answers=[answer("account", "bob")], requested_for=bob)
        assert request.requested_for == bob
        assert request.watchers.filter(pk=bob.pk).exists()
        assert ServiceRequest.objects.for_portal(bob).filter(pk=request.pk).exists()


@pytest.mark.django_db
class TestFulfilment:
    def approved(self, alice, carol, catalog):
        request = order(alice, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        fred = Approval.objects.get(line__request=request, approver__username="fred")
        services.decide_approval(approval=fred, actor=fred.approver, approve=True)
        return refreshed(request)

    def test_steps_run_in_order_and_parallel_tasks_together(self, alice, carol, catalog, lin, lee):
        request = self.approved(alice, carol, catalog)
        prepare, hand_over, account = tasks_of(request)
        assert prepare.number.startswith("TASK")
        assert (prepare.state, hand_over.state, account.state) == (TaskState.OPEN, TaskState.PENDING, TaskState.PENDING)
        assert account.assignment_group.name == "Identity"
        assert prepare.assignment_group.name == "Desktop Support"

        services.complete_task(task=prepare, actor=lin, notes="Imaged")
        prepare, hand_over, account = tasks_of(request)
        assert (hand_over.state, account.state) == (TaskState.OPEN, TaskState.OPEN)

        services.complete_task(task=hand_over, actor=lin, notes="Given to Alice")
        assert refreshed(request).state == RequestState.IN_FULFILMENT
        services.complete_task(task=account, actor=lee, notes="Enrolled")
        request = refreshed(request)
        assert request.state == RequestState.FULFILLED
        assert request.lines.get().state == ItemState.FULFILLED
        services.close_request(request=request, actor=alice)
        assert refreshed(request).state == RequestState.CLOSED

    def test_task_outside_my_groups_is_refused(self, alice, carol, catalog, lee):
        request = self.approved(alice, carol, catalog)
        prepare = tasks_of(request)[0]
        before = ticket_state(prepare)
        with pytest.raises(PermissionDenied):
            services.complete_task(task=prepare, actor=lee, notes="not mine")
        with pytest.raises(PermissionDenied):
            services.complete_task(task=prepare, actor=alice, notes="requester")
        assert ticket_state(FulfilmentTask.objects.get(pk=prepare.pk)) == before

    def test_pending_task_cannot_be_completed(self, alice, carol, catalog, lin):
        request = self.approved(alice, carol, catalog)
        hand_over = tasks_of(request)[1]
        with pytest.raises(RequestError):
            services.complete_task(task=hand_over, actor=lin)

    def test_question_to_requester_and_answer_resumes_the_task(self, alice, carol, catalog, lin):
        from servicedesk.services import add_comment

        request = self.approved(alice, carol, catalog)
        prepare = tasks_of(request)[0]
        services.ask_requester(task=prepare, actor=lin, question="Which keyboard layout?")
        assert tasks_of(request)[0].state == TaskState.AWAITING_REQUESTER
        assert request.comments.get().body == "Which keyboard layout?"
        add_comment(ticket=request, author=alice, body="German, please")
        assert tasks_of(request)[0].state == TaskState.IN_PROGRESS

    def test_tasks_never_show_in_the_portal(self, alice, carol, catalog):
        from servicedesk.models import Ticket

        request = self.approved(alice, carol, catalog)
        kinds = set(Ticket.objects.for_portal(alice).values_list("kind", flat=True))
        assert kinds == {"request"}
        assert FulfilmentTask.objects.filter(request=request, requester=alice).exists()


@pytest.mark.django_db
class TestCancel:
    def test_requester_cancels_before_fulfilment(self, alice, carol, catalog):
        request = order(alice, catalog.laptop)
        services.cancel_request(request=request, actor=alice, reason="Got one from a colleague")
        request = refreshed(request)
        assert request.state == RequestState.CANCELLED
        assert not Approval.objects.filter(line__request=request, state=ApprovalState.REQUESTED).exists()

    def test_no_cancel_once_fulfilment_started(self, alice, catalog):
        request = order(alice, catalog.reset, answers=[answer("account", "alice")])
        with pytest.raises(RequestError):
            services.cancel_request(request=request, actor=alice, reason="Changed my mind")
        assert refreshed(request).state == RequestState.IN_FULFILMENT

    def test_stranger_cannot_cancel(self, alice, bob, catalog):
        request = order(alice, catalog.laptop)
        with pytest.raises(PermissionDenied):
            services.cancel_request(request=request, actor=bob, reason="mischief")
        assert refreshed(request).state == RequestState.AWAITING_APPROVAL

    def test_cancel_needs_a_reason(self, alice, catalog):
        request = order(alice, catalog.laptop)
        with pytest.raises(RequestError):
            services.cancel_request(request=request, actor=alice, reason="")


def test_admin_field_types_are_the_engine_types():
    from requests_catalog.choices import FieldType
    from requests_catalog.form_engine import FIELD_TYPES

    assert tuple(FieldType.values) == FIELD_TYPES


@pytest.mark.django_db
def test_approver_gets_an_email_with_the_approval_link(alice, carol, catalog, sent_tasks, mailoutbox, settings):
    from django.test import TestCase

    from servicedesk.models import Notification

    with TestCase.captureOnCommitCallbacks(execute=True):
        request = order(alice, catalog.laptop)
    approval = pending(request, carol)
    notification = Notification.objects.get(recipient=carol)
    assert notification.pk in sent_tasks
    assert deliver_notification.run(notification.pk) == "sent"
    (email,) = mailoutbox
    assert email.to == [carol.email]
    assert "Your approval, please" in email.subject and request.number in email.subject
    assert f"{settings.SITE_URL}/portal/approvals/{approval.pk}/" in email.body


@pytest.mark.django_db
def test_delegate_is_told_too(alice, bob, carol, catalog, sent_tasks):
    from servicedesk.models import Notification

    today = timezone.localdate()
    ApprovalDelegation.objects.create(delegator=carol, delegate=bob, starts_on=today, ends_on=today)
    order(alice, catalog.laptop)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) >= {"carol", "bob"}


@pytest.mark.django_db
def test_bulk_actions_run_the_task_services(alice, lee, lin, catalog):
    from servicedesk import bulk

    first = order(alice, catalog.reset, answers=[answer("account", "a")])
    second = order(alice, catalog.reset, answers=[answer("account", "b")])
    numbers = [FulfilmentTask.objects.get(request=r).number for r in (first, second)]
    refused = bulk.bulk_change_state(actor=lin, numbers=numbers, kind="task", action="complete_task", values={})
    assert len(refused.failed) == 2  # lin is not in Identity
    done = bulk.bulk_change_state(
        actor=lee, numbers=numbers, kind="task", action="complete_task", values={"notes": "Reset both"}
    )
    assert not done.failed
    assert {refreshed(r).state for r in (first, second)} == {RequestState.FULFILLED}


@pytest.mark.django_db
def test_fulfilled_requests_close_themselves_after_the_configured_days(alice, lee, catalog, settings):
    import time_machine

    settings.CATALOG_CLOSE_FULFILLED_AFTER_DAYS = 5
    request = order(alice, catalog.reset, answers=[answer("account", "a")])
    services.complete_task(task=FulfilmentTask.objects.get(request=request), actor=lee)
    assert services.close_fulfilled_requests() == 0
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert services.close_fulfilled_requests() == 1
    request = refreshed(request)
    assert request.state == RequestState.CLOSED
    event = TicketEvent.objects.filter(ticket=request, kind="state").last()
    assert event.actor is None and "automatically" in event.reason
