"""seed_demo's catalog: about twenty valid, published items on the four shelves, approval chains that find people,
the laptop story alice -> carol -> lin, and a second run that changes nothing."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from demo.catalog import DEMO_WEBHOOK, ITEMS
from demo.management.commands.seed_demo import GROUPS as SUPPORT_GROUPS
from requests_catalog.choices import ApprovalState, ApproverType, FieldType, RequestState, TaskState
from requests_catalog.form_engine import answers_from, build_order_form, validate_definition
from requests_catalog.models import (
    Approval,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogItemVersion,
    FulfilmentTask,
    ItemField,
    TaskTemplate,
)
from requests_catalog.services import (
    OrderLine,
    complete_task,
    decide_approval,
    may_order,
    resolve_approvers,
    submit_request,
)
from servicedesk.models import AssignmentGroup, Department, Profile, Ticket

SHELVES = {
    "Infrastructure services": {"Network", "Servers", "Storage", "Workstations"},
    "Application services": {"Office software", "Business systems", "Developer tools"},
    "Business services": {"Finance", "HR", "Administration"},
    "Support services": {"Training", "Consulting", "Technical support"},
}


@pytest.fixture
def seeded(db, settings):
    # The demo people's passwords are hashed for real; the strong hasher would be most of each test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    return {user.username: user for user in get_user_model().objects.all()}


def _items():
    return list(CatalogItem.objects.select_related("category__parent", "current_version"))


def test_about_twenty_items_spread_over_the_four_shelves(seeded):
    items = _items()

    assert 18 <= len(items) <= 25
    shelves = {
        root.name: {child.name for child in root.children.all()} for root in CatalogCategory.objects.filter(parent=None)
    }
    assert shelves == SHELVES
    # Every sub-category offers something, and every item sits on a sub-category.
    assert {item.category.name for item in items} == set().union(*SHELVES.values())
    assert all(item.category.parent is not None for item in items)
    assert all(item.short_description and item.description and item.icon for item in items)


def test_every_item_is_published_with_a_valid_form(seeded):
    alice = seeded["alice"]
    for item in _items():
        version = item.current_version
        assert version is not None, item.slug
        assert version.number == 1
        assert validate_definition(version.form) == [], item.slug
        build_order_form(version.form, user=alice)  # raises on a definition the engine refuses


def test_the_catalog_shows_off_every_feature(seeded):
    definitions = [item.current_version.definition for item in _items()]
    form = [spec for definition in definitions for spec in definition["form"]]
    chains = [step for definition in definitions for step in definition["approval"]]

    assert {spec["type"] for spec in form} == set(FieldType.values)
    assert {"required", "help_text", "default", "regex", "min", "max", "show_if"} <= {key for s in form for key in s}
    assert {step["approver"] for step in chains} == set(ApproverType.values)
    assert {"field": "total_cost", "op": "lt", "value": "1000"} in [step["auto_approve_if"] for step in chains]
    assert sum(definition["is_standard"] for definition in definitions) >= 3
    assert any(definition["ordering"]["departments"] == ["Engineering"] for definition in definitions)
    # Parallel tasks: two tasks of one item share a step.
    assert any(
        len({task["step"] for task in d["fulfilment"]}) < len(d["fulfilment"]) for d in definitions if d["fulfilment"]
    )
    automated = [task["automation"] for d in definitions for task in d["fulfilment"] if task["automation"]]
    assert automated == [
        {"action": "webhook", "url": DEMO_WEBHOOK, "headers": {"X-Demo-Source": "itsm-catalog"}, "max_attempts": 3}
    ]


def test_every_approval_chain_finds_people_for_alice(seeded):
    alice, carol = seeded["alice"], seeded["carol"]
    for item in _items():
        definition = item.current_version.definition
        line = SimpleNamespace(request=SimpleNamespace(requested_for=alice, requester_id=alice.pk), item=item)
        for step in [] if definition["is_standard"] else definition["approval"]:
            approvers = resolve_approvers(step, line)
            assert approvers, (item.slug, step["name"])
            assert alice not in approvers
            if step["approver"] == ApproverType.MANAGER:
                assert approvers == [carol]
            elif step["group"]:
                group = AssignmentGroup.objects.get(name=step["group"]["name"])
                assert set(approvers) <= set(group.members.all()), (item.slug, step["name"])


def test_departments_and_line_managers(seeded):
    profiles = {p.user.username: p for p in Profile.objects.select_related("user", "manager", "department")}

    assert set(Department.objects.values_list("name", flat=True)) >= {"Engineering", "Finance", "HR", "Sales"}
    assert (profiles["alice"].department.name, profiles["alice"].manager.username) == ("Engineering", "carol")
    assert profiles["bob"].manager.username == "sam"
    laptop = CatalogItem.objects.get(slug="laptop")
    developer_tools = CatalogItem.objects.get(slug="developer-tool-licence")
    crm = CatalogItem.objects.get(slug="crm-licence")
    assert may_order(seeded["alice"], developer_tools) and not may_order(seeded["bob"], developer_tools)
    assert may_order(seeded["bob"], crm) and not may_order(seeded["alice"], crm)
    assert may_order(seeded["bob"], laptop)


def test_the_laptop_story_alice_orders_carol_approves_lin_fulfils(seeded, client):
    alice, carol, lin = seeded["alice"], seeded["carol"], seeded["lin"]
    for username in ("alice", "carol", "lin"):
        assert client.login(username=username, password="demo")
    laptop = CatalogItem.objects.get(slug="laptop")
    assert (laptop.name, laptop.category.parent.name) == ("Standard laptop", "Infrastructure services")
    assert lin in laptop.fulfilment_group.members.all()
    version = laptop.current_version

    form = build_order_form(version.form, user=alice, data={"model": "std"})
    assert form.is_valid(), form.errors
    request = submit_request(actor=alice, lines=[OrderLine(version=version, answers=answers_from(form))])

    assert request.state == RequestState.AWAITING_APPROVAL
    approval = Approval.objects.get(line__request=request, state=ApprovalState.REQUESTED)
    assert approval.approver == carol  # the manager only: no auto-approval, no second step
    decide_approval(approval=approval, actor=carol, approve=True, comment="Enjoy it.")

    for title in ("Prepare the laptop", "Hand it over"):
        task = FulfilmentTask.objects.get(request=request, state=TaskState.OPEN)
        assert task.title == f"Standard laptop: {title}"
        assert task.assignment_group == laptop.fulfilment_group
        complete_task(task=task, actor=lin, notes="Done.")
    request.refresh_from_db()
    assert request.state == RequestState.FULFILLED


def test_the_pro_model_asks_why(seeded):
    version = CatalogItem.objects.get(slug="laptop").current_version

    form = build_order_form(version.form, user=seeded["alice"], data={"model": "pro"})

    assert not form.is_valid()
    assert "reason" in form.errors


def test_a_second_run_changes_nothing_and_keeps_edits(seeded):
    def counts():
        models = (CatalogCategory, CatalogItem, CatalogItemVersion, ItemField, ApprovalStep, TaskTemplate)
        return {model.__name__: model.objects.count() for model in models} | {
            "groups": AssignmentGroup.objects.count(),
            "departments": Department.objects.count(),
            "profiles": Profile.objects.count(),
            "users": get_user_model().objects.count(),
        }

    first = counts()
    assert first["CatalogItem"] == len(ITEMS)
    CatalogItem.objects.filter(slug="laptop").update(name="Laptop (renamed by an administrator)")

    call_command("seed_demo")

    assert counts() == first
    assert set(CatalogItemVersion.objects.values_list("number", flat=True)) == {1}
    assert CatalogItem.objects.get(slug="laptop").name == "Laptop (renamed by an administrator)"


def test_if_empty_adds_no_catalog_to_a_database_with_users(db, django_user_model):
    django_user_model.objects.create_user("someone")

    call_command("seed_demo", "--if-empty")

    assert not CatalogItem.objects.exists()


def test_the_catalog_and_every_order_page_render(seeded, login):
    pages = {"alice": login(seeded["alice"]), "bob": login(seeded["bob"])}

    catalog = pages["alice"].get(reverse("requests_catalog:catalog"))

    assert catalog.status_code == 200
    assert "Standard laptop" in catalog.content.decode()
    for item in _items():
        orderer = "alice" if may_order(seeded["alice"], item) else "bob"
        response = pages[orderer].get(reverse("requests_catalog:item", args=[item.slug]))
        assert response.status_code == 200, item.slug
        assert item.name in response.content.decode()


def test_bulk_tickets_stay_with_the_desks_support_groups(seeded):
    call_command("seed_demo", "--tickets", "60", "--requesters", "5")

    used = set(Ticket.objects.filter(kind="incident").values_list("assignment_group__name", flat=True))
    assert used <= {name for name, *_rest in SUPPORT_GROUPS}
