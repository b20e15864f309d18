"""An item's whole definition as one JSON document: what a version freezes and what an export writes.

```
{"format": "itsm-catalog-item/1", "slug", "name", "category": [root name, …, leaf name], "short_description",
 "description", "icon", "expected_delivery_days", "cost": "1200.00" | null, "is_standard", "max_quantity",
 "fulfilment_group": {"name"}, "ordering": {"groups": [names], "departments": [names]},
 "form": [field definitions, see form_engine],
 "approval": [{"name", "approver": manager|group_any|group_all|user, "group": {"name"} | null,
               "user": {"username"} | null, "auto_approve_if": {"field", "op", "value"} | null}],
 "fulfilment": [{"step", "title", "instructions", "group": {"name"} | null,
                 "automation": {"action": "webhook", "url", "headers", "max_attempts"} | null}]}
```
References to groups and people carry their name (portable between instances) and, inside a version, their
id as well, so that a renamed group still resolves for requests ordered before the rename.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from .choices import FieldType
from .models import CatalogItem, CatalogItemVersion, ItemField

FORMAT = "itsm-catalog-item/1"


def _group_ref(group) -> dict | None:
    return None if group is None else {"name": group.name, "id": group.pk}


def _user_ref(user) -> dict | None:
    return None if user is None else {"username": user.get_username(), "id": user.pk}


def field_definition(row: ItemField) -> dict:
    """One form field row as the form engine's definition dict (empty settings left out)."""
    spec: dict = {"key": row.key, "label": row.label, "type": row.field_type, "required": row.required}
    if row.help_text:
        spec["help_text"] = row.help_text
    if row.default is not None:
        spec["default"] = row.default
    if row.field_type in (FieldType.CHOICE, FieldType.MULTICHOICE):
        spec["choices"] = parse_choices(row.choices)
    if row.regex:
        spec["regex"] = row.regex
        if row.regex_message:
            spec["regex_message"] = row.regex_message
    for name, raw in (("min", row.min_value), ("max", row.max_value)):
        if raw.strip():
            spec[name] = _bound(row.field_type, raw.strip())
    if row.ci_types.strip():
        spec["ci_types"] = [part.strip() for part in row.ci_types.split(",") if part.strip()]
    if row.show_if_field:
        spec["show_if"] = _show_if(row)
    return spec


def parse_choices(text: str) -> list[dict]:
    """`value|label` lines (label optional) as the engine's choice dicts."""
    choices = []
    for line in text.splitlines():
        if not line.strip():
            continue
        value, _sep, label = line.partition("|")
        choices.append({"value": value.strip(), "label": (label or value).strip()})
    return choices


def format_choices(choices: list[dict]) -> str:
    return "\n".join(
        choice["value"]
        if choice.get("label") in (None, "", choice["value"])
        else f"{choice['value']}|{choice['label']}"
        for choice in choices
    )


def _bound(field_type: str, raw: str):
    """A min/max as the engine wants it: numbers for number, text length and picks; dates stay strings."""
    if field_type == FieldType.DATE:
        return raw
    try:
        number = Decimal(raw)
    except ArithmeticError:
        return raw  # left for validate_definition to report
    # "Infinity", "NaN" or 1e9999999 would hang or crash int(): left as text for validate_definition to report.
    if not number.is_finite() or abs(number.adjusted()) > 18:
        return raw
    return int(number) if number == number.to_integral_value() else float(number)


def _show_if(row: ItemField) -> dict:
    operator = row.show_if_operator or ItemField.ShowIf.EQUALS
    if operator == ItemField.ShowIf.IN:
        return {"field": row.show_if_field, "in": [v.strip() for v in row.show_if_value.split(",") if v.strip()]}
    if operator == ItemField.ShowIf.CHECKED:
        return {"field": row.show_if_field, "checked": row.show_if_value.strip().lower() not in ("false", "0", "no")}
    return {"field": row.show_if_field, "equals": row.show_if_value}


def item_definition(item: CatalogItem) -> dict:
    """The item's rows as one document (the format at the top of this module)."""
    item = (
        CatalogItem.objects.select_related("category", "fulfilment_group")
        .prefetch_related(
            "allowed_groups",
            "allowed_departments",
            "fields",
            "approval_steps__group",
            "approval_steps__user",
            "task_templates__group",
        )
        .get(pk=item.pk)
    )
    return {
        "format": FORMAT,
        "slug": item.slug,
        "name": item.name,
        "category": [category.name for category in item.category.path()],
        "short_description": item.short_description,
        "description": item.description,
        "icon": item.icon,
        "expected_delivery_days": item.expected_delivery_days,
        "cost": None if item.cost is None else str(item.cost),
        "is_standard": item.is_standard,
        "max_quantity": item.max_quantity,
        "fulfilment_group": _group_ref(item.fulfilment_group),
        "ordering": {
            "groups": sorted(group.name for group in item.allowed_groups.all()),
            "departments": sorted(department.name for department in item.allowed_departments.all()),
        },
        "form": [field_definition(row) for row in item.fields.all()],
        "approval": [
            {
                "name": step.name,
                "approver": step.approver_type,
                "group": _group_ref(step.group),
                "user": _user_ref(step.user),
                "auto_approve_if": (
                    {
                        "field": step.auto_approve_field,
                        "op": step.auto_approve_operator,
                        "value": step.auto_approve_value,
                    }
                    if step.auto_approve_field
                    else None
                ),
            }
            for step in item.approval_steps.all()
        ],
        "fulfilment": [
            {
                "step": task.step,
                "title": task.title,
                "instructions": task.instructions,
                "group": _group_ref(task.group),
                "automation": (
                    {
                        "action": task.action,
                        "url": task.webhook_url,
                        "headers": task.webhook_headers or {},
                        "max_attempts": task.max_attempts,
                    }
                    if task.action
                    else None
                ),
            }
            for task in item.task_templates.all()
        ],
    }


def checksum(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def publish_version(item: CatalogItem, *, actor=None, note: str = "") -> CatalogItemVersion:
    """Freeze the item's rows as a new version when they differ from the current one (else return it)."""
    with transaction.atomic():
        locked = CatalogItem.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=item.pk)
        definition = item_definition(locked)
        digest = checksum(definition)
        version = locked.current_version
        if version is None or version.checksum != digest:
            number = (locked.versions.aggregate(last=Max("number"))["last"] or 0) + 1
            version = CatalogItemVersion.objects.create(
                item=locked, number=number, definition=definition, checksum=digest, created_by=actor, note=note
            )
            CatalogItem.objects.filter(pk=item.pk).update(current_version=version)
            locked.current_version = version
    item.current_version = version  # the caller's instance sees the version too
    return version
