"""Import and discovery: CIs and relations from CSV or JSON, reconciled on each class's identifiers.

**Reconciliation.** A row names its class; its identifier attributes (hostname, serial number …, unique in the
defining class's subtree) find the CI it describes. A class without identifiers, or a row giving none of them,
falls back to the name (unique per CI type). Found → only the changed fields are written, each with a CIHistory
row like ``services.update_ci`` writes; not found → created with the history ``services.create_ci`` writes.
A second row of one file for the same CI is an error (nothing is duplicated). An empty cell or a key left out
keeps the stored value (a discovery feed need not know every attribute).

**Why not call the services per row.** ``create_ci``/``update_ci`` cost a dozen queries each (class lineage,
attribute definitions, identifier look-ups under advisory locks); 100,000 rows must import in under a minute.
So the classes, their attribute definitions, and the identifier and name maps are loaded once, every row is
validated in Python (``validate_attributes`` against the pre-loaded definitions, the services' choice checks)
and planned without writing; then the good rows are written in batches (``bulk_create``, ``UPDATE … FROM VALUES``,
the history rows by ``COPY``), one transaction per batch. The history rows are the services' (same fields, same
old/new values), written by this module's bulk path. A row is planned completely before anything is written,
so a bad row is skipped whole and a good one is written whole; if a batch still fails in the database (a
concurrent edit took a name), it is retried row by row, each row in its own savepoint.

**Dry run** is the same plan with the write step left out: the same report, nothing written.
"""

import csv
import gc
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .attributes import validate_attributes
from .choices import CIStatus, Environment
from .models import CIAttribute, CIClass, CIHistory, ConfigurationItem, Relation, RelationType, RelationTypePair
from .rules import can_manage_cmdb

PLAIN_FIELDS = ("name", "status", "environment", "owner_group", "location", "description")
FIXED_COLUMNS = ("class", *PLAIN_FIELDS)
RELATION_COLUMNS = ("source_class", "source", "relation", "target_class", "target")
MAX_LENGTHS = {"name": 200, "owner_group": 100, "location": 200}
BATCH_SIZE = 2000
SYNC_LIMIT = 2000  # rows a request imports itself; larger files go to the Celery task
STATUSES = frozenset(CIStatus.values)
ENVIRONMENTS = frozenset(Environment.values)


@dataclass
class RowResult:
    """What happened (or would happen) to one row: created / updated / unchanged / error."""

    line: int
    action: str
    label: str = ""
    changes: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "action": self.action,
            "label": self.label,
            "changes": self.changes,
            "errors": self.errors,
        }


