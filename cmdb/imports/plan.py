"""Each CI row validated and reconciled in Python, without writing: created, updated, unchanged or an error."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..attributes import validate_attributes
from ..choices import CIStatus, Environment
from .catalog import Catalog, ClassView
from .files import FIXED_COLUMNS, PLAIN_FIELDS
from .report import ImportReport, RowResult

MAX_LENGTHS = {"name": 200, "owner_group": 100, "location": 200}
STATUSES = frozenset(CIStatus.values)
ENVIRONMENTS = frozenset(Environment.values)

# -- planning CI rows --------------------------------------------------------------------------------------------


def cell(value) -> str:
    return "" if value is None else str(value).strip()


def _split_row(row: dict) -> tuple[dict, dict, set]:
    """The plain fields (present ones only), the attribute values, and the keys to clear of a CSV or JSON row.

    Only a JSON row's "attributes" object can clear a value, by giving it null: in a CSV an empty cell means
    "not known here" (a discovery feed need not know every attribute), so it keeps the stored value.
    """
    plain = {f: cell(row[f]) for f in PLAIN_FIELDS if f in row and cell(row[f]) != ""}
    cleared: set = set()
    if "attributes" in row and isinstance(row["attributes"], dict):
        attributes = {k: v for k, v in row["attributes"].items() if v is not None}
        cleared = {k for k, v in row["attributes"].items() if v is None}
    else:
        attributes = {k: v for k, v in row.items() if k not in (*FIXED_COLUMNS, "attributes", "id")}
    return plain, attributes, cleared


@dataclass
class Planned:
    line: int
    ci: dict  # the CI's values after the row (pk negative or None for a new one)
    old: dict | None  # the stored values before (None: created)
    changes: list


class Planner:
    def __init__(self, catalog: Catalog, report: ImportReport):
        self.catalog, self.report = catalog, report
        self.seen: dict[object, int] = {}  # a CI's id (or a planned new one's placeholder) -> line that touched it

    def plan(self, line: int, row) -> Planned | None:
        if not isinstance(row, dict):
            self.report.add(RowResult(line, "error", errors={"row": [_("A row must be an object.")]}))
            return None
        errors: dict[str, list] = {}
        view = self.catalog.classes.get(cell(row.get("class")).casefold())
        if view is None:
            errors["class"] = [_("Unknown class %(class)s.") % {"class": cell(row.get("class")) or "-"}]
        plain, attributes, cleared = _split_row(row)
        label = plain.get("name", "")
        if "name" not in plain:
            errors["name"] = [_("A configuration item needs a name.")]
        if "status" in plain and plain["status"] not in STATUSES:
            errors["status"] = [_("Unknown status.")]
        if "environment" in plain and plain["environment"] not in ENVIRONMENTS:
            errors["environment"] = [_("Unknown environment.")]
        for name, limit in MAX_LENGTHS.items():
            if len(plain.get(name, "")) > limit:
                errors[name] = [_("At most %(limit)d characters.") % {"limit": limit}]
        owner_text = cell(row.get("owned_by"))
        owner_id = self.catalog.owner_id(owner_text) if owner_text else None
        if owner_text and owner_id is None:
            errors["owned_by"] = [_("No active user with that username or email.")]
        if view is None:
            return self._error(line, label, errors)
        # A CSV has a column for every key of every class: blank cells of other classes' keys are no values.
        given = {k: v for k, v in attributes.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
        try:
            # Required keys missing from the row may be stored already: judged after matching.
            cleaned_given = validate_attributes(view, given, required=False)
        except ValidationError as error:
            errors.update(error.message_dict)
        errors.update(
            {
                key: [_("%(key)s is not an attribute of %(class)s.") % {"key": key, "class": view.name}]
                for key in sorted(cleared - view.keys)
            }
        )
        if errors:
            return self._error(line, label, errors)
        match, problem = self._match(view, plain["name"], cleaned_given)
        if problem:
            return self._error(line, label, problem)
        if match is not None and match in self.seen:
            return self._error(
                line, label, {"row": [_("Line %(line)s already imports this CI.") % {"line": self.seen[match]}]}
            )
        old = self.catalog.cis.get(match) if match is not None else None
        if old is None:
            new = {
                "pk": None,
                "ci_class_id": view.pk,
                "ci_type": view.kind,
                "name": plain["name"],
                "status": plain.get("status", CIStatus.IN_SERVICE),
                "environment": plain.get("environment", Environment.PRODUCTION),
                "owner_group": plain.get("owner_group", ""),
                "location": plain.get("location", ""),
                "description": plain.get("description", ""),
                "owned_by_id": owner_id,
            }
            merged = cleaned_given
        else:
            new = {**old, **plain, "ci_class_id": view.pk, "ci_type": view.kind}
            if owner_id is not None:  # an empty cell keeps the stored owner, like any other field
                new["owned_by_id"] = owner_id
            stored = old["attributes"] or {}
            # A new class keeps the stored values it also defines (as update_ci does).
            merged = {**{k: v for k, v in stored.items() if k in view.keys and k not in cleared}, **cleaned_given}
        if old is not None and old["ci_class_id"] != view.pk:
            # Values kept from another class are checked against this one's definitions.
            try:
                merged = validate_attributes(view, merged)
            except ValidationError as error:
                return self._error(line, label, error.message_dict)
        # The given values are clean and the stored ones were cleaned when stored: what is left is required keys.
        missing = {
            a.key: [_("%(label)s is required.") % {"label": a.label}] for a in view.required if a.key not in merged
        }
        if missing:
            return self._error(line, label, missing)
        new["attributes"] = merged
        clash = self._clash(view, new, exclude=match)
        if clash:
            return self._error(line, label, clash)
        changes = self._changes(old, new, view)
        if old is not None:
            self.catalog.forget(old)
        if new["pk"] is None:
            new["pk"] = self.catalog.placeholder()
        self.catalog.remember(new)
        self.seen[new["pk"]] = line
        if old is None:
            self.report.add(RowResult(line, "created", label, changes))
        elif changes:
            self.report.add(RowResult(line, "updated", label, changes))
        else:
            self.report.add(RowResult(line, "unchanged", label))
            return None
        return Planned(line, new, old, changes)

    def _error(self, line: int, label: str, errors: dict) -> None:
        self.report.add(RowResult(line, "error", label, errors={k: list(v) for k, v in errors.items()}))
        return None

    def _match(self, view: ClassView, name: str, attributes: dict) -> tuple[int | None, dict | None]:
        """The CI the row describes: by its identifiers, else by name; an error when they disagree."""
        found: dict[int, str] = {}
        for attribute, _scope in view.identifiers:
            value = attributes.get(attribute.key)
            if value is not None:
                pk = self.catalog.ids[(attribute.ci_class_id, attribute.key)].get(value)
                if pk is not None:
                    found.setdefault(pk, attribute.key)
        if len(found) > 1:
            return None, {
                key: [_("%(key)s points at another configuration item than the other identifiers.") % {"key": key}]
                for key in list(found.values())[1:]
            }
        if found:
            return next(iter(found)), None
        by_name = self.catalog.names.get((view.kind, name))
        if by_name is None:
            return None, None
        stored = self.catalog.cis[by_name]
        # The named CI is this one only if none of its identifiers says otherwise.
        for attribute, _scope in view.identifiers:
            mine, theirs = attributes.get(attribute.key), (stored["attributes"] or {}).get(attribute.key)
            if mine is not None and theirs not in (None, "") and mine != theirs:
                return None, {"name": [_("Another %(type)s is called %(name)s.") % {"type": view.name, "name": name}]}
        return by_name, None

    def _clash(self, view: ClassView, new: dict, *, exclude: int | None) -> dict:
        errors = {}
        other = self.catalog.names.get((view.kind, new["name"]))
        if other is not None and other != exclude:
            errors["name"] = [_("Another %(type)s is called %(name)s.") % {"type": view.name, "name": new["name"]}]
        for attribute, _scope in view.identifiers:
            value = new["attributes"].get(attribute.key)
            other = self.catalog.ids[(attribute.ci_class_id, attribute.key)].get(value) if value is not None else None
            if other is not None and other != exclude:
                line = self.seen.get(other)
                errors[attribute.key] = [
                    _("%(label)s %(value)s is already used by line %(line)s.")
                    % {"label": attribute.label, "value": value, "line": line}
                    if line
                    else _("%(label)s %(value)s is already used by %(ci)s.")
                    % {"label": attribute.label, "value": value, "ci": self.catalog.cis[other]["name"]}
                ]
        return errors

    def _changes(self, old: dict | None, new: dict, view: ClassView) -> list:
        """The history rows ``services.create_ci`` / ``update_ci`` write for the same change."""
        if old is None:
            changes = [("class", None, view.name)]
            changes += [(f, None, new[f]) for f in PLAIN_FIELDS if new[f] not in ("", None)]
            if new["owned_by_id"] is not None:
                changes.append(("owned_by", None, self.catalog.username(new["owned_by_id"])))
            before = {}
        else:
            changes = []
            if old["ci_class_id"] != new["ci_class_id"]:
                old_view = self.catalog.by_pk.get(old["ci_class_id"])
                changes.append(("class", old_view.name if old_view else None, view.name))
            changes += [(f, old[f], new[f]) for f in PLAIN_FIELDS if old[f] != new[f]]
            if old["owned_by_id"] != new["owned_by_id"]:
                owners = (self.catalog.username(old["owned_by_id"]), self.catalog.username(new["owned_by_id"]))
                changes.append(("owned_by", *owners))
            before = old["attributes"] or {}
        after = new["attributes"]
        changes += [
            (f"attributes.{key}", before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        ]
        return changes
