"""The CMDB import as it runs in production, checked with real programs: a Celery worker started as a process, on a
Redis server of the test's own, against the test database; the upload goes through the admin Import screen.

* A CMDB Manager uploads 10,000 CIs: the screen hands the file to the worker, the progress page rises batch by
  batch (2,000 rows a batch) and ends with the report; every CI exists once, with its attributes and the history
  rows ``create_ci`` would have written.
* The worker is killed (SIGKILL, with its pool, as when a machine dies) while a batch is inside its transaction:
  what it committed is whole batches, each CI with all its history, nothing of the open batch. The message was
  not acknowledged (``task_acks_late``), so a new worker gets it again once the broker's visibility timeout has
  passed, re-runs the import (it reconciles on identifiers) and ends with every CI once and a report saying done.
* Only the pool process running the import is killed (as the OOM killer does): the worker's main process puts
  the message back at once (``task_reject_on_worker_lost``) and runs it again, with the same exact end.

Each batch is slowed down inside its transaction (a statement trigger on the history table sleeps), so that
progress readings between batches, and a kill inside a batch, are certain rather than a race.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from cmdb import tasks
from cmdb.imports import BATCH_SIZE, SYNC_LIMIT
from cmdb.models import CIAttribute, CIClass, CIHistory, ConfigurationItem
from servicedesk import roles
from tests.factories import UserFactory
from tests.processes import REPO, CeleryProcesses, RedisServer, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

TASK = tasks.import_cis.name
ROWS = 5 * BATCH_SIZE  # five batches: four progress readings between the first and the last
CLASS = "Import Server"
# The history rows create_ci writes for a row of this file: the class, the plain fields given or defaulted, the
# attributes given.
CREATED_FIELDS = {"class", "name", "status", "environment", "location", "attributes.hostname", "attributes.cpu_count"}

# The project's Celery app, with the broker's visibility timeout taken from the environment when given: kombu puts a
# message that a dead worker held back in the queue once it is older than that (3,600 s in the settings); a worker
# looks for such messages when it starts and then about every 100 s.
WORKER_APP = """
import os

from itsm.celery import app

if os.environ.get("TEST_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": float(os.environ["TEST_VISIBILITY_TIMEOUT"]),
    }
"""


class ImportWorkers(CeleryProcesses):
    """CeleryProcesses whose workers load the app above: a test may give a worker a short visibility timeout."""

    def __init__(self, redis: RedisServer, folder: Path, **extra_env: str):
        super().__init__(redis, folder, app="import_worker_app", **extra_env)
        (folder / "import_worker_app.py").write_text(WORKER_APP)
        self.env["PYTHONPATH"] = f"{folder}{os.pathsep}{REPO}"

    def runs(self, log_index: int, what: str) -> int:
        """How many times the worker with that log (1, 2 …) logged the import task `what` (received, succeeded)."""
        _process, log = self.processes[log_index - 1]
        return sum(f"Task {TASK}[" in line and what in line for line in self._read(log).splitlines())


@pytest.fixture
def celery(redis, tmp_path, settings):
    # The worker writes progress and report where this (web) process reads them.
    processes = ImportWorkers(redis, tmp_path, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    yield processes
    processes.stop_all()


@pytest.fixture
def carl(db):
    """A CMDB Manager who may use the admin (staff), not a superuser."""
    return UserFactory(username="carl", is_staff=True, roles=[roles.CMDB_MANAGER])


@pytest.fixture
def server_class(db):
    """Transactional tests flush the data migration's classes: a class of the test's own, host name identifies."""
    ci_class = CIClass.objects.create(name=CLASS, kind="server")
    CIAttribute.objects.create(ci_class=ci_class, key="hostname", label="Host name", is_identifier=True)
    CIAttribute.objects.create(ci_class=ci_class, key="cpu_count", label="CPUs", type="number")
    return ci_class


@pytest.fixture
def admin(carl, celery, monkeypatch):
    """carl's client on the admin; the Import screen's enqueue publishes to the private Redis the workers read."""
    sender = celery.sender()
    monkeypatch.setattr(
        tasks.import_cis, "delay", lambda *args, **kwargs: sender.send_task(TASK, args=args, kwargs=kwargs)
    )
    client = Client()
    client.force_login(carl)
    return client


def expected_cis() -> dict[str, dict]:
    return {f"imp-{n:05d}": {"hostname": f"imp-{n:05d}", "cpu_count": n % 16 + 1} for n in range(ROWS)}


def upload(client: Client) -> str:
    """Post the file to the Import screen as carl does (not a dry run); the URL of the progress page."""
    lines = ["class,name,location,hostname,cpu_count"]
    lines += [
        f"{CLASS},{name},Rack {n % 40},{name},{a['cpu_count']}" for n, (name, a) in enumerate(expected_cis().items())
    ]
    assert len(lines) - 1 > SYNC_LIMIT  # too large for the request: the task takes it
    file = SimpleUploadedFile("servers.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")
    response = client.post(reverse("admin:cmdb_configurationitem_import"), {"file": file, "format": "csv"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'id="import-status"' in page.content.decode()
    return response["Location"]


def status(client: Client, progress_url: str) -> tuple[str, int, int]:
    """What the progress page's polled part says: ("queued" | "running" | "done", processed, total)."""
    response = client.get(progress_url + "status/")
    assert response.status_code == 200
    body = response.content.decode()
    if 'id="import-report"' in body:
        created = int(re.search(r'id="import-created">(\d+)<', body)[1])
        unchanged = int(re.search(r'id="import-unchanged">(\d+)<', body)[1])
        return "done", created + unchanged, ROWS
    found = re.search(r"Imported (\d+) of (\d+) rows", body)
    if found:
        return "running", int(found[1]), int(found[2])
    assert "Waiting for a worker" in body, body
    return "queued", 0, 0


