"""Who owns a CI, and what end users may pick: their own CIs and those of classes offered to everyone.

Engineers pick among every CI in use; an end user never sees (nor can post) a CI of somebody else's.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from cmdb import imports, services
from cmdb.choices import CIStatus
from cmdb.models import CIClass, CIHistory, ConfigurationItem
from incidents.models import Incident
from incidents.services import report_incident
from requests_catalog.form_engine import build_order_form
from servicedesk.services import TicketError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(make_ci, alice, bob):
    return {
        "alice_laptop": make_ci("LT-1", "Workstation", owned_by=alice, attributes={"asset_tag": "LT-1"}),
        "bob_laptop": make_ci("LT-2", "Workstation", owned_by=bob, attributes={"asset_tag": "LT-2"}),
        "server": make_ci("srv01", attributes={"hostname": "srv01"}),
        "email": make_ci("Email", "Business Service"),
        "old_laptop": make_ci("LT-0", "Workstation", owned_by=alice, status=CIStatus.RETIRED),
    }


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_business_services_are_offered_to_everyone_by_the_migration():
    assert CIClass.objects.get(name="Business Service").offered_to_all
    assert not CIClass.objects.get(name="Workstation").offered_to_all


def test_an_end_user_sees_their_own_cis_in_use_and_the_offered_ones(estate, alice, bob):
    assert names(ConfigurationItem.objects.visible_to(alice)) == {"LT-1", "Email"}
    assert names(ConfigurationItem.objects.visible_to(bob)) == {"LT-2", "Email"}


def test_engineers_see_every_ci_in_use(estate, lin):
    assert names(ConfigurationItem.objects.visible_to(lin)) == {"LT-1", "LT-2", "srv01", "Email"}


def test_nobody_and_anonymous_see_nothing(estate):
    assert not ConfigurationItem.objects.visible_to(None).exists()
    assert not ConfigurationItem.objects.visible_to(AnonymousUser()).exists()


def test_a_class_offered_to_everyone_opens_its_cis(estate, alice, cls):
    cls["Linux Server"].offered_to_all = True
    cls["Linux Server"].save()
    assert "srv01" in names(ConfigurationItem.objects.visible_to(alice))


def test_ownership_changes_are_in_the_history(carl, estate, alice, bob):
    laptop = estate["alice_laptop"]
    assert CIHistory.objects.filter(ci=laptop, field="owned_by").get().new_value == "alice"
    services.update_ci(actor=carl, ci=laptop, owned_by=bob)
    services.update_ci(actor=carl, ci=laptop, owned_by=None)
    laptop.refresh_from_db()
    assert laptop.owned_by is None
    changes = list(
        CIHistory.objects.filter(ci=laptop, field="owned_by").order_by("pk").values_list("old_value", "new_value")
    )
    assert changes == [(None, "alice"), ("alice", "bob"), ("bob", None)]
    services.update_ci(actor=carl, ci=laptop, owned_by=None)  # no change, no row
    assert CIHistory.objects.filter(ci=laptop, field="owned_by").count() == 3


# -- the portal's report form ---------------------------------------------------------------------------


def test_the_report_form_offers_the_reporters_devices_and_the_services(login, alice, estate):
    form = login(alice).get(reverse("incidents:report")).context["form"]
    assert names(form.fields["affected_service"].queryset) == {"Email"}
    assert names(form.fields["configuration_item"].queryset) == {"LT-1"}
    html = login(alice).get(reverse("incidents:report")).content.decode()
    assert "LT-1" in html and "LT-2" not in html and "srv01" not in html


def test_a_reporter_without_devices_gets_no_device_question(login, estate):
    carol = UserFactory(username="carol")
    form = login(carol).get(reverse("incidents:report")).context["form"]
    assert "configuration_item" not in form.fields
    assert names(form.fields["affected_service"].queryset) == {"Email"}


def test_reporting_on_my_laptop_and_a_service_links_them(login, alice, estate, service_desk):
    response = login(alice).post(
        reverse("incidents:report"),
        {
            "title": "Laptop will not boot",
            "configuration_item": estate["alice_laptop"].pk,
            "affected_service": estate["email"].pk,
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.configuration_item, incident.affected_service) == (estate["alice_laptop"], estate["email"])


@pytest.mark.parametrize("ci", ["bob_laptop", "server", "old_laptop"])
def test_posting_somebody_elses_ci_is_a_field_error_and_creates_nothing(login, alice, estate, service_desk, ci):
    response = login(alice).post(reverse("incidents:report"), {"title": "Broken", "configuration_item": estate[ci].pk})
    assert response.status_code == 200
    assert "configuration_item" in response.context["form"].errors
    assert Incident.objects.count() == 0


def test_the_service_refuses_a_ci_the_reporter_may_not_pick(alice, estate, service_desk):
    with pytest.raises(TicketError):
        report_incident(actor=alice, title="Broken", configuration_item=estate["bob_laptop"])
    with pytest.raises(TicketError):
        report_incident(actor=alice, title="Broken", affected_service=estate["alice_laptop"])  # not a service
    assert Incident.objects.count() == 0


def test_the_desk_may_report_on_any_ci_for_a_caller(lin, alice, estate, service_desk):
    incident = report_incident(actor=lin, requester=alice, title="Server down", configuration_item=estate["server"])
    assert incident.configuration_item == estate["server"]


# -- catalog order forms ----------------------------------------------------------------------------------


def test_a_catalog_ci_question_offers_an_end_user_only_their_own(alice, lin, estate):
    definition = [{"key": "device", "label": "Device", "type": "ci", "ci_types": ["workstation"]}]
    assert names(build_order_form(definition, user=alice).fields["device"].queryset) == {"LT-1"}
    assert names(build_order_form(definition, user=lin).fields["device"].queryset) == {"LT-1", "LT-2"}
    refused = build_order_form(definition, user=alice, data={"device": str(estate["bob_laptop"].pk)})
    assert not refused.is_valid() and "device" in refused.errors


# -- admin, import, CI page ---------------------------------------------------------------------------------


def test_import_sets_owners_by_username_or_email_and_refuses_unknown_ones(carl, alice, bob):
    bob.email = "bob@example.com"
    bob.save()
    text = (
        "class,name,owned_by,asset_tag\n"
        "Workstation,LT-7,alice,LT-7\n"
        "Workstation,LT-8,BOB@example.com,LT-8\n"
        "Workstation,LT-9,nobody,LT-9\n"
    )
    report = imports.import_cis(text, fmt="csv", actor=carl)
    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "error": 1}
    assert [r.errors for r in report.rows if r.action == "error"] == [
        {"owned_by": ["No active user with that username or email."]}
    ]
    assert ConfigurationItem.objects.get(name="LT-7").owned_by == alice
    assert ConfigurationItem.objects.get(name="LT-8").owned_by == bob
    assert not ConfigurationItem.objects.filter(name="LT-9").exists()

    again = imports.import_cis(
        "class,name,owned_by,asset_tag\nWorkstation,LT-7,bob,LT-7\nWorkstation,LT-8,,LT-8\n", fmt="csv", actor=carl
    )
    assert again.counts == {"created": 0, "updated": 1, "unchanged": 1, "error": 0}
    lt7 = ConfigurationItem.objects.get(name="LT-7")
    assert lt7.owned_by == bob
    assert CIHistory.objects.filter(ci=lt7, field="owned_by").latest("pk").old_value == "alice"
    assert ConfigurationItem.objects.get(name="LT-8").owned_by == bob  # an empty cell keeps the owner

    exported = imports.to_csv(imports.export_document()["cis"])
    assert "owned_by" in exported.splitlines()[0] and ",bob," in exported


def test_the_ci_page_names_the_owner_and_labels_the_timeline(login, lin, estate):
    response = login(lin).get(reverse("cmdb:ci_detail", args=[estate["alice_laptop"].pk]))
    html = response.content.decode()
    assert "Owned by" in html and "alice" in html
    labels = {entry.field: str(entry.label) for entry in response.context["history"]}
    assert labels["owned_by"] == "owned by" and labels["attributes.asset_tag"] == "Asset tag"


def test_admin_saves_the_owner_through_the_services(client, estate, bob):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    laptop = estate["alice_laptop"]
    data = {
        "name": laptop.name,
        "ci_class": laptop.ci_class_id,
        "status": laptop.status,
        "environment": laptop.environment,
        "owner_group": "",
        "owned_by": bob.pk,
        "location": "",
        "description": "",
        "attributes": '{"asset_tag": "LT-1"}',
        **{
            f"{prefix}-{k}": v
            for prefix in ("outgoing_relations", "incoming_relations", "history")
            for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    response = client.post(reverse("admin:cmdb_configurationitem_change", args=[laptop.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    laptop.refresh_from_db()
    assert laptop.owned_by == bob
    assert CIHistory.objects.filter(ci=laptop, field="owned_by").latest("pk").new_value == "bob"
