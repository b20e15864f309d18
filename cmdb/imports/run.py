"""The entry point: read, plan and write in batches, report progress."""

import gc
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ..rules import can_manage_cmdb
from .catalog import Catalog
from .files import read_ci_rows, read_relation_rows
from .plan import Planner
from .relations import import_relations
from .report import ImportFileError, ImportReport
from .write import apply_batch

BATCH_SIZE = 2000
SYNC_LIMIT = 2000  # rows a request imports itself; larger files go to the Celery task

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
    catalog = Catalog()
    catalog.load_cis()
    planner = Planner(catalog, report)
    processed = 0
    for start in range(0, len(ci_rows), BATCH_SIZE):
        batch = [p for line, row in ci_rows[start : start + BATCH_SIZE] if (p := planner.plan(line, row))]
        if batch and not dry_run:
            apply_batch(batch, actor_id, report, planner)
        processed += min(BATCH_SIZE, len(ci_rows) - start)
        if progress:
            progress(processed, report.total, report)
    if relation_rows:
        import_relations(relation_rows, catalog, report, actor_id, dry_run)
        if progress:
            progress(report.total, report.total, report)


def count_rows(data: bytes | str, fmt: str) -> int:
    """How many CI rows a file holds (decides between importing in the request and the Celery task)."""
    try:
        cis, relations = read_ci_rows(data, fmt)
    except ImportFileError:
        return 0
    return len(cis) + len(relations)
