"""Fixtures shared by every test: people in each role, support groups, incidents made through services."""

import pytest

from servicedesk import roles

from .factories import AssignmentGroupFactory, UserFactory, report


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
