"""Move catalog items between instances: an item's whole definition as one JSON file, and back with a report.

An export is `definition.item_definition` without database ids (groups and people are named, which is what
travels), plus when it was taken and from which version; several items travel as
`{"format": "itsm-catalog/1", "items": [item, …]}`.

An import checks every item, against the format and against this instance (the groups, people, roles and
departments it names must be here and active), before it writes anything. Then, in one transaction, it creates or
updates each item by slug, replaces its rows and publishes a version, which `publish_version` skips when nothing
changed; requests keep the version they were ordered under. Junk input is a message in the report, never an
exception: the admin and the command show it to the person who uploaded the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, slug_re
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from servicedesk.models import AssignmentGroup, Department

from . import definition
from .choices import ApproverType, AutomationAction, ConditionOperator
from .form_engine import validate_definition
from .models import ApprovalStep, CatalogCategory, CatalogItem, ItemField, TaskTemplate

BUNDLE_FORMAT = "itsm-catalog/1"
ITEM_FORMAT = definition.FORMAT

# What an auto-approval condition may compare besides the answers (see services.condition_value).
CONDITION_FIELDS = ("total_cost", "unit_cost", "quantity")
SMALL_INT_MAX = 32767  # PositiveSmallIntegerField
COST_LIMIT = Decimal(10) ** 10  # max_digits=12, decimal_places=2
MAX_CATEGORY_DEPTH = 20
# RFC 9110 token: what an HTTP header name may be made of (anything else breaks or smuggles into the request).
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
ITEM_KEYS = frozenset(
    {"format", "slug", "name", "category", "short_description", "description", "icon", "expected_delivery_days"}
    | {"cost", "is_standard", "max_quantity", "fulfilment_group", "ordering", "form", "approval", "fulfilment"}
    | {"exported_at", "source_version"}
)


# -- export -----------------------------------------------------------------------------------------


# What an export writes instead of a webhook header's value; an import keeps the value this instance has.
REDACTED = "<redacted>"


def _portable(ref: dict | None) -> dict | None:
    """A group or person reference without its database id, which means nothing on another instance."""
    return None if ref is None else {key: value for key, value in ref.items() if key != "id"}


def export_item(item: CatalogItem) -> dict:
    """The item's whole definition, references by name only, with when it was taken and the version it was."""
    document = definition.item_definition(item)
    document["fulfilment_group"] = _portable(document["fulfilment_group"])
    for step in document["approval"]:
        step["group"], step["user"] = _portable(step["group"]), _portable(step["user"])
    for task in document["fulfilment"]:
        task["group"] = _portable(task["group"])
        if task["automation"]:
            # Header values are often secrets (tokens): they stay on this instance (see `_keep_secrets`).
            task["automation"]["headers"] = dict.fromkeys(task["automation"]["headers"], REDACTED)
    # Read afresh: the caller's instance may predate the last publish.
    document["source_version"] = (
        CatalogItem.objects.filter(pk=item.pk).values_list("current_version__number", flat=True).first()
    )
    document["exported_at"] = timezone.now().isoformat()
    return document


def export_items(items) -> dict:
    """Several items as one document (what `import_items` takes back)."""
    return {"format": BUNDLE_FORMAT, "items": [export_item(item) for item in items]}


def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


# -- the report -------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import found and did (or, in a dry run, would do); item lists hold slugs."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Reference:
    """A name an item uses that must exist on this instance; `where` says which part of the item uses it."""

    kind: str  # group, user, role, department
    name: str
    where: str


@dataclass
class _Plan:
    """One checked item, ready to write: columns and rows, with references still by name."""

    slug: str
    values: dict = field(default_factory=dict)
    category: list[str] = field(default_factory=list)
    fulfilment_group: str = ""
    roles: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    fields: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    references: list[_Reference] = field(default_factory=list)


# -- checking one item ------------------------------------------------------------------------------


def _quoted(value) -> str:
    """A submitted value for a message: short text only (a repr of nested junk could be huge)."""
    return json.dumps(value[:80], ensure_ascii=False) if isinstance(value, str) else _("(not text)")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