@dataclass
class ImportReport:
    """Counts and per-row results of one import (rows that are unchanged are counted, not listed)."""

    dry_run: bool = False
    total: int = 0
    counts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "error": 0})
    relation_counts: dict = field(default_factory=lambda: {"created": 0, "unchanged": 0, "error": 0})
    rows: list[RowResult] = field(default_factory=list)
    relation_rows: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file-level problems (unreadable file, unknown columns)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.counts["error"] and not self.relation_counts["error"]

    @property
    def row_errors(self) -> list[RowResult]:
        return [r for r in (*self.rows, *self.relation_rows) if r.action == "error"]

    def add(self, result: RowResult, *, relation: bool = False) -> None:
        (self.relation_counts if relation else self.counts)[result.action] += 1
        if result.action != "unchanged":
            (self.relation_rows if relation else self.rows).append(result)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "ok": self.ok,
            "total": self.total,
            "counts": self.counts,
            "relation_counts": self.relation_counts,
            "errors": self.errors,
            "rows": [r.as_dict() for r in self.rows],
            "relation_rows": [r.as_dict() for r in self.relation_rows],
        }


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, missing columns)."""


# -- reading files --------------------------------------------------------------------------------------------


def _text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(_("The file is not UTF-8 text.")) from None
    return data


def read_ci_rows(data: bytes | str, fmt: str) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    """(line, row) pairs of CIs and of relations from a CSV (CIs only) or JSON document."""
    text = _text(data)
    if fmt == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFileError(_("The file is not JSON: %(error)s") % {"error": error}) from None
        if isinstance(document, list):
            document = {"cis": document}
        if not isinstance(document, dict):
            raise ImportFileError(_('Expected an object with "cis" and "relations".'))
        cis, relations = document.get("cis") or [], document.get("relations") or []
        if not isinstance(cis, list) or not isinstance(relations, list):
            raise ImportFileError(_('"cis" and "relations" must be lists.'))
        # A JSON row's "line" is its position in its list, from 1.
        return list(enumerate(cis, start=1)), list(enumerate(relations, start=1))
    if fmt != "csv":
        raise ImportFileError(_("Unknown format %(format)s.") % {"format": fmt})
    return _csv_rows(text, required=("class", "name")), []


def read_relation_rows(data: bytes | str) -> list[tuple[int, dict]]:
    """(line, row) pairs of a relations CSV (source_class, source, relation, target_class, target)."""
    return _csv_rows(_text(data), required=RELATION_COLUMNS)


def _csv_rows(text: str, *, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    reader.fieldnames = headers
    # Line numbers are the file's (the header is line 1).
    return [(reader.line_num, {k: v for k, v in row.items() if k is not None}) for row in reader]


# -- the pre-loaded CMDB ---------------------------------------------------------------------------------------


class _ClassView:
    """A class with its effective attributes loaded once (``validate_attributes`` asks for them per row)."""

    def __init__(self, ci_class: CIClass, attributes: list[CIAttribute], identifiers: list[tuple[CIAttribute, set]]):
        self.obj, self.pk, self.name, self.kind = ci_class, ci_class.pk, ci_class.name, ci_class.kind
        self._attributes = attributes
        self.keys = {a.key for a in attributes}
        self.required = [a for a in attributes if a.required]
        self.identifiers = identifiers  # (attribute, class ids of its defining subtree)
        self.lineage_ids: set[int] = set()

    def effective_attributes(self) -> list[CIAttribute]:
        return self._attributes

    def __str__(self) -> str:
        return self.name


class _Catalog:
    """Classes, identifier and name maps, and (lazily) relation types, built from a few queries."""

    def __init__(self):
        classes = {c.pk: c for c in CIClass.objects.all()}
        by_class: dict[int, list[CIAttribute]] = {}
        for attribute in CIAttribute.objects.select_related("ci_class", "reference_class"):
            by_class.setdefault(attribute.ci_class_id, []).append(attribute)
        children: dict[int | None, list[int]] = {}
        for c in classes.values():
            children.setdefault(c.parent_id, []).append(c.pk)

        def subtree(pk):
            found, todo = {pk}, [pk]
            while todo:
                for child in children.get(todo.pop(), ()):
                    if child not in found:
                        found.add(child)
                        todo.append(child)
            return found

        def lineage(c):
            chain, seen = [], set()
            while c is not None and c.pk not in seen:
                chain.append(c)
                seen.add(c.pk)
                c = classes.get(c.parent_id)
            return chain[::-1]

        self.classes: dict[str, _ClassView] = {}
        self.by_pk: dict[int, _ClassView] = {}
        subtrees: dict[int, set] = {}
        for c in classes.values():
            attrs, keys = [], set()
            for node in lineage(c):
                for a in sorted(by_class.get(node.pk, []), key=lambda a: (a.position, a.key)):
                    if a.key not in keys:
                        keys.add(a.key)
                        attrs.append(a)
            identifiers = [
                (a, subtrees.setdefault(a.ci_class_id, subtree(a.ci_class_id))) for a in attrs if a.is_identifier
            ]
            view = _ClassView(c, attrs, identifiers)
            view.lineage_ids = {n.pk for n in lineage(c)}
            self.classes[c.name.casefold()] = self.by_pk[c.pk] = view
        # Identifier maps: (defining class id, key) -> value -> CI id; names: (type, name) -> CI id.
        self.ids: dict[tuple[int, str], dict] = {}
        for view in self.by_pk.values():
            for attribute, _scope in view.identifiers:
                self.ids.setdefault((attribute.ci_class_id, attribute.key), {})
        self.names: dict[tuple[str, str], int] = {}
        self.cis: dict[int, dict] = {}
        self._next_placeholder = -1
        self._relation_types = None

    def load_cis(self) -> None:
        """Every CI's fields and attributes (one query): the reconciliation reads them, not the database per row."""
        columns = ("pk", "ci_class_id", "ci_type", *PLAIN_FIELDS, "attributes")
        for values in ConfigurationItem.objects.order_by().values_list(*columns).iterator(chunk_size=5000):
            ci = dict(zip(columns, values, strict=True))
            self.remember(ci)

    def remember(self, ci: dict) -> None:
        self.cis[ci["pk"]] = ci
        self.names[(ci["ci_type"], ci["name"])] = ci["pk"]
        view = self.by_pk.get(ci["ci_class_id"])
        if view is None:
            return
        for attribute, _scope in view.identifiers:
            value = (ci["attributes"] or {}).get(attribute.key)
            if value not in (None, ""):
                self.ids[(attribute.ci_class_id, attribute.key)][value] = ci["pk"]

    def forget(self, ci: dict) -> None:
        self.names.pop((ci["ci_type"], ci["name"]), None)
        view = self.by_pk.get(ci["ci_class_id"])
        for attribute, _scope in view.identifiers if view else ():
            value = (ci["attributes"] or {}).get(attribute.key)
            if value not in (None, ""):
                self.ids[(attribute.ci_class_id, attribute.key)].pop(value, None)

    def placeholder(self) -> int:
        """A negative id for a CI a dry run would create (relations of the same file can point at it)."""
        self._next_placeholder -= 1
        return self._next_placeholder

    def relation_types(self) -> dict[str, tuple[RelationType, list]]:
        if self._relation_types is None:
            pairs: dict[int, list] = {}
            for pair in RelationTypePair.objects.all():
                pairs.setdefault(pair.relation_type_id, []).append((pair.source_class_id, pair.target_class_id))
            self._relation_types = {t.name.casefold(): (t, pairs.get(t.pk, [])) for t in RelationType.objects.all()}
        return self._relation_types


