"""Export and import of whole item definitions: round trips, versions, the validation report, junk input, commands."""

import copy
import json
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_catalog import transfer
from requests_catalog.definition import item_definition
from requests_catalog.models import (
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    CatalogItemVersion,
    ItemField,
    RequestItem,
    TaskTemplate,
)
from requests_catalog.services import OrderLine, submit_request
from servicedesk.models import AssignmentGroup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VOLATILE = ("exported_at", "source_version")


def stable(document: dict) -> dict:
    """An export without the keys that change from one export to the next."""
    return {key: value for key, value in document.items() if key not in VOLATILE}


def snapshot() -> tuple:
    """Every catalog row an import may write, and the laptop's rows as a definition."""
    counts = tuple(
        model.objects.count()
        for model in (CatalogCategory, CatalogItem, ItemField, ApprovalStep, TaskTemplate, CatalogItemVersion)
    )
    laptop = CatalogItem.objects.filter(slug="laptop").first()
    return counts, laptop and item_definition(laptop)


def errors_of(report) -> str:
    return "\n".join(report.errors)


@pytest.fixture
def laptop_doc(catalog):
    return transfer.export_item(catalog.laptop)


def order(user, item):
    answer = SimpleNamespace(key="model", label="Model", type="choice", value="std", display="Std")
    return submit_request(actor=user, lines=[OrderLine(version=item.current_version, quantity=1, answers=[answer])])


# -- export -----------------------------------------------------------------------------------------


def test_export_names_references_without_ids(catalog, laptop_doc):
    assert laptop_doc["format"] == "itsm-catalog-item/1"
    assert laptop_doc["source_version"] == 1 and laptop_doc["exported_at"]
    assert laptop_doc["category"] == ["Infrastructure services", "Workstations"]
    assert laptop_doc["fulfilment_group"] == {"name": "Desktop Support"}
    assert laptop_doc["approval"][1]["group"] == {"name": "Finance Approvers"}
    assert laptop_doc["fulfilment"][2]["group"] == {"name": "Identity"}
    assert '"id"' not in json.dumps(laptop_doc)
    bundle = transfer.export_items([catalog.laptop, catalog.reset])
    assert bundle["format"] == "itsm-catalog/1"
    assert [item["slug"] for item in bundle["items"]] == ["laptop", "password-reset"]


# -- round trips and versions ----------------------------------------------------------------------


def test_round_trip_under_another_slug_gives_the_same_definition(catalog, laptop_doc, mona):
    copy_doc = {**laptop_doc, "slug": "laptop-copy"}
    report = transfer.import_items(json.dumps(copy_doc), actor=mona)
    assert report.ok and report.created == ["laptop-copy"] and not report.warnings
    imported = CatalogItem.objects.get(slug="laptop-copy")
    assert stable(transfer.export_item(imported)) == stable(copy_doc)
    version = imported.current_version
    assert (version.number, version.note, version.created_by) == (1, "imported", mona)


def test_round_trip_into_a_clean_instance_creates_the_category_with_a_warning(catalog, laptop_doc):
    laptop = catalog.laptop
    CatalogItem.objects.filter(pk=laptop.pk).update(current_version=None)
    CatalogItemVersion.objects.filter(item=laptop).delete()
    laptop.delete()
    CatalogCategory.objects.filter(name="Workstations").delete()

    report = transfer.import_items(laptop_doc)
    assert report.ok and report.created == ["laptop"]
    assert report.warnings == [
        "Category Infrastructure services › Workstations is not on this instance: the import creates it."
    ]
    imported = CatalogItem.objects.get(slug="laptop")
    assert imported.category.parent == catalog.hardware  # matched by (parent, name)
    assert imported.category.slug == "workstations"
    assert stable(transfer.export_item(imported)) == stable(laptop_doc)


def test_importing_an_unchanged_item_publishes_no_version(catalog, laptop_doc):
    before = snapshot()
    report = transfer.import_items(laptop_doc)
    assert report.ok and report.unchanged == ["laptop"] and not report.created and not report.updated
    assert snapshot() == before
    assert CatalogItem.objects.get(slug="laptop").current_version.number == 1


