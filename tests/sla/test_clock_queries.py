"""What following a change costs the SLA clocks, in SQL statements per ticket.

Desk bulk actions run one change per selected row, each in its own transaction, so every statement here is paid
a hundred times per click (bench/bulk.py times them). The first row of an action fills per-request caches (the
engineer's permissions and groups), so each test changes one ticket first and counts the next one, as a bulk
action's later rows run. A count is the action's row lookup (1) plus one row.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk import bulk
from sla.models import ClockStatus, SLAClock
from tests.factories import report

from .test_clocks import always, clock, policy  # noqa: F401 - the policy fixtures (24x7, P3: 4 h / 24 h)

pytestmark = pytest.mark.django_db

ROW_LOOKUP = 1
# The whole row, savepoints included: the core's change (lock, update of the ticket and its practice table,
# activity rows) and the SLA clocks' part. Raise these only with a reason; the SLA's own share is pinned below.
ASSIGN_ROW = 12
# Resolving also tells the requester (alice has an email address): her preferences and webhooks, the outbox row.
RESOLVE_ROW = 16
NOTE_ROW = 9
START_WORK_ROW = 9


SLA_TABLE = re.compile(r'(FROM|INTO|UPDATE|JOIN) "sla_')


def sla_statements(captured) -> list[str]:
    """The statements on the SLA app's tables."""
    return [query["sql"] for query in captured if SLA_TABLE.search(query["sql"])]


def ticket_updates(captured) -> list[str]:
    return [query["sql"] for query in captured if query["sql"].startswith('UPDATE "servicedesk_ticket"')]


@pytest.fixture
def rows(alice, lin, service_desk, policy):  # noqa: F811
    """Three incidents in the Service Desk queue; the first is changed before counting, to warm the caches."""
    return [report(alice, priority=3, title=f"Row {n}") for n in range(3)]


def assign(lin, service_desk, ticket):
    return bulk.bulk_assign(actor=lin, numbers=[ticket.number], group=service_desk, assignee=lin)


def resolve(lin, ticket):
    values = {"code": "permanent", "notes": "Fixed"}
    return bulk.bulk_change_state(actor=lin, numbers=[ticket.number], kind="incident", action="resolve", values=values)


def start_work(lin, ticket):
    return bulk.bulk_change_state(actor=lin, numbers=[ticket.number], kind="incident", action="start_work", values={})


def note(lin, ticket):
    return bulk.bulk_add_note(actor=lin, numbers=[ticket.number], body="Checked the cable", time_spent_minutes=5)


def test_an_assign_costs_the_sla_three_statements_and_no_second_ticket_update(
    rows, lin, service_desk, django_assert_max_num_queries
):
    first, second, _third = rows
    assign(lin, service_desk, first)
    with django_assert_max_num_queries(ROW_LOOKUP + ASSIGN_ROW) as captured:
        assert assign(lin, service_desk, second).applied == [second.number]
    # Read and lock the clocks, stop the response clock, its timeline row; the deadline rides on the ticket's save.
    assert len(sla_statements(captured)) == 3
    assert len(ticket_updates(captured)) == 1
    second.refresh_from_db()
    assert clock(second, "response").status == ClockStatus.STOPPED
    assert second.sla_due_at == clock(second).breach_at


def test_a_resolve_costs_the_sla_three_statements(rows, lin, service_desk, django_assert_max_num_queries):
    first, second, _third = rows
    for ticket in (first, second):
        assign(lin, service_desk, ticket)
    resolve(lin, first)
    with django_assert_max_num_queries(ROW_LOOKUP + RESOLVE_ROW) as captured:
        assert resolve(lin, second).applied == [second.number]
    assert len(sla_statements(captured)) == 3
    assert len(ticket_updates(captured)) == 1
    second.refresh_from_db()
    assert clock(second).status == ClockStatus.STOPPED and second.sla_due_at is None


def test_a_work_note_does_not_touch_the_clocks(rows, lin, service_desk, django_assert_max_num_queries):
    first, second, _third = rows
    for ticket in (first, second):
        assign(lin, service_desk, ticket)
    before = list(SLAClock.objects.filter(ticket=second).values())
    note(lin, first)
    with django_assert_max_num_queries(ROW_LOOKUP + NOTE_ROW) as captured:
        assert note(lin, second).applied == [second.number]
    assert sla_statements(captured) == []
    assert list(SLAClock.objects.filter(ticket=second).values()) == before


def test_start_work_only_reads_the_clocks(rows, lin, service_desk, django_assert_max_num_queries):
    first, second, _third = rows
    for ticket in (first, second):
        assign(lin, service_desk, ticket)
    start_work(lin, first)
    with django_assert_max_num_queries(ROW_LOOKUP + START_WORK_ROW) as captured:
        assert start_work(lin, second).applied == [second.number]
    assert len(sla_statements(captured)) == 1  # a state change may pause or stop a clock: they are read


def test_the_clocks_lock_locks_their_rows_only(rows, lin, service_desk):
    """Not the policy and calendar rows every ticket shares: two changes of different tickets never queue on them."""
    first, *_rest = rows
    with CaptureQueriesContext(connection) as captured:
        assign(lin, service_desk, first)
    (read,) = [sql for sql in sla_statements(captured) if sql.startswith("SELECT")]
    assert read.endswith('FOR NO KEY UPDATE OF "sla_slaclock"')
