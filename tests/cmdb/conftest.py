"""CMDB fixtures: a CMDB Manager, the default classes and relation types (data migration), CIs made via services."""

import pytest

from cmdb import services
from cmdb.models import CIClass, RelationType
from servicedesk import roles
from tests.factories import UserFactory


@pytest.fixture
def carl(db):
    """A CMDB Manager."""
    return UserFactory(username="carl", roles=[roles.CMDB_MANAGER])


@pytest.fixture
def cls(db):
    """The default classes by name."""
    return {c.name: c for c in CIClass.objects.all()}


@pytest.fixture
def rel(db):
    """The default relation types by name."""
    return {t.name: t for t in RelationType.objects.all()}


@pytest.fixture
def make_ci(carl, cls):
    def make(name, class_name="Linux Server", **fields):
        return services.create_ci(actor=carl, ci_class=cls[class_name], name=name, **fields)

    return make


@pytest.fixture
def relate(carl, rel):
    def make(source, type_name, target):
        return services.add_relation(actor=carl, source=source, target=target, relation_type=rel[type_name])

    return make
