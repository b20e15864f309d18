"""Two people change one incident at the same moment: exactly one wins, the other is told, nothing is lost."""

import pytest

from incidents import services
from incidents.models import Incident
from servicedesk import roles
from servicedesk.choices import EventKind
from servicedesk.models import TicketEvent
from servicedesk.services import ChangedMeanwhile, TicketError
from tests.factories import AssignmentGroupFactory, UserFactory, in_threads, report

ROUNDS = 5


@pytest.fixture
def people(transactional_db, sent_tasks):
    alice = UserFactory(username="alice", roles=[roles.REQUESTER])
    lin = UserFactory(username="lin", roles=[roles.AGENT_L1])
    mona = UserFactory(username="mona", roles=[roles.SERVICE_DESK_MANAGER])
    AssignmentGroupFactory(name="Service Desk", is_default=True, members=[lin])
    return {"alice": alice, "lin": lin, "mona": mona}


def _race(incident, first, second):
    results = in_threads(lambda: first(incident), lambda: second(incident))
    winners = [r for r in results if isinstance(r, Incident)]
    losers = [r for r in results if not isinstance(r, Incident)]
    return winners, losers


def _state_events(incident):
    return TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE).count()


@pytest.mark.parametrize("with_version", [False, True], ids=["no-version", "form-version"])
def test_resolve_and_cancel_at_once_one_wins(people, with_version):
    lin, alice = people["lin"], people["alice"]

    for _ in range(ROUNDS):
        incident = report(alice)
        version = {"expected_version": incident.version} if with_version else {}

        winners, losers = _race(
            incident,
            lambda i, v=version: services.resolve_incident(incident=i, actor=lin, code="permanent", notes="Fixed", **v),
            lambda i, v=version: services.cancel_incident(incident=i, actor=alice, **v),
        )

        assert len(winners) == 1
        assert len(losers) == 1 and isinstance(losers[0], TicketError), losers
        if with_version:
            assert isinstance(losers[0], ChangedMeanwhile)
        fresh = Incident.objects.get(pk=incident.pk)
        assert fresh.state == winners[0].state in {"resolved", "cancelled"}
        assert fresh.version == 2
        assert _state_events(incident) == 1


def test_two_engineers_resolving_at_once_one_wins(people):
    lin, mona, alice = people["lin"], people["mona"], people["alice"]

    for _ in range(ROUNDS):
        incident = report(alice)

        winners, losers = _race(
            incident,
            lambda i: services.resolve_incident(incident=i, actor=lin, code="permanent", notes="lin's fix"),
            lambda i: services.resolve_incident(incident=i, actor=mona, code="workaround", notes="mona's fix"),
        )

        assert len(winners) == 1
        assert len(losers) == 1 and isinstance(losers[0], TicketError), losers
        fresh = Incident.objects.get(pk=incident.pk)
        assert fresh.resolution_notes == winners[0].resolution_notes
        assert _state_events(incident) == 1


def test_hold_and_resolve_at_once_keep_an_exact_log(people):
    """Two engineers on an incident in progress: one puts it on hold, one resolves; the log shows one of them."""
    lin, mona, alice = people["lin"], people["mona"], people["alice"]

    for _ in range(ROUNDS):
        incident = services.take_incident(incident=report(alice), actor=lin)
        version = incident.version
        before = _state_events(incident)

        winners, losers = _race(
            incident,
            lambda i, v=version: services.put_on_hold(
                incident=i, actor=lin, reason="awaiting_vendor", expected_version=v
            ),
            lambda i, v=version: services.resolve_incident(
                incident=i, actor=mona, code="permanent", notes="Fixed", expected_version=v
            ),
        )

        assert len(winners) == 1 and len(losers) == 1
        assert isinstance(losers[0], ChangedMeanwhile), losers
        fresh = Incident.objects.get(pk=incident.pk)
        assert fresh.state == winners[0].state in {"on_hold", "resolved"}
        assert fresh.version == version + 1
        events = list(
            TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE)
            .order_by("pk")
            .values_list("new_value", "actor_id")
        )
        assert len(events) == before + 1
        assert events[-1] == (fresh.state, lin.pk if fresh.state == "on_hold" else mona.pk)
