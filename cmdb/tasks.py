"""Background work of the CMDB: imports too large for a request.

Safe to run twice: the import reconciles on identifiers, so re-running a file that was applied changes nothing.
Progress is kept in the cache under the job's key and, for web processes that do not share that cache (the
local-memory cache of a machine without Redis), in MEDIA_ROOT/cmdb-imports/<job>.progress.json; the final
report is MEDIA_ROOT/cmdb-imports/<job>.json. The admin's progress page reads them in that order.
"""

import json
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from . import imports

PROGRESS_TTL = 24 * 3600
# A running import reports after every batch (about a second): this long without a report, the page says it stalled.
STALLED_AFTER = 120
REPORT_CHANGES_LIMIT = 1000


def progress_key(job_id: str) -> str:
    return f"cmdb-import:{job_id}"


def report_path(job_id: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "cmdb-imports" / f"{job_id}.json"


def job_progress(job_id: str) -> dict | None:
    """The job's progress from the cache, else its finished report's counts from the report file."""
    state = cache.get(progress_key(job_id))
    if state is not None:
        return state
    progress_file = report_path(job_id).with_suffix(".progress.json")
    if progress_file.exists() and not report_path(job_id).exists():
        try:
            return json.loads(progress_file.read_text())
        except ValueError:  # caught while being written
            return None
    path = report_path(job_id)
    if path.exists():
        report = json.loads(path.read_text())
        return {"state": "done", "processed": report["total"], "total": report["total"], **_counts(report)}
    return None


def _counts(report: dict) -> dict:
    counts = report["counts"]
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "errors": counts["error"] + report["relation_counts"]["error"],
    }


# Acknowledged after it ends and put back when its worker dies (the settings say so for every task; said here too,
# because losing an import must not depend on them). A database that drops the connection is retried with
# backoff: the import reconciles on identifiers, so running it again writes only what is still missing.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=30,
)
def import_cis(
    self, job_id: str, path: str, dry_run: bool, fmt: str = "csv", relations_path: str | None = None, actor_id=None
) -> dict:
    """Import a stored upload; progress to the cache, the report to a file. Returns the counts."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    key = progress_key(job_id)

    progress_file = report_path(job_id).with_suffix(".progress.json")
    progress_file.parent.mkdir(parents=True, exist_ok=True)

    def progress(processed: int, total: int, report: imports.ImportReport) -> None:
        counts = {"counts": report.counts, "relation_counts": report.relation_counts}
        state = {"state": "running", "processed": processed, "total": total, "at": time.time(), **_counts(counts)}
        cache.set(key, state, PROGRESS_TTL)
        progress_file.write_text(json.dumps(state))

    cache.set(
        key,
        {
            "state": "running",
            "processed": 0,
            "total": 0,
            "at": time.time(),
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "errors": 0,
        },
        PROGRESS_TTL,
    )
    relations = Path(relations_path).read_bytes() if relations_path else None
    report = imports.import_cis(
        Path(path).read_bytes(), fmt=fmt, actor=actor, dry_run=dry_run, relations=relations, progress=progress
    )
    # Every error row, and the first changed rows: a 100,000-row file would otherwise write ~100 MB of changes.
    document = report.as_dict(changes_limit=REPORT_CHANGES_LIMIT)
    target = report_path(job_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, ensure_ascii=False, default=str))
    state = {"state": "done", "processed": report.total, "total": report.total, **_counts(document)}
    cache.set(key, state, PROGRESS_TTL)
    return state
