"""The catalog admin: saving an item publishes a version (or explains why not), export, import, permissions;
and the people screens of servicedesk/admin_people.py (departments, the profile on the user's page)."""

import json

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import MultiWidget
from django.urls import path, reverse

from requests_catalog import transfer
from requests_catalog.models import CatalogItem, CatalogItemVersion, ItemField
from servicedesk.admin_people import register_people_admin
from servicedesk.models import Profile
from tests.factories import UserFactory, messages_of

pytestmark = pytest.mark.django_db

# The people screens on a site of their own (named "admin" for the admin templates' URLs), so these tests do not
# depend on how the project wires them; they run with this module as the URLconf (@pytest.mark.urls).
people_site = AdminSite(name="admin")
register_people_admin(people_site)
urlpatterns = [path("admin/", people_site.urls)]

CHANGELIST = "admin:requests_catalog_catalogitem_changelist"
IMPORT = "admin:requests_catalog_catalogitem_import"


def posted(response) -> dict:
    """The POST a browser would send back from an admin change page as rendered (main form and inlines)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        for name, field in form.fields.items():
            _put(data, form.add_prefix(name), field.widget, form[name].value())
    return data


def _put(data: dict, key: str, widget, value) -> None:
    if isinstance(widget, MultiWidget):
        for index, part in enumerate(widget.decompress(value)):
            data[f"{key}_{index}"] = "" if part is None else str(part)
    elif isinstance(value, bool):
        if value:
            data[key] = "on"
    elif isinstance(value, list | tuple):
        data[key] = [str(v) for v in value]
    else:
        data[key] = "" if value is None else str(value)


def inline_rows(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def change_page(client, item):
    response = client.get(reverse("admin:requests_catalog_catalogitem_change", args=[item.pk]))
    assert response.status_code == 200
    return posted(response)


def new_item_data(catalog, desktop_team, **rows) -> dict:
    return {
        "name": "Monitor",
        "slug": "monitor",
        "category": str(catalog.laptop.category_id),
        "short_description": "",
        "description": "",
        "icon": "",
        "cost": "250.00",
        "max_quantity": "2",
        "expected_delivery_days": "3",
        "fulfilment_group": str(desktop_team.pk),
        "position": "0",
        "is_active": "on",
        **inline_rows("fields", rows.get("fields", [])),
        **inline_rows("approval_steps", rows.get("steps", [])),
        **inline_rows("task_templates", rows.get("tasks", [])),
        "_save": "Save",
    }


SIZE_FIELD = {"position": "1", "key": "size", "label": "Size", "field_type": "choice", "choices": "24\n27|27 inch"}


# -- saving publishes --------------------------------------------------------------------------------


def test_adding_an_item_with_inlines_publishes_version_1(admin_client, admin_user, catalog, desktop_team):
    data = new_item_data(
        catalog,
        desktop_team,
        fields=[SIZE_FIELD, {"position": "2", "key": "note", "label": "Note", "field_type": "text"}],
        steps=[{"position": "1", "name": "Manager", "approver_type": "manager"}],
        tasks=[{"step": "1", "title": "Deliver", "max_attempts": "5", "webhook_headers": ""}],
    )
    response = admin_client.post(reverse("admin:requests_catalog_catalogitem_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    monitor = CatalogItem.objects.get(slug="monitor")
    assert monitor.current_version.number == 1 and monitor.current_version.created_by == admin_user
    assert [spec["key"] for spec in monitor.current_version.form] == ["size", "note"]
    assert monitor.current_version.definition["approval"][0]["approver"] == "manager"
    assert monitor.task_templates.get().webhook_headers == {}  # an emptied JSON box is no headers, not NULL
    assert "Published version 1." in messages_of(response)


def test_changing_an_item_publishes_the_next_version_and_saving_again_publishes_none(admin_client, catalog):
    data = change_page(admin_client, catalog.laptop)
    data.update({"name": "Laptop 2025", "_save": "Save"})
    url = reverse("admin:requests_catalog_catalogitem_change", args=[catalog.laptop.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert "Published version 2." in messages_of(response)

    response = admin_client.post(url, change_page(admin_client, catalog.laptop) | {"_save": "Save"})
    assert response.status_code == 302
    assert "No change: version 2 stays current." in messages_of(response)
    assert catalog.laptop.versions.count() == 2


def test_invalid_form_rows_are_refused_and_publish_nothing(admin_client, catalog):
    data = change_page(admin_client, catalog.laptop)
    data.update({"fields-0-choices": "", "_save": "Save"})  # a choice field without choices
    response = admin_client.post(reverse("admin:requests_catalog_catalogitem_change", args=[catalog.laptop.pk]), data)
    assert response.status_code == 200
    assert "Field model: choices must be a non-empty list" in response.content.decode()
    assert catalog.laptop.versions.count() == 1
    assert ItemField.objects.get(item=catalog.laptop, key="model").choices  # the rows were not saved either


@pytest.mark.parametrize("bound", ["1e9999999", "Infinity"])
def test_absurd_number_bounds_are_refused_before_they_reach_the_definition(admin_client, catalog, bound):
    data = change_page(admin_client, catalog.laptop)
    data.update({"fields-2-field_type": "number", "fields-2-min_value": bound, "_save": "Save"})
    response = admin_client.post(reverse("admin:requests_catalog_catalogitem_change", args=[catalog.laptop.pk]), data)
    assert response.status_code == 200
    assert "Use a number of at most 15 digits." in response.content.decode()


def test_adding_an_item_with_an_invalid_form_creates_nothing(admin_client, catalog, desktop_team):
    data = new_item_data(catalog, desktop_team, fields=[SIZE_FIELD, {**SIZE_FIELD, "position": "2"}])
    response = admin_client.post(reverse("admin:requests_catalog_catalogitem_add"), data)
    assert response.status_code == 200
    assert not CatalogItem.objects.filter(slug="monitor").exists()


def test_an_invalid_condition_is_saved_as_a_draft_without_a_version(admin_client, catalog):
    data = change_page(admin_client, catalog.laptop)
    data.update({"approval_steps-1-auto_approve_field": "colour", "_save": "Save"})
    response = admin_client.post(reverse("admin:requests_catalog_catalogitem_change", args=[catalog.laptop.pk]), data)
    assert response.status_code == 302
    messages = messages_of(response)
    assert any('auto_approve_if field "colour"' in message for message in messages)
    assert "The item is saved, but no version was published." in messages
    laptop = CatalogItem.objects.get(pk=catalog.laptop.pk)
    assert laptop.current_version.number == 1 and laptop.versions.count() == 1
    assert laptop.current_version.definition["approval"][1]["auto_approve_if"]["field"] == "total_cost"


def test_the_change_page_lists_the_versions(admin_client, catalog):
    response = admin_client.get(reverse("admin:requests_catalog_catalogitem_change", args=[catalog.laptop.pk]))
    assert "<th>Version</th>" in response.content.decode()


# -- export ------------------------------------------------------------------------------------------


def test_the_export_action_downloads_json(admin_client, catalog):
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "export_selected", "_selected_action": [catalog.laptop.pk, catalog.reset.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="catalog-export.json"'
    document = json.loads(response.content)
    assert document["format"] == "itsm-catalog/1"
    assert [item["slug"] for item in document["items"]] == ["laptop", "password-reset"]


# -- import ------------------------------------------------------------------------------------------


def upload(document, name="catalog-export.json"):
    content = document if isinstance(document, bytes) else transfer.to_json(document).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_the_changelist_links_to_the_import_screen(admin_client, catalog):
    response = admin_client.get(reverse(CHANGELIST))
    assert reverse(IMPORT) in response.content.decode()


def test_import_screen_dry_run_then_real(admin_client, admin_user, catalog):
    document = {**transfer.export_item(catalog.laptop), "slug": "laptop-copy"}
    response = admin_client.get(reverse(IMPORT))
    assert response.status_code == 200 and 'name="dry_run"' in response.content.decode()

    response = admin_client.post(reverse(IMPORT), {"file": upload(document), "dry_run": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dry run: the file is valid, nothing was changed" in page and "laptop-copy" in page
    assert response.context["report"].created == ["laptop-copy"]
    assert not CatalogItem.objects.filter(slug="laptop-copy").exists()

    response = admin_client.post(reverse(IMPORT), {"file": upload(document)})
    assert response.context["report"].created == ["laptop-copy"] and not response.context["report"].dry_run
    assert CatalogItem.objects.get(slug="laptop-copy").current_version.created_by == admin_user


def test_import_screen_shows_errors_and_writes_nothing(admin_client, catalog):
    document = {**transfer.export_item(catalog.laptop), "fulfilment_group": {"name": "Ghost Team"}, "name": "X"}
    response = admin_client.post(reverse(IMPORT), {"file": upload(document)})
    page = response.content.decode()
    assert "Nothing was imported" in page and "Ghost Team" in page
    assert CatalogItem.objects.get(slug="laptop").name == "Laptop"

    response = admin_client.post(reverse(IMPORT), {"file": upload(b"\x00not json")})
    assert "The file is not valid JSON" in response.content.decode()


def test_import_screen_needs_staff_and_catalog_permissions(client, login, alice, catalog):
    response = login(alice).get(reverse(IMPORT))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    staff = UserFactory(username="staffer", is_staff=True)
    assert login(staff).get(reverse(IMPORT)).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_catalogitem"))
    assert login(staff).post(reverse(IMPORT), {"file": upload(b"{}")}).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="add_catalogitem"))
    assert login(staff).get(reverse(IMPORT)).status_code == 200


# -- the other screens -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        *("catalogcategory", "catalogitem", "catalogitemversion", "approvaldelegation"),
        *("servicerequest", "fulfilmenttask", "approval"),
    ],
)
def test_every_catalog_screen_lists(admin_client, catalog, model):
    assert admin_client.get(reverse(f"admin:requests_catalog_{model}_changelist")).status_code == 200


def test_versions_are_read_only(admin_client, catalog):
    version = CatalogItemVersion.objects.get(item=catalog.laptop)
    assert admin_client.get(reverse("admin:requests_catalog_catalogitemversion_add")).status_code == 403
    url = reverse("admin:requests_catalog_catalogitemversion_change", args=[version.pk])
    response = admin_client.post(url, {"note": "changed"})
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.note == ""


# -- people (servicedesk/admin_people.py) --------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_departments_have_a_screen(admin_client, engineering):
    response = admin_client.get(reverse("admin:servicedesk_department_changelist"))
    assert response.status_code == 200 and "Engineering" in response.content.decode()


@pytest.mark.urls(__name__)
def test_the_user_page_edits_the_profile(admin_client, bob, carol, engineering):
    response = admin_client.get(reverse("admin:auth_user_change", args=[bob.pk]))
    assert 'name="profile-0-department"' in response.content.decode()
    data = posted(response)
    data.update(
        {
            "profile-0-department": str(engineering.pk),
            "profile-0-manager": str(carol.pk),
            "profile-0-job_title": "Analyst",
            "_save": "Save",
        }
    )
    response = admin_client.post(reverse("admin:auth_user_change", args=[bob.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    profile = Profile.objects.get(user=bob)
    assert (profile.department, profile.manager, profile.job_title) == (engineering, carol, "Analyst")


@pytest.mark.urls(__name__)
def test_adding_a_user_keeps_the_two_step_page(admin_client):
    response = admin_client.get(reverse("admin:auth_user_add"))
    assert response.status_code == 200 and "profile-0-department" not in response.content.decode()
