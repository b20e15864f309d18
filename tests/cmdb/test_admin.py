"""The CMDB admin screens open, and saving a CI or a relation there goes through the services."""

import pytest
from django.urls import reverse

from cmdb.models import CIHistory, ConfigurationItem, Relation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["ciclass", "relationtype", "configurationitem", "relation"])
def test_admin_pages_open(admin_client, model, make_ci, cls):
    ci = make_ci("srv01", attributes={"hostname": "srv01"})
    assert admin_client.get(reverse(f"admin:cmdb_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:cmdb_{model}_add")).status_code == 200
    obj_pk = {"ciclass": cls["Linux Server"].pk, "configurationitem": ci.pk}.get(model)
    if obj_pk:
        assert admin_client.get(reverse(f"admin:cmdb_{model}_change", args=[obj_pk])).status_code == 200


def ci_form(cls, **overrides):
    return {
        "name": "srv09",
        "ci_class": cls["Linux Server"].pk,
        "status": "in_service",
        "environment": "production",
        "owner_group": "",
        "location": "",
        "description": "",
        "attributes": '{"hostname": "srv09", "cpu_count": "4"}',
        **{
            f"{prefix}-{k}": v
            for prefix in ("outgoing_relations", "incoming_relations", "history")
            for k, v in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
        },
        **overrides,
    }


def test_admin_saves_a_ci_through_the_services(admin_client, cls, make_ci):
    response = admin_client.post(reverse("admin:cmdb_configurationitem_add"), ci_form(cls))
    assert response.status_code == 302, response.context["adminform"].form.errors
    ci = ConfigurationItem.objects.get(name="srv09")
    assert ci.attributes == {"hostname": "srv09", "cpu_count": 4}
    assert CIHistory.objects.filter(ci=ci, field="attributes.cpu_count", new_value=4).exists()
    # Bad attributes and a taken identifier come back as form errors, nothing saved.
    bad = admin_client.post(
        reverse("admin:cmdb_configurationitem_add"),
        ci_form(cls, name="srv10", attributes='{"hostname": "srv09", "cpu_count": "x"}'),
    )
    assert bad.status_code == 200
    assert "cpu_count" in " ".join(bad.context["adminform"].form.errors["attributes"])
    taken = admin_client.post(
        reverse("admin:cmdb_configurationitem_add"), ci_form(cls, name="srv10", attributes='{"hostname": "srv09"}')
    )
    assert taken.status_code == 200
    assert "hostname" in " ".join(taken.context["adminform"].form.errors["attributes"])
    assert not ConfigurationItem.objects.filter(name="srv10").exists()


def test_admin_relation_checks_allowed_pairs(admin_client, rel, make_ci):
    app, server = make_ci("crm", "Application"), make_ci("srv01")
    url = reverse("admin:cmdb_relation_add")
    refused = admin_client.post(url, {"source": server.pk, "relation_type": rel["runs on"].pk, "target": app.pk})
    assert refused.status_code == 200 and not Relation.objects.exists()
    saved = admin_client.post(url, {"source": app.pk, "relation_type": rel["runs on"].pk, "target": server.pk})
    assert saved.status_code == 302
    assert Relation.objects.get().created_by.username == "root"