def _one_line(text: str) -> bool:
    return not text or text.splitlines() == [text]


class _ItemCheck:
    """Checks one item document and builds its plan; problems go to the report, prefixed with the item."""

    def __init__(self, report: ImportReport, index: int, document):
        self.report = report
        self.document = document
        slug = document.get("slug") if isinstance(document, dict) else None
        self.label = slug if isinstance(slug, str) and slug_re.fullmatch(slug) and len(slug) <= 100 else f"#{index}"
        self.failed = False

    def error(self, message: str, **params) -> None:
        self.failed = True
        self.report.errors.append(_("Item %(item)s: %(problem)s") % {"item": self.label, "problem": message % params})

    def warn(self, message: str, **params) -> None:
        self.report.warnings.append(_("Item %(item)s: %(problem)s") % {"item": self.label, "problem": message % params})

    def run(self) -> _Plan | None:
        document = self.document
        if not isinstance(document, dict):
            self.error(_("must be an object (an exported item)."))
            return None
        if document.get("format") != ITEM_FORMAT:
            self.error(_("the format marker must be %(format)s."), format=ITEM_FORMAT)
            return None
        unknown = sorted(key[:40] if isinstance(key, str) else "?" for key in document if key not in ITEM_KEYS)
        if unknown:
            self.warn(_("unknown keys %(keys)s are ignored."), keys=", ".join(unknown))
        plan = _Plan(slug=self.slug())
        plan.values = self.columns()
        plan.category = self.category()
        plan.fulfilment_group = self.reference(
            document.get("fulfilment_group"), "group", _("fulfilment group"), plan, required=True
        )
        self.ordering(document.get("ordering"), plan)
        form = document.get("form", [])
        plan.fields = self.form(form)
        specs = form if isinstance(form, list) else []
        keys = {spec["key"] for spec in specs if isinstance(spec, dict) and isinstance(spec.get("key"), str)}
        plan.steps = self.approval(document.get("approval", []), keys, plan)
        plan.tasks = self.fulfilment(document.get("fulfilment", []), plan)
        return None if self.failed else plan

    # -- the item's own columns

    def slug(self) -> str:
        slug = self.document.get("slug")
        if not isinstance(slug, str) or not slug_re.fullmatch(slug) or len(slug) > 100:
            self.error(_("the slug %(slug)s must be 1 to 100 letters, digits, - or _."), slug=_quoted(slug))
            return ""
        return slug

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.document.get(key, "")
        return self.checked_text(value, key, required=required, limit=_max_length(CatalogItem, key))

    def checked_text(self, value, name: str, *, required: bool = False, limit: int | None = None) -> str:
        if value is None and not required:
            return ""
        if required and (not isinstance(value, str) or not value.strip()):
            self.error(_("%(name)s is required and must be text."), name=name)
            return ""
        if not isinstance(value, str):
            self.error(_("%(name)s must be text."), name=name)
            return ""
        if limit is not None and len(value) > limit:
            self.error(_("%(name)s is longer than %(limit)d characters."), name=name, limit=limit)
        return value

    def number(self, key: str, low: int, high: int, default: int) -> int:
        value = self.document.get(key, default)
        if not _is_int(value) or not low <= value <= high:
            self.error(_("%(name)s must be a whole number from %(low)d to %(high)d."), name=key, low=low, high=high)
            return default
        return value

    def flag(self, key: str) -> bool:
        value = self.document.get(key, False)
        if not isinstance(value, bool):
            self.error(_("%(name)s must be true or false."), name=key)
            return False
        return value

    def cost(self) -> Decimal | None:
        value = self.document.get("cost")
        if value is None:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidOperation
            amount = Decimal(str(value).strip())
            if (
                not amount.is_finite()
                or amount < 0
                or amount >= COST_LIMIT
                or amount != amount.quantize(Decimal("0.01"))
            ):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.error(_('cost must be empty or an amount of 0 or more with at most 2 decimals, e.g. "1200.00".'))
            return None
        return amount.quantize(Decimal("0.01"))

    def columns(self) -> dict:
        return {
            "name": self.text("name", required=True),
            "short_description": self.text("short_description"),
            "description": self.text("description"),
            "icon": self.text("icon"),
            "expected_delivery_days": self.number("expected_delivery_days", 0, SMALL_INT_MAX, 5),
            "cost": self.cost(),
            "is_standard": self.flag("is_standard"),
            "max_quantity": self.number("max_quantity", 1, SMALL_INT_MAX, 1),
        }

    def category(self) -> list[str]:
        path = self.document.get("category")
        limit = _max_length(CatalogCategory, "name")
        if (
            not isinstance(path, list)
            or not 0 < len(path) <= MAX_CATEGORY_DEPTH
            or not all(isinstance(name, str) and name.strip() and len(name) <= limit for name in path)
        ):
            self.error(
                _(
                    'category must be a list of category names from the top, e.g. ["Hardware", "Laptops"]; '
                    "each name 1 to %(limit)d characters."
                ),
                limit=limit,
            )
            return []
        return path

    # -- references

    def reference(self, ref, kind: str, where: str, plan: _Plan, *, required: bool = False) -> str:
        """The name in a group ({"name"}) or person ({"username"}) reference, noted for the instance check."""
        if ref is None and not required:
            return ""
        key = "username" if kind == "user" else "name"
        name = ref.get(key) if isinstance(ref, dict) else None
        if not isinstance(name, str) or not name.strip():
            thing = _("a person") if kind == "user" else _("a group")
            self.error(_('%(where)s: %(thing)s must be given as {"%(key)s": "…"}.'), where=where, thing=thing, key=key)
            return ""
        plan.references.append(_Reference(kind, name, where))
        return name

    def names(self, value, where: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
            self.error(_("%(where)s must be a list of names."), where=where)
            return []
        return value

    def ordering(self, ordering, plan: _Plan) -> None:
        if ordering is None:
            return
        if not isinstance(ordering, dict):
            self.error(_('ordering must be an object like {"groups": [], "departments": []}.'))
            return
        plan.roles = self.names(ordering.get("groups"), _("ordering groups"))
        plan.departments = self.names(ordering.get("departments"), _("ordering departments"))
        for name in plan.roles:
            plan.references.append(_Reference("role", name, _("who may order it")))
        for name in plan.departments:
            plan.references.append(_Reference("department", name, _("who may order it")))

    # -- the form

    def form(self, form) -> list[dict]:
        problems = validate_definition(form)
        for problem in problems:
            self.error(_("form: %(problem)s"), problem=problem)
        if problems:
            return []
        rows = []
        for position, spec in enumerate(form, start=1):
            row = _field_row(spec, position)
            self.fits(ItemField, row, _("form field %(key)s") % {"key": spec["key"]})
            changed = _stored_differently(spec, row)
            if changed:
                self.error(
                    _(
                        "form field %(key)s: %(settings)s cannot be kept as given (no | or line breaks in choice "
                        "values, no commas in show_if values, no spaces around them)."
                    ),
                    key=spec["key"],
                    settings=", ".join(changed),
                )
            rows.append(row)
        return rows

    def fits(self, model: type[models.Model], row: dict, where: str) -> None:
        """Text columns within their lengths (the database would refuse them in the middle of the import)."""
        for name, value in row.items():
            limit = _max_length(model, name) if isinstance(value, str) else None
            if limit is not None and len(value) > limit:
                self.error(
                    _("%(where)s: %(name)s is longer than %(limit)d characters."), where=where, name=name, limit=limit
                )

    # -- the approval chain

    def approval(self, steps, form_keys: set[str], plan: _Plan) -> list[dict]:
        if not isinstance(steps, list):
            self.error(_("approval must be a list of steps."))
            return []
        rows = []
        for number, step in enumerate(steps, start=1):
            where = _("approval step %(number)d") % {"number": number}
            if not isinstance(step, dict):
                self.error(_("%(where)s must be an object."), where=where)
                continue
            kind = step.get("approver")
            if kind not in ApproverType.values:
                self.error(
                    _("%(where)s: the approver %(kind)s is not one of %(kinds)s."),
                    where=where,
                    kind=_quoted(kind),
                    kinds=", ".join(ApproverType.values),
                )
            group_needed = kind in (ApproverType.GROUP_ANY, ApproverType.GROUP_ALL)
            row = {
                "position": number,
                "name": self.checked_text(step.get("name", ""), where + " " + _("name")),
                "approver_type": kind if isinstance(kind, str) else "",
                "group": self.reference(step.get("group"), "group", where, plan, required=group_needed),
                "user": self.reference(step.get("user"), "user", where, plan, required=kind == ApproverType.USER),
                **self.condition(step.get("auto_approve_if"), form_keys, where),
            }
            self.fits(ApprovalStep, row, where)
            rows.append(row)
        return rows

    def condition(self, condition, form_keys: set[str], where: str) -> dict:
        empty = {"auto_approve_field": "", "auto_approve_operator": "", "auto_approve_value": ""}
        if condition is None:
            return empty
        if not isinstance(condition, dict):
            self.error(_('%(where)s: auto_approve_if must be an object like {"field", "op", "value"}.'), where=where)
            return empty
        name, op, value = condition.get("field"), condition.get("op"), condition.get("value", "")
        if not isinstance(name, str) or (name not in CONDITION_FIELDS and name not in form_keys):
            self.error(
                _("%(where)s: auto_approve_if field %(field)s must be %(fields)s or the key of a form field."),
                where=where,
                field=_quoted(name),
                fields=", ".join(CONDITION_FIELDS),
            )
        if op not in ConditionOperator.values:
            self.error(
                _("%(where)s: auto_approve_if op %(op)s must be one of %(ops)s."),
                where=where,
                op=_quoted(op),
                ops=", ".join(ConditionOperator.values),
            )
        if _is_int(value) or isinstance(value, float):
            value = str(value)
        if not isinstance(value, str):
            self.error(_("%(where)s: auto_approve_if value must be text or a number."), where=where)
            value = ""
        elif name in CONDITION_FIELDS and not _is_amount(value):
            self.error(_("%(where)s: auto_approve_if compares %(field)s with a number."), where=where, field=name)
        return {
            "auto_approve_field": name if isinstance(name, str) else "",
            "auto_approve_operator": op if isinstance(op, str) else "",
            "auto_approve_value": value,
        }

    # -- the fulfilment workflow

    def fulfilment(self, tasks, plan: _Plan) -> list[dict]:
        if not isinstance(tasks, list):
            self.error(_("fulfilment must be a list of tasks."))
            return []
        rows = []
        for number, task in enumerate(tasks, start=1):
            where = _("fulfilment task %(number)d") % {"number": number}
            if not isinstance(task, dict):
                self.error(_("%(where)s must be an object."), where=where)
                continue
            step = task.get("step")
            if not _is_int(step) or not 1 <= step <= SMALL_INT_MAX:
                self.error(_("%(where)s: step must be a whole number of 1 or more."), where=where)
            row = {
                "step": step if _is_int(step) else 1,
                "title": self.checked_text(task.get("title"), where + " " + _("title"), required=True),
                "instructions": self.checked_text(task.get("instructions", ""), where + " " + _("instructions")),
                "group": self.reference(task.get("group"), "group", where, plan),
                **self.automation(task.get("automation"), where),
            }
            self.fits(TaskTemplate, row, where)
            rows.append(row)
        return rows

    def automation(self, automation, where: str) -> dict:
        row = {"action": AutomationAction.NONE, "webhook_url": "", "webhook_headers": {}, "max_attempts": 5}
        if automation is None:
            return row
        if not isinstance(automation, dict) or automation.get("action") != AutomationAction.WEBHOOK:
            self.error(_('%(where)s: automation must be null or {"action": "webhook", "url", "headers"}.'), where=where)
            return row
        url, headers, attempts = automation.get("url"), automation.get("headers", {}), automation.get("max_attempts", 5)
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            self.error(
                _("%(where)s: the webhook URL %(url)s must be an http or https address."), where=where, url=_quoted(url)
            )
        if not _valid_headers(headers):
            self.error(
                _("%(where)s: webhook headers must be an object of header names and one-line text values."), where=where
            )
        if not _is_int(attempts) or not 1 <= attempts <= SMALL_INT_MAX:
            self.error(_("%(where)s: max_attempts must be a whole number of 1 or more."), where=where)
        return {
            "action": AutomationAction.WEBHOOK,
            "webhook_url": url if isinstance(url, str) else "",
            "webhook_headers": headers if isinstance(headers, dict) else {},
            "max_attempts": attempts if _is_int(attempts) else 5,
        }


def _is_amount(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return False


def _valid_headers(headers) -> bool:
    return isinstance(headers, dict) and all(
        isinstance(name, str) and HEADER_NAME.fullmatch(name) and isinstance(value, str) and _one_line(value)
        for name, value in headers.items()
    )


def _field_row(spec: dict, position: int) -> dict:
    """A checked form field definition as ItemField columns (the inverse of `definition.field_definition`)."""
    return {
        "position": position,
        "key": spec["key"],
        "label": spec["label"],
        "field_type": spec["type"],
        "required": spec.get("required", False),
        "help_text": spec.get("help_text", ""),
        "default": spec.get("default"),
        "choices": definition.format_choices(spec.get("choices", [])),
        "regex": spec.get("regex", ""),
        "regex_message": spec.get("regex_message", ""),
        "min_value": _bound_text(spec.get("min")),
        "max_value": _bound_text(spec.get("max")),
        "ci_types": ",".join(spec.get("ci_types", [])),
        **_show_if_columns(spec.get("show_if")),
    }


def _bound_text(bound) -> str:
    return "" if bound is None else str(bound)


def _show_if_columns(rule: dict | None) -> dict:
    if not rule:
        return {"show_if_field": "", "show_if_operator": ItemField.ShowIf.EQUALS, "show_if_value": ""}
    if "in" in rule:
        operator, value = ItemField.ShowIf.IN, ",".join(rule["in"])
    elif "checked" in rule:
        operator, value = ItemField.ShowIf.CHECKED, "true" if rule["checked"] else "false"
    else:
        operator, value = ItemField.ShowIf.EQUALS, rule["equals"]
    return {"show_if_field": rule["field"], "show_if_operator": operator, "show_if_value": value}


def _stored_differently(spec: dict, row: dict) -> list[str]:
    """The settings the rows would not give back as written (choices and show_if values are stored as text)."""
    stored = definition.field_definition(ItemField(**row))
    expected = {"required": False, **spec}
    for name in ("help_text", "regex", "regex_message"):
        if expected.get(name) == "":
            del expected[name]
    if "regex" not in expected:
        expected.pop("regex_message", None)  # only meaningful with a pattern; the rows drop it
    return sorted(name for name in expected.keys() | stored.keys() if expected.get(name) != stored.get(name))


def definition_problems(document) -> list[str]:
    """What is wrong with one item document, without looking at this instance (the admin checks before publishing)."""
    report = ImportReport()
    _ItemCheck(report, 1, document).run()
    return report.errors


# -- checking against this instance ----------------------------------------------------------------


class _Instance:
    """What this instance holds of the names the items use, fetched once for all of them."""

    def __init__(self, plans: list[_Plan]):
        wanted: dict[str, set[str]] = {"group": set(), "user": set(), "role": set(), "department": set()}
        for plan in plans:
            for reference in plan.references:
                wanted[reference.kind].add(reference.name)
        users = get_user_model()
        self.found = {
            "group": {group.name: group for group in AssignmentGroup.objects.filter(name__in=wanted["group"])},
            "user": {
                user.get_username(): user
                for user in users.objects.filter(**{f"{users.USERNAME_FIELD}__in": wanted["user"]})
            },
            "role": {role.name: role for role in Group.objects.filter(name__in=wanted["role"])},
            "department": {dept.name: dept for dept in Department.objects.filter(name__in=wanted["department"])},
        }

    def get(self, kind: str, name: str):
        return self.found[kind].get(name) if name else None

    def check(self, plan: _Plan, report: ImportReport) -> None:
        things = {
            "group": _("the assignment group"),
            "user": _("the user"),
            "role": _("the role"),
            "department": _("the department"),
        }
        for reference in plan.references:
            found = self.get(reference.kind, reference.name)
            if found is None:
                problem = _("%(where)s: %(thing)s %(name)s does not exist on this instance.")
            elif not getattr(found, "is_active", True):
                problem = _("%(where)s: %(thing)s %(name)s is inactive on this instance.")
            else:
                continue
            params = {"where": reference.where, "thing": things[reference.kind], "name": _quoted(reference.name)}
            report.errors.append(_("Item %(item)s: %(problem)s") % {"item": plan.slug, "problem": problem % params})


def _existing_category(path: list[str]) -> tuple[CatalogCategory | None, int]:
    """The deepest existing category along the path, and how many names of the path it matched."""
    parent = None
    for depth, name in enumerate(path):
        found = CatalogCategory.objects.filter(parent=parent, name=name).order_by("pk").first()
        if found is None:
            return parent, depth
        parent = found
    return parent, len(path)


def _category_warnings(plans: list[_Plan], report: ImportReport) -> None:
    seen = set()
    for plan in plans:
        path = tuple(plan.category)
        if path in seen:
            continue
        seen.add(path)
        category, matched = _existing_category(plan.category)
        if matched < len(path):
            report.warnings.append(
                _("Category %(path)s is not on this instance: the import creates it.") % {"path": " › ".join(path)}
            )
        elif not category.is_active:
            report.warnings.append(
                _("Category %(path)s is inactive here: its items are not shown until it is activated.")
                % {"path": " › ".join(path)}
            )


# -- reading the input ------------------------------------------------------------------------------


def _refuse_constant(name: str):
    raise ValueError(_("%(name)s is not a JSON value") % {"name": name})


def _load(data, report: ImportReport):
    """The parsed document, or None (with an error) when the input is not JSON text."""
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(_("The file is not UTF-8 text."))
            return None
    if isinstance(data, str):
        try:
            return json.loads(data, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            report.errors.append(_("The file is not valid JSON: %(error)s") % {"error": str(error)[:200]})
            return None
    return data


def _documents(data, report: ImportReport) -> list:
    """The item documents of one item or of a catalog export."""
    if not isinstance(data, dict):
        report.errors.append(_("The file must hold a JSON object: an exported item or catalog."))
        return []
    marker = data.get("format")
    if marker == ITEM_FORMAT:
        return [data]
    if marker != BUNDLE_FORMAT:
        report.errors.append(
            _("Unknown format %(format)s: expected %(bundle)s or %(item)s.")
            % {"format": _quoted(marker), "bundle": BUNDLE_FORMAT, "item": ITEM_FORMAT}
        )
        return []
    items = data.get("items")
    if not isinstance(items, list) or not items:
        report.errors.append(_("The catalog export must hold a non-empty list of items."))
        return []
    return items


def _check(documents: list, report: ImportReport) -> list[_Plan]:
    plans = [_ItemCheck(report, index, document).run() for index, document in enumerate(documents, start=1)]
    plans = [plan for plan in plans if plan is not None]
    slugs = [plan.slug for plan in plans]
    for slug in sorted({slug for slug in slugs if slugs.count(slug) > 1}):
        report.errors.append(_("Item %(item)s: the file holds this slug more than once.") % {"item": slug})
    return plans


# -- writing ----------------------------------------------------------------------------------------


def _free_slug(name: str) -> str:
    base = slugify(name)[:90] or "category"
    slug, number = base, 1
    while CatalogCategory.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def _category(path: list[str]) -> CatalogCategory:
    """The category at the end of the path, matched by (parent, name) and created where missing."""
    parent, matched = _existing_category(path)
    for name in path[matched:]:
        parent = CatalogCategory.objects.create(name=name, slug=_free_slug(name), parent=parent)
    return parent


def _write(plan: _Plan, instance: _Instance, actor, report: ImportReport) -> None:
    """Create or update one item from its plan, replace its rows and publish (a no-op when nothing changed)."""
    item = CatalogItem.objects.select_for_update().filter(slug=plan.slug).first()
    created, before = item is None, None if item is None else item.current_version_id
    item = item or CatalogItem(slug=plan.slug)
    for name, value in plan.values.items():
        setattr(item, name, value)
    item.category = _category(plan.category)
    item.fulfilment_group = instance.get("group", plan.fulfilment_group)
    item.save()
    item.allowed_groups.set([instance.get("role", name) for name in plan.roles])
    item.allowed_departments.set([instance.get("department", name) for name in plan.departments])
    item.fields.all().delete()
    ItemField.objects.bulk_create(ItemField(item=item, **row) for row in plan.fields)
    item.approval_steps.all().delete()
    ApprovalStep.objects.bulk_create(
        ApprovalStep(
            item=item,
            **{**row, "group": instance.get("group", row["group"]), "user": instance.get("user", row["user"])},
        )
        for row in plan.steps
    )
    known_headers = {(t.step, t.title): t.webhook_headers for t in item.task_templates.all()}
    item.task_templates.all().delete()
    TaskTemplate.objects.bulk_create(
        TaskTemplate(
            item=item,
            **{
                **row,
                "group": instance.get("group", row["group"]),
                "webhook_headers": _keep_secrets(row, known_headers, plan.slug, report),
            },
        )
        for row in plan.tasks
    )
    version = definition.publish_version(item, actor=actor, note="imported")
    if created:
        report.created.append(plan.slug)
    elif version.pk != before:
        CatalogItem.objects.filter(pk=item.pk).update(updated_at=timezone.now())
        report.updated.append(plan.slug)
    else:
        report.unchanged.append(plan.slug)


def _keep_secrets(row: dict, known: dict, slug: str, report: ImportReport) -> dict:
    """Redacted header values take the value this instance already has for that task; missing ones are dropped."""
    headers = dict(row["webhook_headers"])
    current = known.get((row["step"], row["title"]), {})
    for name, value in row["webhook_headers"].items():
        if value != REDACTED:
            continue
        if name in current:
            headers[name] = current[name]
        else:
            del headers[name]
            report.warnings.append(
                _("%(slug)s: task “%(task)s” needs its %(header)s header set here (exports leave secrets out).")
                % {"slug": slug, "task": row["title"], "header": name}
            )
    return headers


def _validated(data, report: ImportReport) -> tuple[list[_Plan], _Instance | None]:
    """Every item checked, against the format and this instance; nothing is written."""
    data = _load(data, report)
    documents = [] if report.errors else _documents(data, report)
    if report.errors:
        return [], None
    plans = _check(documents, report)
    instance = _Instance(plans)
    for plan in plans:
        instance.check(plan, report)
    _category_warnings(plans, report)
    return plans, instance


def import_items(data, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Check every item, then create or update them all in one transaction (rolled back on a dry run).

    `data`: one item document or a catalog export, parsed or as JSON text/bytes. Writes nothing when any item has
    a problem; the report names each problem, and the items created, updated and unchanged.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        plans, instance = _validated(data, report)
    except RecursionError:
        plans, instance = [], None
        report.errors.append(_("The file is nested too deeply."))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for plan in plans:
                _write(plan, instance, actor, report)
            if dry_run:
                transaction.set_rollback(True)
    except (DatabaseError, RecursionError) as error:
        # Something changed on this instance between the check and the write (e.g. the same import twice at once).
        report.created, report.updated, report.unchanged = [], [], []
        report.errors.append(_("Nothing was imported: the database refused a change (%(error)s).") % {"error": error})
    return report