def report_page(client: Client, progress_url: str) -> dict[str, int]:
    body = client.get(progress_url).content.decode()
    assert "Import finished" in body
    return {
        key: int(re.search(rf'id="import-{key}">(\d+)<', body)[1])
        for key in ("created", "updated", "unchanged", "errors")
    }


@contextmanager
def slow_batches(seconds: float):
    """Each batch pauses inside its transaction, after its CIs and history rows are written and before it commits."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION import_test_slow_batch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$
            """
        )
        cursor.execute(
            f"CREATE TRIGGER import_test_slow_batch AFTER INSERT ON {CIHistory._meta.db_table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION import_test_slow_batch()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS import_test_slow_batch ON {CIHistory._meta.db_table}")
            cursor.execute("DROP FUNCTION IF EXISTS import_test_slow_batch()")


def backend_in_batch() -> int | None:
    """The database backend of an import paused inside an open batch transaction, if one is."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")
        row = cursor.fetchone()
    return row[0] if row else None


def pool_process(worker: subprocess.Popen) -> int:
    """The pid of the (one) pool process of a prefork worker started with concurrency 1."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def assert_whole_cis(server_class: CIClass, carl, count: int) -> None:
    """`count` CIs of the class, each once (by name and by host name), each with the attributes of its row and the
    history create_ci writes, once, by carl: nothing duplicated, nothing half written."""
    cis = ConfigurationItem.objects.filter(ci_class=server_class)
    stored = dict(cis.values_list("name", "attributes"))
    assert len(stored) == cis.count() == count
    assert cis.values("attributes__hostname").distinct().count() == count
    expected = expected_cis()
    assert all(expected[name] == attributes for name, attributes in stored.items())
    fields = Counter(CIHistory.objects.filter(ci__ci_class=server_class).values_list("ci_id", "field"))
    assert set(fields.values()) <= {1}
    per_ci = Counter(ci_id for ci_id, _field in fields)
    assert len(per_ci) == count and set(per_ci.values()) <= {len(CREATED_FIELDS)}
    assert {field for _ci, field in fields} <= CREATED_FIELDS
    assert set(CIHistory.objects.filter(ci__ci_class=server_class).values_list("actor_id", flat=True)) <= {carl.pk}
    assert not cis.annotate(rows=Count("history")).exclude(rows=len(CREATED_FIELDS)).exists()


