"""Fixtures shared by every test: people in each role, support groups, incidents made through services."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client

from incidents.models import Incident
from incidents.services import resolve_incident, take_incident
from servicedesk import roles
from servicedesk.models import Attachment
from servicedesk.services import add_comment

from .factories import AssignmentGroupFactory, UserFactory, report, upload


def pytest_configure():
    """WhiteNoise warns on every request when STATIC_ROOT is missing; the bootstrap makes it, plain pytest may not."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def service_desk(db, lin, mona):
    return AssignmentGroupFactory(name="Service Desk", is_default=True, manager=mona, members=[lin])


@pytest.fixture
def network_team(db, lee, mona):
    return AssignmentGroupFactory(name="Network Operations", manager=mona, members=[lee])


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", roles=[roles.REQUESTER])


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", roles=[roles.REQUESTER])


@pytest.fixture
def lin(db):
    return UserFactory(username="lin", roles=[roles.AGENT_L1])


@pytest.fixture
def lee(db):
    return UserFactory(username="lee", roles=[roles.AGENT_L2])


@pytest.fixture
def mona(db):
    return UserFactory(username="mona", roles=[roles.SERVICE_DESK_MANAGER])


@pytest.fixture
def incident(alice, service_desk):
    """A New incident alice reported in the portal; routed to the default Service Desk group."""
    return report(alice, title="Cannot connect to the Wi-Fi", description="Since **this morning**.")


@pytest.fixture
def login(db):
    """login(user) -> a test client signed in as that user (one client per user, so several can be used at once)."""

    def _login(user):
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def in_progress_incident(incident, lin):
    """alice's incident, taken by lin (assigned to him and In Progress)."""
    return take_incident(incident=incident, actor=lin)


@pytest.fixture
def resolved_incident(in_progress_incident, lin):
    """alice's incident, resolved by lin and waiting for her to confirm."""
    return resolve_incident(
        incident=in_progress_incident, actor=lin, code="permanent", notes="Replaced the access point."
    )


@pytest.fixture
def sent_tasks(monkeypatch):
    """Record notification deliveries enqueued after commit instead of sending them to a broker."""
    queued: list[int] = []

    class RecordingTask:
        @staticmethod
        def delay(notification_ids):
            queued.extend(notification_ids)

    monkeypatch.setattr("servicedesk.tasks.deliver_notifications", RecordingTask)
    return queued


@pytest.fixture
def conversation(incident, alice, lin):
    """alice's incident with her screenshot, lin's public reply, and lin's internal work note with a log file."""
    add_comment(ticket=incident, author=alice, body="Here is a screenshot.", files=[upload("wifi-error.png")])
    add_comment(ticket=incident, author=lin, body="Please forget the network and join it again.")
    add_comment(
        ticket=incident,
        author=lin,
        body="INTERNAL-NOTE: access point 3 runs the buggy firmware.",
        internal=True,
        files=[upload("ap3-internal.log", b"radio reset x42\n")],
    )
    return SimpleNamespace(
        ticket=Incident.objects.get(pk=incident.pk),
        public_attachment=Attachment.objects.get(ticket=incident, is_internal=False),
        internal_attachment=Attachment.objects.get(ticket=incident, is_internal=True),
    )


@pytest.fixture
def redis(tmp_path):
    """A private redis-server on a free port, without persistence, for tests that start real Celery programs
    (tests/processes.py); a test may stop and start it again."""
    from .processes import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
