"""Two people act on one request at the same moment: decisions and task completions are never counted twice."""

import pytest

from requests_catalog import services
from requests_catalog.choices import ApprovalState, RequestState, TaskState
from requests_catalog.models import Approval, FulfilmentTask, ServiceRequest
from servicedesk.choices import EventKind
from servicedesk.models import TicketEvent
from tests.factories import in_threads

from .test_workflow import order, pending

ROUNDS = 3


@pytest.fixture
def approved_by_manager(transactional_db, sent_tasks, alice, carol, catalog):
    def make():
        request = order(alice, catalog.laptop)
        services.decide_approval(approval=pending(request, carol), actor=carol, approve=True)
        return request

    return make


def test_two_group_members_approve_at_once_one_decision_counts(approved_by_manager):
    for _ in range(ROUNDS):
        request = approved_by_manager()
        fred, gina = Approval.objects.filter(line__request=request, step=1).order_by("approver__username")
        results = in_threads(
            lambda a=fred: services.decide_approval(approval=a, actor=a.approver, approve=True),
            lambda a=gina: services.decide_approval(approval=a, actor=a.approver, approve=True),
        )
        assert sum(isinstance(r, Approval) for r in results) == 1
        assert sum(isinstance(r, services.RequestError) for r in results) == 1
        states = sorted(Approval.objects.filter(line__request=request, step=1).values_list("state", flat=True))
        assert states == [ApprovalState.APPROVED, ApprovalState.NOT_NEEDED]
        assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.IN_FULFILMENT
        assert FulfilmentTask.objects.filter(request=request).count() == 3


def test_parallel_tasks_finished_at_once_fulfil_the_request_once(approved_by_manager, lin, lee):
    for _ in range(ROUNDS):
        request = approved_by_manager()
        fred = Approval.objects.get(line__request=request, step=1, approver__username="fred")
        services.decide_approval(approval=fred, actor=fred.approver, approve=True)
        prepare, hand_over, account = FulfilmentTask.objects.filter(request=request).order_by("step", "pk")
        services.complete_task(task=prepare, actor=lin)
        results = in_threads(
            lambda t=hand_over: services.complete_task(task=t, actor=lin, notes="handed over"),
            lambda t=account: services.complete_task(task=t, actor=lee, notes="enrolled"),
        )
        assert all(isinstance(r, FulfilmentTask) for r in results), results
        assert set(FulfilmentTask.objects.filter(request=request).values_list("state", flat=True)) == {TaskState.DONE}
        assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.FULFILLED
        fulfilled = TicketEvent.objects.filter(ticket=request, kind=EventKind.STATE, new_value=RequestState.FULFILLED)
        assert fulfilled.count() == 1