def test_a_large_upload_runs_in_the_worker_with_rising_progress_and_ends_in_the_report(
    admin, carl, server_class, celery
):
    readings = []
    with slow_batches(0.4):
        celery.worker()
        progress_url = upload(admin)
        job = progress_url.rstrip("/").rsplit("/", 1)[-1]

        def done() -> bool:
            readings.append(status(admin, progress_url))
            return readings[-1][0] == "done"

        wait_for(done, timeout=90, what="the import to finish", every=0.1)

    # The page rose batch by batch: readings between the first and the last, never going back.
    running = [(processed, total) for state, processed, total in readings if state == "running"]
    assert any(0 < processed < total for processed, total in running), readings
    assert {total for _processed, total in running} <= {ROWS}
    assert [p for p, _t in running] == sorted(p for p, _t in running)
    assert {p for p, _t in running} <= {n * BATCH_SIZE for n in range(ROWS // BATCH_SIZE + 1)}

    assert report_page(admin, progress_url) == {"created": ROWS, "updated": 0, "unchanged": 0, "errors": 0}
    report = json.loads(tasks.report_path(job).read_text())
    assert (report["total"], report["counts"], report["ok"]) == (
        ROWS,
        {"created": ROWS, "updated": 0, "unchanged": 0, "error": 0},
        True,
    )
    assert_whole_cis(server_class, carl, ROWS)
    assert (celery.runs(1, "received"), celery.runs(1, "succeeded")) == (1, 1)


def test_a_worker_killed_mid_import_leaves_whole_batches_and_a_new_worker_finishes_it_exactly(
    admin, carl, server_class, celery
):
    with slow_batches(0.5):
        worker = celery.worker()
        progress_url = upload(admin)
        job = progress_url.rstrip("/").rsplit("/", 1)[-1]
        # Wait for a committed batch (the page says so) and for the next one to be inside its transaction.
        in_batch = wait_for(
            lambda: status(admin, progress_url)[1] >= BATCH_SIZE and backend_in_batch(),
            timeout=60,
            what="the import inside its second batch",
        )
        celery.kill(worker)
        wait_for(lambda: backend_gone(in_batch), timeout=30, what="the killed worker's transaction to end")
    state, processed_at_kill, _total = status(admin, progress_url)

    # What the dead worker left is the batches it committed, each whole: no CI without its history, nothing of the
    # batch it was writing.
    committed = ConfigurationItem.objects.filter(ci_class=server_class).count()
    assert committed == processed_at_kill and committed % BATCH_SIZE == 0 and 0 < committed < ROWS
    assert_whole_cis(server_class, carl, committed)
    assert state == "running"  # the page does not pretend the job ended
    assert not tasks.report_path(job).exists()

    # A new worker; the broker gives it the message the dead one held unacknowledged, once the (here short)
    # visibility timeout has passed, and the import runs again from the start.
    celery.env["TEST_VISIBILITY_TIMEOUT"] = "1"
    celery.worker()
    wait_for(lambda: status(admin, progress_url)[0] == "done", timeout=90, what="the re-run to finish")

    assert_whole_cis(server_class, carl, ROWS)
    # The re-run found the committed CIs unchanged and created the rest.
    counts = {"created": ROWS - committed, "updated": 0, "unchanged": committed, "errors": 0}
    assert report_page(admin, progress_url) == counts
    assert json.loads(tasks.report_path(job).read_text())["counts"]["created"] == ROWS - committed
    # The dead worker started the task once; the new one ran it once, to the end.
    assert (celery.runs(1, "received"), celery.runs(1, "succeeded")) == (1, 0)
    assert (celery.runs(2, "received"), celery.runs(2, "succeeded")) == (1, 1)


def test_a_pool_process_killed_mid_import_is_requeued_by_its_worker_and_the_import_ends_exactly(
    admin, carl, server_class, celery
):
    if not Path("/proc/self/task").exists():
        pytest.skip("finding a worker's pool process needs /proc")
    with slow_batches(0.5):
        worker = celery.worker()  # the settings' visibility timeout (an hour): only a requeue brings it back soon
        progress_url = upload(admin)
        in_batch = wait_for(
            lambda: status(admin, progress_url)[1] >= BATCH_SIZE and backend_in_batch(),
            timeout=60,
            what="the import inside its second batch",
        )
        os.kill(pool_process(worker), signal.SIGKILL)
        wait_for(lambda: backend_gone(in_batch), timeout=30, what="the killed process's transaction to end")
    wait_for(lambda: status(admin, progress_url)[0] == "done", timeout=90, what="the re-run to finish")

    assert worker.poll() is None  # the worker itself lived on, and ran the import again
    assert_whole_cis(server_class, carl, ROWS)
    # The re-run found what the killed run committed (whole batches) unchanged and created the rest.
    counts = report_page(admin, progress_url)
    assert counts["created"] + counts["unchanged"] == ROWS and (counts["updated"], counts["errors"]) == (0, 0)
    assert counts["unchanged"] % BATCH_SIZE == 0 and BATCH_SIZE <= counts["unchanged"] < ROWS
    assert (celery.runs(1, "received"), celery.runs(1, "succeeded")) == (2, 1)
