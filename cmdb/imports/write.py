"""The bulk write path: CIs by bulk_create and UPDATE … FROM VALUES, their history rows by COPY."""

import csv
import io
import json

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CIHistory, ConfigurationItem
from .files import PLAIN_FIELDS
from .plan import Planned, Planner
from .report import ImportReport

WRITE_PAGE = 2000

# -- writing -------------------------------------------------------------------------------------------------


def copy_history(rows: list[tuple[int, int | None, str, object, object]]) -> None:
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
    owned_by_id = v.owned_by_id::integer, attributes = v.attributes::jsonb, updated_at = v.updated_at
FROM (VALUES %s) AS v(id, ci_class_id, ci_type, name, status, environment, owner_group, location, description,
    owned_by_id, attributes, updated_at)
WHERE ci.id = v.id
"""


def _update_rows(changed: list[Planned], now) -> None:
    """One UPDATE … FROM (VALUES …) per page: bulk_update's CASE per field costs rows × rows per batch."""
    from psycopg2.extras import execute_values

    rows = [
        (
            p.ci["pk"],
            p.ci["ci_class_id"],
            p.ci["ci_type"],
            *(str(p.ci[f]) for f in PLAIN_FIELDS),
            p.ci["owned_by_id"],
            json.dumps(p.ci["attributes"], ensure_ascii=False),
            now,
        )
        for p in changed
    ]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, _UPDATE_SQL.format(table=ConfigurationItem._meta.db_table), rows, page_size=1000)


def _write_cis(planned: list[Planned], actor_id: int | None) -> None:
    """Create and update a batch of planned CIs with their history, in the caller's transaction."""
    now = timezone.now()
    new = [p for p in planned if p.old is None]
    changed = [p for p in planned if p.old is not None]
    objects = [
        ConfigurationItem(**{k: v for k, v in p.ci.items() if k != "pk"}, created_at=now, updated_at=now) for p in new
    ]
    ConfigurationItem.objects.bulk_create(objects, batch_size=WRITE_PAGE)
    for p, obj in zip(new, objects, strict=True):
        p.ci["pk"] = obj.pk
    if changed:
        _update_rows(changed, now)
    copy_history([(p.ci["pk"], actor_id, f, o, n) for p in planned for f, o, n in p.changes])


def _fail(p: Planned, report: ImportReport, errors: dict) -> None:
    """Turn a planned row into an error row of the report (nothing of it is written)."""
    result = next(r for r in report.rows if r.line == p.line)
    report.counts[result.action] -= 1
    report.counts["error"] += 1
    result.action, result.errors = "error", errors
    if p.old is None:
        p.ci["pk"] = None


RECHECK_CHUNK = 2000
# One GIN probe per wanted {key: value} (a nested loop over the array): OR-ing them in one WHERE made the planner
# scan the whole table once the conditions were many (1.4 s a query at 100k CIs); this is ~55 µs a value.
_RECHECK_SQL = f"""
SELECT c.id, c.ci_class_id, c.name, c.attributes FROM unnest(%s::jsonb[]) AS wanted(doc)
JOIN LATERAL (
    SELECT id, ci_class_id, name, attributes FROM {ConfigurationItem._meta.db_table} ci
    WHERE ci.attributes @> wanted.doc
) c ON true
"""  # noqa: S608 - the table name is ours


def _taken_meanwhile(planned: list[Planned], planner: "Planner") -> dict[int, dict]:
    """Lock the batch's identifiers like ``services`` do, then find those another writer took since the import
    loaded the CMDB (a CI saved in the admin while the import ran): {line: errors}.

    Only rows that bring an identifier value (new CIs, changed values) are looked up, by the GIN index
    (``attributes @> {key: value}``, one probe each); the advisory locks keep anyone else from taking one of
    them until this batch commits. It costs about a tenth of a second per 2,000 new CIs.
    """
    catalog = planner.catalog
    wanted: list[tuple[Planned, object, str, object, set]] = []  # (row, attribute, key, value, class ids)
    for p in planned:
        view = catalog.by_pk[p.ci["ci_class_id"]]
        before = (p.old or {}).get("attributes") or {}
        for attribute, scope in view.identifiers:
            value = p.ci["attributes"].get(attribute.key)
            if value is not None and (p.old is None or before.get(attribute.key) != value):
                wanted.append((p, attribute, attribute.key, value, scope))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        # In one order for every writer (services lock theirs sorted too), so two cannot wait on each other.
        for class_id, key in sorted({(attribute.ci_class_id, key) for _p, attribute, key, _v, _s in wanted}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [class_id, key])
        found: list[tuple[int, int, str, dict]] = []
        for start in range(0, len(wanted), RECHECK_CHUNK):
            chunk = wanted[start : start + RECHECK_CHUNK]
            cursor.execute(_RECHECK_SQL, [[json.dumps({key: value}) for _p, _a, key, value, _s in chunk]])
            found.extend(cursor.fetchall())
    holders: dict[tuple[str, object], list[tuple[int, int, str]]] = {}
    for pk, class_id, name, attributes in found:
        # Django reads jsonb from a raw cursor as text.
        for key, value in (json.loads(attributes) if isinstance(attributes, str) else attributes or {}).items():
            holders.setdefault((key, json.dumps(value)), []).append((pk, class_id, name))
    clashes: dict[int, dict] = {}
    for p, attribute, key, value, scope in wanted:
        for pk, class_id, name in holders.get((key, json.dumps(value)), ()):
            if pk != p.ci["pk"] and class_id in scope:
                clashes.setdefault(p.line, {})[key] = [
                    _("%(label)s %(value)s was given to %(ci)s while the import ran.")
                    % {"label": attribute.label, "value": value, "ci": name}
                ]
    return clashes


def apply_batch(planned: list[Planned], actor_id: int | None, report: ImportReport, planner: "Planner") -> None:
    """Write a batch in one transaction, its identifiers locked and checked again first; a batch the database
    refuses is retried row by row (savepoints), still under those locks."""
    catalog = planner.catalog
    placeholders = {p.ci["pk"]: p for p in planned if p.old is None}
    with transaction.atomic():
        clashes = _taken_meanwhile(planned, planner)
        for p in planned:
            if p.line in clashes:
                _fail(p, report, clashes[p.line])
        writable = [p for p in planned if p.line not in clashes]
        try:
            with transaction.atomic():
                _write_cis(writable, actor_id)
        except (IntegrityError, DatabaseError):
            for p in writable:
                try:
                    with transaction.atomic():
                        _write_cis([p], actor_id)
                except (IntegrityError, DatabaseError) as error:
                    _fail(p, report, {"row": [str(error).splitlines()[0]]})
    # New CIs now have real ids: the relations of the same file find them under those.
    for placeholder, p in placeholders.items():
        catalog.cis.pop(placeholder, None)
        line = planner.seen.pop(placeholder, None)
        if p.ci["pk"]:
            catalog.remember(p.ci)
            planner.seen[p.ci["pk"]] = line
        else:
            catalog.forget(p.ci)
