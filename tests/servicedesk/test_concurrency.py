"""Ticket numbers never collide and never skip, however many people report at the same moment."""

import pytest

from incidents.models import Incident
from tests.factories import AssignmentGroupFactory, UserFactory, in_threads, report

THREADS = 8
PER_THREAD = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_get_distinct_gap_free_numbers():
    AssignmentGroupFactory(name="Service Desk", is_default=True)
    reporters = [UserFactory(username=f"reporter{n}") for n in range(THREADS)]

    def report_many(user):
        return [report(user, title=f"{user.username} issue {i}").number for i in range(PER_THREAD)]

    results = in_threads(*(lambda user=user: report_many(user) for user in reporters))

    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    numbers = [number for per_thread in results for number in per_thread]
    assert sorted(numbers) == [f"INC{n:07d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert Incident.objects.count() == THREADS * PER_THREAD
    # Each thread saw its own numbers in increasing order.
    assert all(per_thread == sorted(per_thread) for per_thread in results)