# -- planning CI rows --------------------------------------------------------------------------------------------


def _cell(value) -> str:
    return "" if value is None else str(value).strip()


def _split_row(row: dict) -> tuple[dict, dict]:
    """The plain fields (present ones only) and the attribute values of a CSV or JSON row."""
    plain = {f: _cell(row[f]) for f in PLAIN_FIELDS if f in row and _cell(row[f]) != ""}
    if "attributes" in row and isinstance(row["attributes"], dict):
        attributes = dict(row["attributes"])
    else:
        attributes = {k: v for k, v in row.items() if k not in (*FIXED_COLUMNS, "attributes", "id")}
    return plain, attributes


@dataclass
class _Planned:
    line: int
    ci: dict  # the CI's values after the row (pk negative or None for a new one)
    old: dict | None  # the stored values before (None: created)
    changes: list


class _Planner:
    def __init__(self, catalog: _Catalog, report: ImportReport):
        self.catalog, self.report = catalog, report
        self.seen: dict[object, int] = {}  # a CI's id (or a planned new one's placeholder) -> line that touched it

    def plan(self, line: int, row) -> _Planned | None:
        if not isinstance(row, dict):
            self.report.add(RowResult(line, "error", errors={"row": [_("A row must be an object.")]}))
            return None
        errors: dict[str, list] = {}
        view = self.catalog.classes.get(_cell(row.get("class")).casefold())
        if view is None:
            errors["class"] = [_("Unknown class %(class)s.") % {"class": _cell(row.get("class")) or "-"}]
        plain, attributes = _split_row(row)
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
        if view is None:
            return self._error(line, label, errors)
        # A CSV has a column for every key of every class: blank cells of other classes' keys are no values.
        given = {k: v for k, v in attributes.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
        try:
            cleaned_given = validate_attributes(view, given)
        except ValidationError as error:
            message_dict = error.message_dict
            # Required keys missing from the row may be stored already: judged after matching.
            errors.update({k: v for k, v in message_dict.items() if k in given or k not in view.keys})
            cleaned_given = None
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
            }
            merged = cleaned_given
        else:
            new = {**old, **plain, "ci_class_id": view.pk, "ci_type": view.kind}
            stored = old["attributes"] or {}
            # A new class keeps the stored values it also defines (as update_ci does).
            merged = {**{k: v for k, v in stored.items() if k in view.keys}, **cleaned_given}
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
        return _Planned(line, new, old, changes)

    def _error(self, line: int, label: str, errors: dict) -> None:
        self.report.add(RowResult(line, "error", label, errors={k: list(v) for k, v in errors.items()}))
        return None

    def _match(self, view: _ClassView, name: str, attributes: dict) -> tuple[int | None, dict | None]:
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

    def _clash(self, view: _ClassView, new: dict, *, exclude: int | None) -> dict:
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

    def _changes(self, old: dict | None, new: dict, view: _ClassView) -> list:
        """The history rows ``services.create_ci`` / ``update_ci`` write for the same change."""
        if old is None:
            changes = [("class", None, view.name)]
            changes += [(f, None, new[f]) for f in PLAIN_FIELDS if new[f] not in ("", None)]
            before = {}
        else:
            changes = []
            if old["ci_class_id"] != new["ci_class_id"]:
                old_view = self.catalog.by_pk.get(old["ci_class_id"])
                changes.append(("class", old_view.name if old_view else None, view.name))
            changes += [(f, old[f], new[f]) for f in PLAIN_FIELDS if old[f] != new[f]]
            before = old["attributes"] or {}
        after = new["attributes"]
        changes += [
            (f"attributes.{key}", before.get(key), after.get(key))
            for key in sorted(before.keys() | after.keys())
            if before.get(key) != after.get(key)
        ]
        return changes


