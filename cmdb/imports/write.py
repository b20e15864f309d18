"""The bulk write path: CIs by bulk_create and UPDATE … FROM VALUES, their history rows by COPY."""

import csv
import io
import json

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

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


def apply_batch(planned: list[Planned], actor_id: int | None, report: ImportReport, planner: "Planner") -> None:
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