def test_importing_changes_publishes_a_version_and_old_requests_keep_theirs(catalog, laptop_doc, alice, mona):
    request = order(alice, catalog.laptop)
    line = RequestItem.objects.get(request=request)
    old_version = line.item_version
    changed = copy.deepcopy(laptop_doc)
    changed["name"] = "Laptop (2025 range)"
    changed["form"][0]["choices"].append({"value": "max", "label": 'Max 18"'})
    changed["approval"].pop(0)

    report = transfer.import_items(changed, actor=mona)

    assert report.ok and report.updated == ["laptop"]
    laptop = CatalogItem.objects.get(slug="laptop")
    assert laptop.current_version.number == 2 and laptop.current_version.created_by == mona
    assert [step.name for step in laptop.approval_steps.all()] == ["Finance"]
    line.refresh_from_db()
    assert line.item_version == old_version and old_version.number == 1
    assert old_version.definition["name"] == "Laptop" and len(old_version.definition["approval"]) == 2


def test_a_bundle_imports_several_items(catalog):
    bundle = transfer.export_items([catalog.laptop, catalog.reset, catalog.dev_vm])
    bundle["items"][1] = {**bundle["items"][1], "slug": "password-reset-2"}
    report = transfer.import_items(transfer.to_json(bundle).encode())
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (["password-reset-2"], [], ["laptop", "dev-vm"])
    assert CatalogItem.objects.get(slug="dev-vm").allowed_departments.get().name == "Engineering"


def test_ordering_roles_and_departments_are_matched_by_name(catalog, laptop_doc, engineering):
    Group.objects.get_or_create(name="Contractors")
    doc = {**laptop_doc, "ordering": {"groups": ["Contractors"], "departments": ["Engineering"]}}
    assert transfer.import_items(doc).updated == ["laptop"]
    laptop = CatalogItem.objects.get(slug="laptop")
    assert [group.name for group in laptop.allowed_groups.all()] == ["Contractors"]
    assert list(laptop.allowed_departments.all()) == [engineering]


def test_a_person_approver_and_a_webhook_round_trip(catalog, laptop_doc, carol):
    doc = copy.deepcopy(laptop_doc)
    doc["approval"].append(
        {"name": "Carol", "approver": "user", "group": None, "user": {"username": "carol"}, "auto_approve_if": None}
    )
    doc["fulfilment"].append(
        {
            "step": 3,
            "title": "Register the asset",
            "instructions": "",
            "group": None,
            "automation": {
                "action": "webhook",
                "url": "https://assets.example.com/hook",
                "headers": {"Authorization": "Bearer x"},
                "max_attempts": 3,
            },
        }
    )
    assert transfer.import_items(doc).updated == ["laptop"]
    exported = transfer.export_item(CatalogItem.objects.get(slug="laptop"))
    # The token stays on this instance: the export names the header but not its value.
    assert exported["fulfilment"][-1]["automation"]["headers"] == {"Authorization": transfer.REDACTED}
    doc["fulfilment"][-1]["automation"]["headers"] = {"Authorization": transfer.REDACTED}
    assert stable(exported) == stable(doc)


def test_redacted_headers_keep_this_instances_secret(catalog, laptop_doc):
    doc = copy.deepcopy(laptop_doc)
    hook = {"action": "webhook", "url": "https://assets.example.com/hook", "max_attempts": 3}
    task = {"step": 3, "title": "Register the asset", "instructions": "", "group": None}
    doc["fulfilment"].append({**task, "automation": {**hook, "headers": {"Authorization": "Bearer prod"}}})
    transfer.import_items(doc)
    exported = transfer.export_item(CatalogItem.objects.get(slug="laptop"))
    assert "Bearer prod" not in transfer.to_json(exported)

    exported["name"] = "Laptop, re-imported"
    report = transfer.import_items(exported)
    assert report.updated == ["laptop"] and not report.warnings
    template = CatalogItem.objects.get(slug="laptop").task_templates.get(title="Register the asset")
    assert template.webhook_headers == {"Authorization": "Bearer prod"}


def test_a_redacted_header_unknown_here_is_left_out_with_a_warning(catalog, laptop_doc):
    doc = copy.deepcopy(laptop_doc)
    doc["fulfilment"].append(
        {
            "step": 3,
            "title": "Register the asset",
            "instructions": "",
            "group": None,
            "automation": {
                "action": "webhook",
                "url": "https://assets.example.com/hook",
                "headers": {"Authorization": transfer.REDACTED, "X-Team": "desk"},
                "max_attempts": 3,
            },
        }
    )
    report = transfer.import_items(doc)
    assert report.ok and any("Authorization" in warning for warning in report.warnings)
    template = CatalogItem.objects.get(slug="laptop").task_templates.get(title="Register the asset")
    assert template.webhook_headers == {"X-Team": "desk"}