# -- writing -------------------------------------------------------------------------------------------------


def _copy_history(rows: list[tuple[int, int | None, str, object, object]]) -> None:
    """CIHistory rows by COPY (a million rows in seconds; bulk_create builds a million objects first)."""
    if not rows:
        return
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for ci_id, actor_id, name, old, new in rows:
        writer.writerow(
            [
                ci_id,
                "" if actor_id is None else actor_id,
                now,
                name,
                "" if old is None else json.dumps(old, ensure_ascii=False),
                "" if new is None else json.dumps(new, ensure_ascii=False),
            ]
        )
    buffer.seek(0)
    table = CIHistory._meta.db_table
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} (ci_id, actor_id, at, field, old_value, new_value) FROM STDIN WITH (FORMAT csv)", buffer
        )


_UPDATE_SQL = """
UPDATE {table} AS ci SET ci_class_id = v.ci_class_id, ci_type = v.ci_type, name = v.name, status = v.status,
    environment = v.environment, owner_group = v.owner_group, location = v.location, description = v.description,
    attributes = v.attributes::jsonb, updated_at = v.updated_at
FROM (VALUES %s) AS v(id, ci_class_id, ci_type, name, status, environment, owner_group, location, description,
    attributes, updated_at)
WHERE ci.id = v.id
"""


def _update_rows(changed: list[_Planned], now) -> None:
    """One UPDATE … FROM (VALUES …) per page: bulk_update's CASE per field costs rows × rows per batch."""
    from psycopg2.extras import execute_values

    rows = [
        (
            p.ci["pk"],
            p.ci["ci_class_id"],
            p.ci["ci_type"],
            *(str(p.ci[f]) for f in PLAIN_FIELDS),
            json.dumps(p.ci["attributes"], ensure_ascii=False),
            now,
        )
        for p in changed
    ]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, _UPDATE_SQL.format(table=ConfigurationItem._meta.db_table), rows, page_size=1000)


def _write_cis(planned: list[_Planned], actor_id: int | None) -> None:
    """Create and update a batch of planned CIs with their history, in the caller's transaction."""
    now = timezone.now()
    new = [p for p in planned if p.old is None]
    changed = [p for p in planned if p.old is not None]
    objects = [
        ConfigurationItem(**{k: v for k, v in p.ci.items() if k != "pk"}, created_at=now, updated_at=now) for p in new
    ]
    ConfigurationItem.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    for p, obj in zip(new, objects, strict=True):
        p.ci["pk"] = obj.pk
    if changed:
        _update_rows(changed, now)
    _copy_history([(p.ci["pk"], actor_id, f, o, n) for p in planned for f, o, n in p.changes])


def _apply(planned: list[_Planned], actor_id: int | None, report: ImportReport, planner: "_Planner") -> None:
    """Write a batch in one transaction; a batch the database refuses is retried row by row (savepoints)."""
    catalog = planner.catalog
    placeholders = {p.ci["pk"]: p for p in planned if p.old is None}
    try:
        with transaction.atomic():
            _write_cis(planned, actor_id)
    except (IntegrityError, DatabaseError):
        for p in planned:
            try:
                with transaction.atomic():
                    _write_cis([p], actor_id)
            except (IntegrityError, DatabaseError) as error:
                result = next(r for r in report.rows if r.line == p.line)
                report.counts[result.action] -= 1
                report.counts["error"] += 1
                result.action, result.errors = "error", {"row": [str(error).splitlines()[0]]}
                if p.old is None:
                    p.ci["pk"] = None
    # New CIs now have real ids: the relations of the same file find them under those.
    for placeholder, p in placeholders.items():
        catalog.cis.pop(placeholder, None)
        line = planner.seen.pop(placeholder, None)
        if p.ci["pk"]:
            catalog.remember(p.ci)
            planner.seen[p.ci["pk"]] = line
        else:
            catalog.forget(p.ci)


