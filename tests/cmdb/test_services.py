"""CI writes through the services: identifiers unique per class subtree, history per changed field, relations."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cmdb import services
from cmdb.models import CIHistory, ConfigurationItem, Relation
from cmdb.rules import CMDB_MANAGER
from cmdb.selectors import ci_history
from servicedesk import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_sets_class_type_and_history(carl, make_ci):
    ci = make_ci(
        "srv01",
        attributes={"hostname": "srv01", "cpu_count": 4},
        environment="staging",
        owner_group="Unix Team",
        location="DC1",
    )
    assert ci.ci_type == "server" and ci.ci_class.name == "Linux Server"
    assert (ci.environment, ci.owner_group, ci.location) == ("staging", "Unix Team", "DC1")
    fields = {h.field: h.new_value for h in ci_history(ci)}
    assert fields["class"] == "Linux Server"
    assert fields["attributes.hostname"] == "srv01"
    assert fields["attributes.cpu_count"] == 4
    assert all(h.actor == carl and h.old_value is None for h in ci_history(ci))


def test_identifier_unique_across_the_defining_class_and_its_subclasses(make_ci):
    make_ci("srv01", "Linux Server", attributes={"hostname": "srv01.example.com"})
    with pytest.raises(ValidationError) as caught:
        make_ci("srv01-win", "Windows Server", attributes={"hostname": "srv01.example.com"})
    assert "hostname" in caught.value.message_dict
    # Another branch defining its own hostname is another namespace.
    make_ci("sw01", "Switch", attributes={"hostname": "srv01.example.com"})
    # Serial numbers belong to Hardware: a workstation and a server cannot share one.
    make_ci("lt01", "Workstation", attributes={"serial_number": "SN-1"})
    with pytest.raises(ValidationError):
        make_ci("srv02", "Server", attributes={"serial_number": "SN-1"})
    assert not ConfigurationItem.objects.filter(name__in=["srv01-win", "srv02"]).exists()


def test_update_keeps_own_identifier_and_refuses_anothers(carl, make_ci):
    one = make_ci("srv01", attributes={"hostname": "one"})
    two = make_ci("srv02", attributes={"hostname": "two"})
    services.update_ci(actor=carl, ci=one, attributes={"hostname": "one", "os": "Debian"})
    with pytest.raises(ValidationError):
        services.update_ci(actor=carl, ci=two, attributes={"hostname": "one"})
    two.refresh_from_db()
    assert two.attributes == {"hostname": "two"}


def test_update_writes_one_history_row_per_changed_field(carl, make_ci):
    ci = make_ci("srv01", attributes={"hostname": "srv01", "os": "Debian 11", "cpu_count": 2})
    before = CIHistory.objects.filter(ci=ci).count()
    services.update_ci(
        actor=carl,
        ci=ci,
        location="DC2",
        status="maintenance",
        attributes={"os": "Debian 12", "cpu_count": None, "memory_gb": "32"},
    )
    new = {h.field: (h.old_value, h.new_value) for h in CIHistory.objects.filter(ci=ci).order_by("pk")[before:]}
    assert new == {
        "status": ("in_service", "maintenance"),
        "location": ("", "DC2"),
        "attributes.os": ("Debian 11", "Debian 12"),
        "attributes.cpu_count": (2, None),
        "attributes.memory_gb": (None, 32),
    }
    ci.refresh_from_db()
    assert ci.attributes == {"hostname": "srv01", "os": "Debian 12", "memory_gb": 32}
    # Nothing changed, nothing written.
    services.update_ci(actor=carl, ci=ci, location="DC2")
    assert CIHistory.objects.filter(ci=ci).count() == before + 5


def test_history_is_append_only(make_ci):
    row = CIHistory.objects.filter(ci=make_ci("srv01")).first()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        CIHistory.objects.filter(pk=row.pk).update(field="tampered")


def test_changing_class_drops_undefined_values_and_updates_type(carl, cls, make_ci):
    ci = make_ci("box", "Linux Server", attributes={"hostname": "box", "kernel_version": "6.1"})
    with pytest.raises(ValidationError) as caught:
        services.update_ci(actor=carl, ci=ci, ci_class=cls["Windows Server"], attributes={"windows_edition": "Home"})
    assert "windows_edition" in caught.value.message_dict
    ci = services.update_ci(actor=carl, ci=ci, ci_class=cls["Windows Server"])
    assert ci.ci_type == "server" and ci.attributes == {"hostname": "box"}
    assert CIHistory.objects.filter(
        ci=ci, field="attributes.kernel_version", old_value="6.1", new_value__isnull=True
    ).exists()
    ci = services.update_ci(actor=carl, ci=ci, ci_class=cls["Workstation"])
    assert ci.ci_type == "workstation" and ci.attributes == {}
    assert CIHistory.objects.filter(ci=ci, field="class", new_value="Workstation").exists()


def test_invalid_updates_are_refused_whole(carl, make_ci):
    ci = make_ci("srv01", attributes={"hostname": "srv01"})
    with pytest.raises(ValidationError):
        services.update_ci(actor=carl, ci=ci, location="DC9", attributes={"cpu_count": "lots"})
    with pytest.raises(ValidationError):
        services.update_ci(actor=carl, ci=ci, status="exploded")
    ci.refresh_from_db()
    assert ci.location == "" and ci.status == "in_service"


def test_names_unique_per_type_with_a_clear_error(make_ci):
    make_ci("srv01")
    with pytest.raises(ValidationError) as caught:
        make_ci("srv01", "Windows Server")
    assert "name" in caught.value.message_dict
    make_ci("srv01", "Database")


def test_retire(carl, make_ci):
    ci = services.retire_ci(actor=carl, ci=make_ci("srv01"))
    assert ci.status == "retired"
    assert ci not in ConfigurationItem.objects.in_use()
    assert CIHistory.objects.filter(ci=ci, field="status", new_value="retired").exists()


def test_relations_follow_allowed_pairs(make_ci, relate):
    app = make_ci("crm", "Application")
    server = make_ci("srv01")
    switch = make_ci("sw01", "Switch")
    relation = relate(app, "runs on", server)
    assert relation.created_by.username == "carl"
    relate(server, "connects to", switch)
    with pytest.raises(ValidationError) as caught:
        relate(server, "runs on", app)  # hardware does not run on software
    assert "relation_type" in caught.value.message_dict
    relate(app, "depends on", switch)  # depends on: any pair


def test_duplicate_and_self_relations_refused(make_ci, relate):
    app, server = make_ci("crm", "Application"), make_ci("srv01")
    relate(app, "runs on", server)
    with pytest.raises(ValidationError, match="already"):
        relate(app, "runs on", server)
    relate(app, "hosted on", server)  # another type is another relation
    with pytest.raises(ValidationError):
        relate(app, "depends on", app)
    assert Relation.objects.count() == 2
    # The database refuses them too.
    first = Relation.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(source=first.source, target=first.target, relation_type=first.relation_type)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(source=app, target=app, relation_type=first.relation_type)


def test_relation_history_on_both_ends_and_removal(carl, make_ci, relate):
    app, server = make_ci("crm", "Application"), make_ci("srv01")
    relation = relate(app, "runs on", server)
    assert ci_history(app).first().new_value == {"relation": "runs on", "ci": server.pk, "name": "srv01"}
    assert ci_history(server).first().new_value == {"relation": "runs", "ci": app.pk, "name": "crm"}
    services.remove_relation(actor=carl, relation=relation)
    assert not Relation.objects.exists()
    assert ci_history(app).first().old_value["relation"] == "runs on" and ci_history(app).first().new_value is None
    assert ci_history(server).first().old_value["relation"] == "runs"


@pytest.mark.parametrize("role", [roles.REQUESTER, roles.AGENT_L1, roles.AGENT_L2, roles.SERVICE_DESK_MANAGER])
def test_only_cmdb_managers_change_the_cmdb(role, carl, cls, rel, make_ci):
    user = UserFactory(username=f"u-{role}", roles=[role])
    ci, other = make_ci("srv01"), make_ci("crm", "Application")
    relation = services.add_relation(actor=carl, source=other, target=ci, relation_type=rel["runs on"])
    with pytest.raises(PermissionDenied):
        services.create_ci(actor=user, ci_class=cls["Server"], name="x")
    with pytest.raises(PermissionDenied):
        services.update_ci(actor=user, ci=ci, location="DC2")
    with pytest.raises(PermissionDenied):
        services.retire_ci(actor=user, ci=ci)
    with pytest.raises(PermissionDenied):
        services.add_relation(actor=user, source=other, target=ci, relation_type=rel["depends on"])
    with pytest.raises(PermissionDenied):
        services.remove_relation(actor=user, relation=relation)
    assert not ConfigurationItem.objects.filter(name="x").exists()


def test_anonymous_refused_and_administrators_allowed(cls):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.create_ci(actor=AnonymousUser(), ci_class=cls["Server"], name="x")
    admin = UserFactory(username="ada", roles=[roles.ADMINISTRATOR])
    assert services.create_ci(actor=admin, ci_class=cls["Server"], name="x").pk


def test_role_name_matches_servicedesk():
    assert CMDB_MANAGER == roles.CMDB_MANAGER


def test_legacy_creation_by_type_gets_the_types_class(cls):
    ci = ConfigurationItem.objects.create(name="Email", ci_type="business_service")
    assert ci.ci_class == cls["Business Service"]
    server = ConfigurationItem.objects.create(name="fs01", ci_type="server")
    assert server.ci_class == cls["Server"]
    assert ConfigurationItem.objects.create(name="misc").ci_class is None
    assert list(ConfigurationItem.objects.services()) == [ci]