# -- dry run -----------------------------------------------------------------------------------------


def test_dry_run_reports_but_writes_nothing(catalog, laptop_doc):
    before = snapshot()
    bundle = {
        "format": "itsm-catalog/1",
        "items": [
            {**laptop_doc, "name": "Renamed"},
            {**laptop_doc, "slug": "laptop-new", "category": ["Brand new shelf"]},
        ],
    }
    report = transfer.import_items(bundle, dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.updated, report.unchanged) == (["laptop-new"], ["laptop"], [])
    assert any("Brand new shelf" in warning for warning in report.warnings)
    assert snapshot() == before


# -- validation: every error writes nothing and says what is wrong ----------------------------------


def _set(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(key):
    return lambda doc: doc.pop(key)


INVALID = {
    "wrong item format": (_set(["format"], "itsm-catalog-item/9"), "Unknown format"),
    "missing slug": (_delete("slug"), "the slug (not text) must be"),
    "bad slug": (_set(["slug"], "not a slug!"), 'the slug "not a slug!"'),
    "long slug": (_set(["slug"], "x" * 101), "the slug"),
    "missing name": (_delete("name"), "name is required"),
    "name too long": (_set(["name"], "n" * 201), "name is longer than 200 characters"),
    "description not text": (_set(["description"], ["a"]), "description must be text"),
    "category not a list": (_set(["category"], "Hardware"), "category must be a list"),
    "empty category": (_set(["category"], []), "category must be a list"),
    "category of numbers": (_set(["category"], [1, 2]), "category must be a list"),
    "missing fulfilment group": (_delete("fulfilment_group"), 'fulfilment group: a group must be given as {"name"'),
    "negative cost": (_set(["cost"], "-1"), "cost must be empty or an amount"),
    "cost with cents of cents": (_set(["cost"], "1.234"), "cost must be empty"),
    "cost not a number": (_set(["cost"], "cheap"), "cost must be empty"),
    "cost as bool": (_set(["cost"], True), "cost must be empty"),
    "cost too large": (_set(["cost"], "1e12"), "cost must be empty"),
    "delivery days as text": (_set(["expected_delivery_days"], "5"), "expected_delivery_days must be a whole number"),
    "delivery days negative": (_set(["expected_delivery_days"], -1), "expected_delivery_days must be"),
    "max quantity zero": (_set(["max_quantity"], 0), "max_quantity must be a whole number from 1"),
    "max quantity huge": (_set(["max_quantity"], 10**6), "max_quantity must be"),
    "standard not bool": (_set(["is_standard"], "yes"), "is_standard must be true or false"),
    "ordering not an object": (_set(["ordering"], ["Engineering"]), "ordering must be an object"),
    "ordering groups not names": (_set(["ordering", "groups"], [1]), "ordering groups must be a list of names"),
    "form not a list": (_set(["form"], {"key": "x"}), "The form definition must be a list"),
    "unknown field type": (_set(["form", 0, "type"], "colour"), "Field model: unknown type"),
    "choice field without choices": (lambda doc: doc["form"][0].pop("choices"), "Field model: choices must"),
    "show_if on a later field": (_set(["form", 1, "show_if", "field"], "needed_by"), "Field reason: show_if"),
    "choice value with a bar": (
        _set(["form", 0, "choices", 0, "value"], "a|b"),
        "form field model: choices cannot be kept",
    ),
    "show_if value with a comma": (
        _set(
            ["form"],
            [
                {"key": "os", "label": "OS", "type": "text"},
                {"key": "why", "label": "Why", "type": "text", "show_if": {"field": "os", "in": ["a,b"]}},
            ],
        ),
        "form field why: show_if cannot be kept",
    ),
    "help text too long": (_set(["form", 0, "help_text"], "h" * 501), "help_text is longer than 500"),
    "approval not a list": (_set(["approval"], {"a": 1}), "approval must be a list"),
    "approval step not an object": (_set(["approval", 0], "boss"), "approval step 1 must be an object"),
    "unknown approver": (_set(["approval", 0, "approver"], "boss"), 'approval step 1: the approver "boss"'),
    "group step without a group": (_set(["approval", 1, "group"], None), "approval step 2: a group must be given"),
    "user step without a user": (_set(["approval", 0, "approver"], "user"), "approval step 1: a person must be given"),
    "condition op": (_set(["approval", 1, "auto_approve_if", "op"], "between"), 'op "between" must be one of'),
    "condition field": (_set(["approval", 1, "auto_approve_if", "field"], "colour"), 'field "colour" must be'),
    "condition value for a cost": (
        _set(["approval", 1, "auto_approve_if", "value"], "cheap"),
        "auto_approve_if compares total_cost with a number",
    ),
    "condition not an object": (_set(["approval", 1, "auto_approve_if"], "cheap"), "auto_approve_if must be"),
    "fulfilment not a list": (_set(["fulfilment"], "tasks"), "fulfilment must be a list"),
    "task step zero": (_set(["fulfilment", 0, "step"], 0), "fulfilment task 1: step must be a whole number"),
    "task step as text": (_set(["fulfilment", 0, "step"], "1"), "fulfilment task 1: step must be"),
    "task without a title": (_set(["fulfilment", 1, "title"], ""), "fulfilment task 2 title is required"),
    "automation not a webhook": (
        _set(["fulfilment", 0, "automation"], {"action": "email"}),
        "fulfilment task 1: automation must be null",
    ),
    "webhook ftp url": (
        _set(["fulfilment", 0, "automation"], {"action": "webhook", "url": "ftp://example.com/x"}),
        "must be an http or https address",
    ),
    "webhook headers not text": (
        _set(["fulfilment", 0, "automation"], {"action": "webhook", "url": "https://x.example", "headers": {"X": 1}}),
        "webhook headers must be an object",
    ),
    "webhook header injection": (
        _set(
            ["fulfilment", 0, "automation"],
            {"action": "webhook", "url": "https://x.example", "headers": {"X": "a\r\nHost: evil"}},
        ),
        "webhook headers must be",
    ),
    "webhook attempts": (
        _set(
            ["fulfilment", 0, "automation"],
            {"action": "webhook", "url": "https://x.example", "headers": {}, "max_attempts": 0},
        ),
        "max_attempts must be a whole number of 1 or more",
    ),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_an_invalid_item_writes_nothing_and_says_why(catalog, laptop_doc, case):
    change, expected = INVALID[case]
    doc = copy.deepcopy(laptop_doc)
    doc["name"] = "Renamed (would be an update)"
    change(doc)
    before = snapshot()
    report = transfer.import_items(doc)
    assert not report.ok
    assert expected in errors_of(report)
    assert not (report.created or report.updated or report.unchanged)
    assert snapshot() == before


MISSING = {
    "fulfilment group": (
        _set(["fulfilment_group"], {"name": "Ghost Team"}),
        "fulfilment group: the assignment group",
    ),
    "approval group": (_set(["approval", 1, "group"], {"name": "Ghost Team"}), "approval step 2: the assignment group"),
    "task group": (_set(["fulfilment", 0, "group"], {"name": "Ghost Team"}), "fulfilment task 1: the assignment group"),
    "user": (
        _set(["approval", 0], {"name": "X", "approver": "user", "user": {"username": "ghost"}}),
        'approval step 1: the user "ghost" does not exist on this instance',
    ),
    "role": (_set(["ordering", "groups"], ["Ghosts"]), 'who may order it: the role "Ghosts" does not exist'),
    "department": (_set(["ordering", "departments"], ["Ghosts"]), 'who may order it: the department "Ghosts"'),
}


@pytest.mark.parametrize("case", MISSING, ids=list(MISSING))
def test_references_missing_on_this_instance_are_named(catalog, laptop_doc, case):
    change, expected = MISSING[case]
    doc = copy.deepcopy(laptop_doc)
    change(doc)
    before = snapshot()
    report = transfer.import_items(doc)
    assert not report.ok
    assert f"Item laptop: {expected}" in errors_of(report)
    assert snapshot() == before


def test_inactive_groups_and_people_are_refused(catalog, laptop_doc):
    AssignmentGroup.objects.filter(name="Finance Approvers").update(is_active=False)
    UserFactory(username="gone", is_active=False)
    doc = copy.deepcopy(laptop_doc)
    doc["approval"][0] = {"name": "Gone", "approver": "user", "user": {"username": "gone"}}
    report = transfer.import_items(doc)
    assert 'approval step 2: the assignment group "Finance Approvers" is inactive on this instance.' in errors_of(
        report
    )
    assert 'approval step 1: the user "gone" is inactive on this instance.' in errors_of(report)


def test_one_bad_item_in_a_bundle_stops_the_whole_import(catalog, laptop_doc):
    good = {**laptop_doc, "slug": "laptop-good"}
    bad = {**laptop_doc, "slug": "laptop-bad", "fulfilment_group": {"name": "Ghost Team"}}
    before = snapshot()
    report = transfer.import_items({"format": "itsm-catalog/1", "items": [good, bad]})
    assert errors_of(report).startswith("Item laptop-bad:")
    assert snapshot() == before and not CatalogItem.objects.filter(slug="laptop-good").exists()


def test_a_slug_twice_in_one_file_is_refused(catalog, laptop_doc):
    report = transfer.import_items({"format": "itsm-catalog/1", "items": [laptop_doc, laptop_doc]})
    assert "Item laptop: the file holds this slug more than once." in report.errors


def test_unknown_keys_are_a_warning(catalog, laptop_doc):
    report = transfer.import_items({**laptop_doc, "colour": "red"})
    assert report.ok and report.warnings == ["Item laptop: unknown keys colour are ignored."]


# -- junk never raises -------------------------------------------------------------------------------

JUNK = {
    "not utf-8": b"\xff\xfe\x00junk",
    "not json": "this is not JSON",
    "truncated json": '{"format": "itsm-catalog/1", "items": [',
    "a list": "[]",
    "a number": "42",
    "null": "null",
    "a string": '"itsm-catalog/1"',
    "NaN": "NaN",
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "huge integer": "1" * 5000,
    "no format": {"slug": "laptop"},
    "bundle without items": {"format": "itsm-catalog/1"},
    "bundle items not a list": {"format": "itsm-catalog/1", "items": "laptop"},
    "bundle of junk": {"format": "itsm-catalog/1", "items": [1, None, [], "x", {"format": 3}]},
    "item of only a format": {"format": "itsm-catalog-item/1"},
    "item with junk values": {
        "format": "itsm-catalog-item/1",
        "slug": ["x"],
        "name": 5,
        "category": {"a": 1},
        "fulfilment_group": "Desk",
        "ordering": 3,
        "form": [1, None, {"key": {}}],
        "approval": [None, {"approver": ["manager"], "group": 5, "user": [], "auto_approve_if": []}],
        "fulfilment": [{"step": None, "title": {}, "group": [1], "automation": {"action": "webhook", "url": 4}}],
        "cost": {},
        "expected_delivery_days": 1e400,
        "max_quantity": None,
    },
}


@pytest.mark.parametrize("case", JUNK, ids=list(JUNK))
def test_junk_input_is_a_message_never_an_exception(catalog, case):
    before = snapshot()
    report = transfer.import_items(JUNK[case])
    assert not report.ok and all(isinstance(message, str) and message for message in report.errors)
    assert snapshot() == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(sorted(transfer.ITEM_KEYS - {"format", "exported_at", "source_version"})),
    value=json_values,
)
def test_any_value_in_any_key_is_reported_not_raised(catalog, laptop_doc, key, value):
    report = transfer.import_items({**laptop_doc, key: value}, dry_run=True)
    assert isinstance(report.errors, list)


# -- management commands -----------------------------------------------------------------------------


def test_commands_round_trip(catalog, tmp_path, capsys):
    target = tmp_path / "catalog.json"
    call_command("export_catalog", "laptop", "dev-vm", "-o", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    assert [item["slug"] for item in document["items"]] == ["dev-vm", "laptop"]

    call_command("import_catalog", str(target))
    assert "unchanged: dev-vm, laptop" in capsys.readouterr().out

    document["items"][1]["name"] = "Laptop 2"
    target.write_text(json.dumps(document), encoding="utf-8")
    call_command("import_catalog", str(target), "--dry-run")
    assert "would be updated: laptop" in capsys.readouterr().out
    assert CatalogItem.objects.get(slug="laptop").name == "Laptop"

    call_command("import_catalog", str(target))
    assert "updated: laptop" in capsys.readouterr().out
    assert CatalogItem.objects.get(slug="laptop").current_version.number == 2


def test_export_command_writes_every_item_to_stdout(catalog, capsys):
    call_command("export_catalog")
    slugs = [item["slug"] for item in json.loads(capsys.readouterr().out)["items"]]
    assert slugs == ["dev-vm", "laptop", "password-reset"]
    with pytest.raises(CommandError, match="nope"):
        call_command("export_catalog", "nope")


def test_import_command_fails_on_errors(catalog, tmp_path, capsys):
    target = tmp_path / "bad.json"
    target.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_catalog", str(target))
    assert "must hold a JSON object" in capsys.readouterr().err
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_catalog", str(tmp_path / "missing.json"))