# -- relations ------------------------------------------------------------------------------------------------


def _find_ci(catalog: _Catalog, class_name: str, ref: str) -> tuple[int | None, str | None]:
    view = catalog.classes.get(_cell(class_name).casefold())
    if view is None:
        return None, _("Unknown class %(class)s.") % {"class": _cell(class_name) or "-"}
    ref = _cell(ref)
    for attribute, _scope in view.identifiers:
        pk = catalog.ids[(attribute.ci_class_id, attribute.key)].get(ref)
        if pk is not None:
            return pk, None
    pk = catalog.names.get((view.kind, ref))
    if pk is None:
        return None, _("No %(class)s is identified or called %(ref)s.") % {"class": view.name, "ref": ref or "-"}
    return pk, None


def _import_relations(rows, catalog: _Catalog, report: ImportReport, actor_id: int | None, dry_run: bool) -> None:
    """Relations between CIs found by class and identifier (or name); each row an error or a new relation."""
    types = catalog.relation_types()
    existing = set(
        Relation.objects.values_list("source_id", "target_id", "relation_type_id").iterator(chunk_size=10000)
    )
    new: list[tuple[int, int, RelationType]] = []
    for line, row in rows:
        if not isinstance(row, dict):
            report.add(RowResult(line, "error", errors={"row": [_("A row must be an object.")]}), relation=True)
            continue
        label = f"{_cell(row.get('source'))} {_cell(row.get('relation'))} {_cell(row.get('target'))}"
        errors = {}
        source, problem = _find_ci(catalog, row.get("source_class"), row.get("source"))
        if problem:
            errors["source"] = [problem]
        target, problem = _find_ci(catalog, row.get("target_class"), row.get("target"))
        if problem:
            errors["target"] = [problem]
        found = types.get(_cell(row.get("relation")).casefold())
        if found is None:
            errors["relation"] = [_("Unknown relation type %(type)s.") % {"type": _cell(row.get("relation")) or "-"}]
        if errors:
            report.add(RowResult(line, "error", label, errors=errors), relation=True)
            continue
        relation_type, pairs = found
        source_ci, target_ci = catalog.cis[source], catalog.cis[target]
        source_view, target_view = (
            catalog.by_pk.get(source_ci["ci_class_id"]),
            catalog.by_pk.get(target_ci["ci_class_id"]),
        )
        source_ids = source_view.lineage_ids if source_view else set()
        target_ids = target_view.lineage_ids if target_view else set()
        if source == target:
            errors["target"] = [_("A configuration item cannot be related to itself.")]
        elif not any((s is None or s in source_ids) and (t is None or t in target_ids) for s, t in pairs):
            errors["relation"] = [
                _("A %(source)s cannot be related to a %(target)s by “%(type)s”.")
                % {"source": source_view or "-", "target": target_view or "-", "type": relation_type}
            ]
        elif (source, target, relation_type.pk) in existing:
            errors["target"] = [
                _("%(source)s already %(type)s %(target)s.")
                % {"source": source_ci["name"], "type": relation_type, "target": target_ci["name"]}
            ]
        if errors:
            report.add(RowResult(line, "error", label, errors=errors), relation=True)
            continue
        existing.add((source, target, relation_type.pk))
        new.append((source, target, relation_type))
        report.add(RowResult(line, "created", label), relation=True)
    if dry_run or not new:
        return
    with transaction.atomic():
        Relation.objects.bulk_create(
            [Relation(source_id=s, target_id=t, relation_type=rt, created_by_id=actor_id) for s, t, rt in new],
            batch_size=BATCH_SIZE,
        )
        history = []
        for s, t, rt in new:
            history.append(
                (s, actor_id, "relation", None, {"relation": rt.name, "ci": t, "name": catalog.cis[t]["name"]})
            )
            history.append(
                (t, actor_id, "relation", None, {"relation": rt.reverse_name, "ci": s, "name": catalog.cis[s]["name"]})
            )
        _copy_history(history)


# -- the entry point -------------------------------------------------------------------------------------------


