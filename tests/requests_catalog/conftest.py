"""A small catalog for the request tests: a laptop with a form, a manager + finance approval chain and
a two-step workflow; a standard (pre-approved) password reset; a developer VM only Engineering may order."""

from types import SimpleNamespace

import pytest

from requests_catalog.definition import publish_version
from requests_catalog.models import ApprovalStep, CatalogCategory, CatalogItem, ItemField, TaskTemplate
from servicedesk import roles
from servicedesk.models import Department, Profile
from tests.factories import AssignmentGroupFactory, UserFactory


@pytest.fixture
def carol(db):
    """alice's line manager."""
    return UserFactory(username="carol", first_name="Carol", roles=[roles.REQUESTER])


@pytest.fixture
def finance(db, mona):
    fred = UserFactory(username="fred", first_name="Fred", roles=[roles.REQUESTER])
    gina = UserFactory(username="gina", first_name="Gina", roles=[roles.REQUESTER])
    return AssignmentGroupFactory(name="Finance Approvers", manager=mona, members=[fred, gina])


@pytest.fixture
def desktop_team(db, lin, mona):
    return AssignmentGroupFactory(name="Desktop Support", manager=mona, members=[lin])


@pytest.fixture
def identity_team(db, lee, mona):
    return AssignmentGroupFactory(name="Identity", manager=mona, members=[lee])


@pytest.fixture
def engineering(db, alice, carol):
    department = Department.objects.create(name="Engineering")
    Profile.objects.create(user=alice, department=department, manager=carol)
    return department


def _field(item, position, key, label, field_type, **settings):
    return ItemField.objects.create(
        item=item, position=position, key=key, label=label, field_type=field_type, **settings
    )


@pytest.fixture
def catalog(db, engineering, finance, desktop_team, identity_team, service_desk):
    hardware = CatalogCategory.objects.create(name="Infrastructure services", slug="infrastructure")
    workstations = CatalogCategory.objects.create(name="Workstations", slug="workstations", parent=hardware)
    laptop = CatalogItem.objects.create(
        slug="laptop",
        name="Laptop",
        category=workstations,
        cost="1200.00",
        fulfilment_group=desktop_team,
        max_quantity=3,
        expected_delivery_days=5,
    )
    _field(laptop, 1, "model", "Model", "choice", required=True, choices='std|Standard 14"\npro|Pro 16"')
    _field(
        laptop,
        2,
        "reason",
        "Why the Pro model?",
        "textarea",
        required=True,
        show_if_field="model",
        show_if_operator="equals",
        show_if_value="pro",
    )
    _field(laptop, 3, "needed_by", "Needed by", "date", min_value="today")
    ApprovalStep.objects.create(item=laptop, position=1, name="Manager", approver_type="manager")
    ApprovalStep.objects.create(
        item=laptop,
        position=2,
        name="Finance",
        approver_type="group_any",
        group=finance,
        auto_approve_field="total_cost",
        auto_approve_operator="lt",
        auto_approve_value="1000",
    )
    TaskTemplate.objects.create(item=laptop, step=1, title="Prepare the laptop")
    TaskTemplate.objects.create(item=laptop, step=2, title="Hand it over")
    TaskTemplate.objects.create(item=laptop, step=2, title="Create the device account", group=identity_team)
    publish_version(laptop)

    support = CatalogCategory.objects.create(name="Support services", slug="support")
    reset = CatalogItem.objects.create(
        slug="password-reset",
        name="Password reset",
        category=support,
        is_standard=True,
        fulfilment_group=identity_team,
    )
    _field(reset, 1, "account", "Account", "text", required=True)
    publish_version(reset)

    engineering_only = CatalogItem.objects.create(
        slug="dev-vm", name="Developer VM", category=hardware, fulfilment_group=desktop_team
    )
    engineering_only.allowed_departments.add(engineering)
    publish_version(engineering_only)
    return SimpleNamespace(laptop=laptop, reset=reset, dev_vm=engineering_only, hardware=hardware)