def import_cis(
    data: bytes | str,
    *,
    fmt: str = "csv",
    actor=None,
    dry_run: bool = False,
    relations: bytes | str | None = None,
    progress: Callable[[int, int, ImportReport], None] | None = None,
) -> ImportReport:
    """Import CIs (and relations) from a CSV or JSON file; returns the report. Bad rows are skipped, good ones applied.

    ``actor`` must be a CMDB Manager (None: a system import, e.g. the command without ``--actor``).
    ``progress(processed, total, report)`` is called after each batch.
    """
    if actor is not None and not can_manage_cmdb(actor):
        raise PermissionDenied(_("Only a CMDB Manager may change the CMDB."))
    report = ImportReport(dry_run=dry_run)
    try:
        ci_rows, relation_rows = read_ci_rows(data, fmt)
        if relations is not None:
            relation_rows = relation_rows + read_relation_rows(relations)
    except ImportFileError as error:
        report.errors.append(str(error))
        return report
    report.total = len(ci_rows) + len(relation_rows)
    # Millions of small acyclic objects (rows, plans, maps): the collector's passes over them cost a quarter of
    # the time and find nothing to free, so it is paused for the import.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _run(ci_rows, relation_rows, report, actor=actor, dry_run=dry_run, progress=progress)
    finally:
        if collecting:
            gc.enable()
    return report


def _run(ci_rows, relation_rows, report: ImportReport, *, actor, dry_run: bool, progress) -> None:
    actor_id = getattr(actor, "pk", None)
    catalog = _Catalog()
    catalog.load_cis()
    planner = _Planner(catalog, report)
    processed = 0
    for start in range(0, len(ci_rows), BATCH_SIZE):
        batch = [p for line, row in ci_rows[start : start + BATCH_SIZE] if (p := planner.plan(line, row))]
        if batch and not dry_run:
            _apply(batch, actor_id, report, planner)
        processed += min(BATCH_SIZE, len(ci_rows) - start)
        if progress:
            progress(processed, report.total, report)
    if relation_rows:
        _import_relations(relation_rows, catalog, report, actor_id, dry_run)
        if progress:
            progress(report.total, report.total, report)


def count_rows(data: bytes | str, fmt: str) -> int:
    """How many CI rows a file holds (decides between importing in the request and the Celery task)."""
    try:
        cis, relations = read_ci_rows(data, fmt)
    except ImportFileError:
        return 0
    return len(cis) + len(relations)


# -- export ----------------------------------------------------------------------------------------------------


def export_document(queryset=None) -> dict:
    """CIs and the relations among them as the JSON import reads them."""
    queryset = (queryset if queryset is not None else ConfigurationItem.objects.all()).select_related("ci_class")
    cis, ids = [], set()
    for ci in queryset.order_by("pk").iterator(chunk_size=5000):
        ids.add(ci.pk)
        cis.append(
            {
                "class": ci.ci_class.name if ci.ci_class else "",
                **{f: getattr(ci, f) for f in PLAIN_FIELDS},
                "attributes": ci.attributes or {},
            }
        )
    return {"cis": cis, "relations": export_relations(ids)}


def _reference(ci: ConfigurationItem) -> str:
    """How an import finds the CI again: its first identifier value, else its name."""
    for attribute in ci.ci_class.effective_attributes() if ci.ci_class else ():
        if attribute.is_identifier and (ci.attributes or {}).get(attribute.key) not in (None, ""):
            return str(ci.attributes[attribute.key])
    return ci.name


def export_relations(ids: set[int]) -> list[dict]:
    relations = Relation.objects.filter(source__in=ids, target__in=ids).select_related(
        "source__ci_class", "target__ci_class", "relation_type"
    )
    return [
        {
            "source_class": r.source.ci_class.name if r.source.ci_class else "",
            "source": _reference(r.source),
            "relation": r.relation_type.name,
            "target_class": r.target.ci_class.name if r.target.ci_class else "",
            "target": _reference(r.target),
        }
        for r in relations.order_by("pk")
    ]


def to_csv(cis: list[dict]) -> str:
    """CIs as CSV: the fixed columns, then one column per attribute key."""
    keys = sorted({k for ci in cis for k in ci["attributes"]})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*FIXED_COLUMNS, *keys])
    for ci in cis:
        writer.writerow(
            [ci["class"], *(ci[f] for f in PLAIN_FIELDS), *(_csv_value(ci["attributes"].get(k)) for k in keys)]
        )
    return buffer.getvalue()


def relations_to_csv(relations: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RELATION_COLUMNS)
    writer.writeheader()
    writer.writerows(relations)
    return buffer.getvalue()


def _csv_value(value) -> str:
    return "" if value is None else str(value)
