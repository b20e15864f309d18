"""CI import and discovery: reconciliation on identifiers, per-row errors, dry run, relations, the task, the screens."""

import json
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse

from cmdb import imports, tasks
from cmdb.imports import run as import_run
from cmdb.models import CIHistory, ConfigurationItem, Relation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = "class,name,status,environment,location,owner_group,hostname,serial_number,cpu_count,os,url,engine,port\n"


def csv_of(*rows: str) -> str:
    return HEADER + "".join(f"{row}\n" for row in rows)


def run(text, carl, **kwargs):
    return imports.import_cis(text, fmt=kwargs.pop("fmt", "csv"), actor=carl, **kwargs)


def history(ci) -> dict:
    """The latest change of each field."""
    return {h.field: (h.old_value, h.new_value) for h in CIHistory.objects.filter(ci=ci).order_by("pk")}


def test_creates_updates_and_leaves_unchanged_with_history(carl, make_ci):
    make_ci("srv01", attributes={"hostname": "srv01", "cpu_count": 4})
    make_ci("srv02", attributes={"hostname": "srv02", "cpu_count": 8})
    before = CIHistory.objects.count()
    report = run(
        csv_of(
            "Linux Server,srv01,,,,,srv01,,8,Debian 12,,,",  # changed cpu_count, new os
            "Linux Server,srv02,,,,,srv02,,8,,,,",  # the same
            "Linux Server,srv03,,staging,Paris,Unix,srv03,SN3,2,,,,",  # new
        ),
        carl,
    )
    assert report.ok, report.as_dict()
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 1, "error": 0}
    srv01 = ConfigurationItem.objects.get(name="srv01")
    assert srv01.attributes == {"hostname": "srv01", "cpu_count": 8, "os": "Debian 12"}
    changed = CIHistory.objects.filter(ci=srv01, pk__gt=0).order_by("-pk")[:2]
    assert {(h.field, h.old_value, h.new_value, h.actor_id) for h in changed} == {
        ("attributes.cpu_count", 4, 8, carl.pk),
        ("attributes.os", None, "Debian 12", carl.pk),
    }
    srv03 = ConfigurationItem.objects.get(name="srv03")
    assert (srv03.environment, srv03.location, srv03.owner_group, srv03.ci_type) == (
        "staging",
        "Paris",
        "Unix",
        "server",
    )
    assert history(srv03)["class"] == (None, "Linux Server")
    assert history(srv03)["attributes.serial_number"] == (None, "SN3")
    # 2 for srv01, 0 for srv02, for srv03: class, name, status, environment, owner group, location, 3 attributes
    assert CIHistory.objects.count() - before == 2 + 0 + 6 + 3


def test_matches_on_identifiers_across_subclasses_and_renames(carl, make_ci):
    ci = make_ci("old-name", attributes={"hostname": "web01"})
    # A Windows Server row with the same host name is the same CI (host names are unique among Servers).
    report = run(csv_of("Windows Server,new-name,,,,,web01,,,,,,"), carl)
    assert report.counts["updated"] == 1, report.as_dict()
    ci.refresh_from_db()
    assert (ci.name, ci.ci_class.name) == ("new-name", "Windows Server")
    assert history(ci)["name"] == ("old-name", "new-name")
    assert history(ci)["class"] == ("Linux Server", "Windows Server")
    assert ConfigurationItem.objects.count() == 1


def test_class_without_identifiers_falls_back_to_name(carl, make_ci):
    make_ci("crm", "Application", attributes={"url": "https://crm"})
    report = run(csv_of("Application,crm,,,,,,,,,https://crm2,,"), carl)
    assert report.counts["updated"] == 1
    assert ConfigurationItem.objects.get(name="crm").attributes == {"url": "https://crm2"}


def test_duplicate_identifier_in_one_file_is_an_error(carl):
    report = run(
        csv_of("Linux Server,a,,,,,dup01,,,,,,", "Linux Server,b,,,,,dup01,,,,,,", "Linux Server,a,,,,,other,,,,,,"),
        carl,
    )
    assert report.counts["created"] == 1 and report.counts["error"] == 2
    errors = {r.line: r.errors for r in report.row_errors}
    assert "Line 2" in errors[3]["row"][0]
    assert "name" in errors[4]
    assert ConfigurationItem.objects.count() == 1


def test_bad_rows_skipped_with_line_and_messages_good_rows_applied(carl):
    report = run(
        csv_of(
            "Linux Server,good1,,,,,g1,,2,,,,",
            "Nope,bad1,,,,,,,,,,,",
            "Linux Server,bad2,unknown,,,,b2,,many,,,,",
            "Database,bad3,,,,,,,,,,Cobol,",
            ",,,,,,,,,,,,",
            "Database,good2,,,,,,,,,,PostgreSQL,5432",
        ),
        carl,
    )
    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "error": 4}
    errors = {r.line: r.errors for r in report.row_errors}
    assert errors[3] == {"class": ["Unknown class Nope."]}
    assert set(errors[4]) == {"status", "cpu_count"}
    assert errors[4]["cpu_count"] == ["Enter a number."]
    assert "engine" in errors[5]
    assert {"class", "name"} <= set(errors[6])
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"good1", "good2"}
    assert not CIHistory.objects.filter(ci__name__startswith="bad").exists()
    assert ConfigurationItem.objects.get(name="good2").attributes == {"engine": "PostgreSQL", "port": 5432}


def test_dry_run_reports_and_writes_nothing(carl, make_ci):
    make_ci("srv01", attributes={"hostname": "srv01", "cpu_count": 4})
    counts = (ConfigurationItem.objects.count(), CIHistory.objects.count())
    report = run(
        csv_of("Linux Server,srv01,,,,,srv01,,16,,,,", "Linux Server,srv02,,,,,srv02,,,,,,"), carl, dry_run=True
    )
    assert report.dry_run and report.counts["created"] == 1 and report.counts["updated"] == 1
    updated = next(r for r in report.rows if r.action == "updated")
    assert updated.changes == [("attributes.cpu_count", 4, 16)]
    assert (ConfigurationItem.objects.count(), CIHistory.objects.count()) == counts


def test_json_with_relations_and_relation_errors(carl, make_ci, relate):
    app = make_ci("crm", "Application")
    srv = make_ci("srv01", attributes={"hostname": "srv01"})
    relate(app, "runs on", srv)
    document = {
        "cis": [
            {"class": "Linux Server", "name": "db-host", "attributes": {"hostname": "db-host", "cpu_count": 4}},
            {"class": "Database", "name": "crm-db", "attributes": {"engine": "PostgreSQL"}},
        ],
        "relations": [
            {
                "source_class": "Database",
                "source": "crm-db",
                "relation": "runs on",
                "target_class": "Server",
                "target": "db-host",
            },
            {
                "source_class": "Application",
                "source": "crm",
                "relation": "depends on",
                "target_class": "Database",
                "target": "crm-db",
            },
            {
                "source_class": "Application",
                "source": "ghost",
                "relation": "depends on",
                "target_class": "Database",
                "target": "crm-db",
            },
            {
                "source_class": "Linux Server",
                "source": "srv01",
                "relation": "runs on",
                "target_class": "Application",
                "target": "crm",
            },
            {
                "source_class": "Application",
                "source": "crm",
                "relation": "runs on",
                "target_class": "Server",
                "target": "srv01",
            },
            {
                "source_class": "Database",
                "source": "crm-db",
                "relation": "runs on",
                "target_class": "Linux Server",
                "target": "db-host",
            },
        ],
    }
    report = run(json.dumps(document), carl, fmt="json")
    assert report.counts["created"] == 2
    assert report.relation_counts == {"created": 2, "unchanged": 1, "error": 3}
    errors = {r.line: r.errors for r in report.row_errors}
    assert "source" in errors[3]  # unknown CI
    assert "cannot be related" in errors[4]["relation"][0]  # disallowed class pair
    assert "Line 1 already" in errors[6]["row"][0]  # the same relation twice in the file
    db = ConfigurationItem.objects.get(name="crm-db")
    assert Relation.objects.filter(source=db, target__name="db-host", relation_type__name="runs on").exists()
    entries = CIHistory.objects.filter(ci=db, field="relation").values_list("new_value", flat=True)
    assert {(e["relation"], e["name"]) for e in entries} == {("runs on", "db-host"), ("is depended on by", "crm")}


def test_relations_csv_finds_cis_by_identifier(carl, make_ci):
    make_ci("crm", "Application")
    make_ci("srv01", attributes={"hostname": "host-01"})
    relations = "source_class,source,relation,target_class,target\nApplication,crm,runs on,Linux Server,host-01\n"
    report = imports.import_cis(HEADER, actor=carl, relations=relations)
    assert report.relation_counts["created"] == 1, report.as_dict()
    assert Relation.objects.filter(source__name="crm", target__name="srv01").exists()


def test_export_then_reimport_changes_nothing(carl, make_ci, relate, tmp_path):
    relate(make_ci("crm", "Application"), "runs on", make_ci("srv01", attributes={"hostname": "srv01", "cpu_count": 2}))
    make_ci("db", "Database", attributes={"engine": "MySQL", "port": 3306})
    counts = (ConfigurationItem.objects.count(), CIHistory.objects.count(), Relation.objects.count())
    for fmt in ("csv", "json"):
        path = tmp_path / f"export.{fmt}"
        relations_path = tmp_path / "relations.csv"
        call_command("export_cis", str(path), relations=str(relations_path))
        relations = relations_path.read_text() if fmt == "csv" else None
        report = imports.import_cis(path.read_bytes(), fmt=fmt, actor=carl, relations=relations)
        assert report.counts == {"created": 0, "updated": 0, "unchanged": 3, "error": 0}
        assert report.relation_counts == {"created": 0, "unchanged": 1, "error": 0}
        assert report.ok
    assert (ConfigurationItem.objects.count(), CIHistory.objects.count(), Relation.objects.count()) == counts


def test_import_is_idempotent(carl):
    text = csv_of("Linux Server,a,,,,,a,,1,,,,", "Linux Server,b,,,,,b,,2,,,,")
    assert run(text, carl).counts["created"] == 2
    history_count = CIHistory.objects.count()
    assert run(text, carl).counts == {"created": 0, "updated": 0, "unchanged": 2, "error": 0}
    assert CIHistory.objects.count() == history_count


def test_many_rows_across_batches_keep_duplicates_out(carl, monkeypatch):
    monkeypatch.setattr(import_run, "BATCH_SIZE", 3)
    rows = [f"Linux Server,h{i},,,,,h{i},,,,,," for i in range(7)] + ["Linux Server,again,,,,,h1,,,,,,"]
    report = run(csv_of(*rows), carl)
    assert report.counts["created"] == 7 and report.counts["error"] == 1
    assert ConfigurationItem.objects.count() == 7


def test_non_manager_cannot_import(db):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.import_cis(HEADER, actor=UserFactory())


def test_task_updates_progress_and_writes_report(carl, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(tasks, "REPORT_CHANGES_LIMIT", 0)  # error rows are listed whatever the limit
    path = tmp_path / "cis.csv"
    path.write_text(csv_of("Linux Server,t1,,,,,t1,,,,,,", "Linux Server,t2,,,,,t2,,oops,,,,"))
    state = tasks.import_cis.apply(args=["job-1", str(path), False], kwargs={"actor_id": carl.pk}).get()
    assert state == {
        "state": "done",
        "processed": 2,
        "total": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": 1,
    }
    assert tasks.job_progress("job-1")["state"] == "done"
    # A web process without the worker's cache reads the progress file, then the report.
    progress_file = tmp_path / "cmdb-imports" / "job-1.progress.json"
    assert json.loads(progress_file.read_text())["processed"] == 2
    cache.delete(tasks.progress_key("job-1"))
    assert tasks.job_progress("job-1")["created"] == 1
    report = json.loads(tasks.report_path("job-1").read_text())
    assert report["rows"] == [
        {"line": 3, "action": "error", "label": "t2", "changes": [], "errors": report["rows"][0]["errors"]}
    ]
    assert "cpu_count" in report["rows"][0]["errors"] and report["rows_left_out"] == 1
    # Run twice (a retried task): nothing changes.
    again = tasks.import_cis.apply(args=["job-1", str(path), False]).get()
    assert again["created"] == 0 and again["unchanged"] == 1
    assert ConfigurationItem.objects.filter(name="t1").count() == 1


def test_command_prints_report_and_exit_code(carl, tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(csv_of("Linux Server,c1,,,,,c1,,,,,,"))
    bad.write_text(csv_of("Linux Server,c2,,,,,c2,,x,,,,"))
    call_command("import_cis", str(good), "--dry-run", "--actor", "carl")
    assert "would be created 1" in capsys.readouterr().out
    assert not ConfigurationItem.objects.exists()
    call_command("import_cis", str(good))
    assert ConfigurationItem.objects.filter(name="c1").exists()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_cis", str(bad))
    assert exit_info.value.code == 1
    assert "line 2 (c2): cpu_count" in capsys.readouterr().err


@pytest.fixture
def staff(db):
    return UserFactory(username="clerk", is_staff=True, is_superuser=False)


def test_import_screen_is_for_cmdb_managers_only(client, staff, carl):
    url = reverse("admin:cmdb_configurationitem_import")
    client.force_login(staff)
    assert client.get(url).status_code == 403
    assert client.post(url, {"format": "csv"}).status_code == 403


def test_import_screen_small_file_shows_report(client, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert b"cmdb-import" in client.get(reverse("admin:cmdb_configurationitem_changelist")).content
    upload = SimpleUploadedFile(
        "cis.csv", csv_of("Linux Server,s1,,,,,s1,,,,,,", "Linux Server,s2,,,,,s2,,x,,,,").encode()
    )
    response = client.post(reverse("admin:cmdb_configurationitem_import"), {"file": upload, "format": "csv"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="import-created">1<' in body and 'id="import-errors">1<' in body and "Enter a number." in body
    assert ConfigurationItem.objects.filter(name="s1").exists()


def test_import_screen_large_file_goes_to_the_task(
    client, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(imports, "SYNC_LIMIT", 1)
    monkeypatch.setattr(tasks.import_cis, "delay", lambda *a, **kw: tasks.import_cis.apply(args=a, kwargs=kw))
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile(
        "cis.csv", csv_of("Linux Server,l1,,,,,l1,,,,,,", "Linux Server,l2,,,,,l2,,,,,,").encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:cmdb_configurationitem_import"), {"file": upload, "format": "csv"})
    assert response.status_code == 302
    progress = client.get(response["Location"])
    assert progress.status_code == 200
    status = client.get(response["Location"] + "status/")
    assert 'id="import-created">2<' in status.content.decode()
    assert ConfigurationItem.objects.count() == 2


def test_json_null_clears_an_attribute_and_an_empty_csv_cell_keeps_it(carl, make_ci):
    srv = make_ci("srv01", attributes={"hostname": "srv01", "os": "Debian 12", "cpu_count": 4})
    kept = run(csv_of("Linux Server,srv01,,,,,srv01,,,,,,"), carl)
    assert kept.counts["unchanged"] == 1
    document = {"cis": [{"class": "Linux Server", "name": "srv01", "attributes": {"hostname": "srv01", "os": None}}]}
    report = run(json.dumps(document), carl, fmt="json")
    assert report.counts["updated"] == 1, report.as_dict()
    srv.refresh_from_db()
    assert srv.attributes == {"hostname": "srv01", "cpu_count": 4}
    assert history(srv)["attributes.os"] == ("Debian 12", None)


def test_json_null_cannot_clear_a_required_or_unknown_attribute(carl, make_ci, cls):
    db = make_ci("db01", "Database", attributes={"engine": "PostgreSQL"})
    cls["Database"].attribute_definitions.filter(key="engine").update(required=True)
    document = {
        "cis": [
            {"class": "Database", "name": "db01", "attributes": {"engine": None}},
            {"class": "Database", "name": "db01x", "attributes": {"engine": "MySQL", "no_such_key": None}},
        ]
    }
    report = run(json.dumps(document), carl, fmt="json")
    errors = [r.errors for r in report.rows if r.action == "error"]
    assert report.counts["error"] == 2
    assert "engine" in errors[0] and "no_such_key" in errors[1]
    db.refresh_from_db()
    assert db.attributes == {"engine": "PostgreSQL"}


def test_a_row_may_leave_out_a_required_attribute_that_is_stored(carl, make_ci, cls):
    """The required check comes after matching: a feed that only knows the port updates it (it used to crash)."""
    cls["Database"].attribute_definitions.filter(key="engine").update(required=True)
    db = make_ci("db01", "Database", attributes={"engine": "PostgreSQL", "port": 5432})
    report = run(csv_of("Database,db01,,,,,,,,,,,5433", "Database,db02,,,,,,,,,,,5434"), carl)
    assert report.counts == {"created": 0, "updated": 1, "unchanged": 0, "error": 1}, report.as_dict()
    assert [r.errors for r in report.rows if r.action == "error"] == [{"engine": ["Engine is required."]}]
    db.refresh_from_db()
    assert db.attributes == {"engine": "PostgreSQL", "port": 5433}


def test_the_task_retries_when_the_database_drops_the_connection(carl, tmp_path, monkeypatch):
    path = tmp_path / "upload.csv"
    path.write_text(csv_of("Linux Server,srv01,,,,,srv01,,,,,,"))
    calls = []
    real_import = imports.import_cis

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_import(*args, **kwargs)

    monkeypatch.setattr(tasks.imports, "import_cis", flaky)
    state = tasks.import_cis.apply(args=["job-retry", str(path), False], kwargs={"actor_id": carl.pk}).get()
    assert len(calls) == 2 and state["state"] == "done" and state["created"] == 1
    assert ConfigurationItem.objects.filter(name="srv01").count() == 1


JOB = "3f1c2b9e-0d4a-4c56-9a1e-7b2f5d8c6e01"


def test_the_progress_page_says_when_a_running_import_stopped_reporting(client, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:cmdb_configurationitem_import_status", kwargs={"job": uuid.UUID(JOB)})
    state = {"state": "running", "processed": 2000, "total": 10000, "created": 2000, "updated": 0}
    now = 1_800_000_000.0
    monkeypatch.setattr("cmdb.admin.time.time", lambda: now)
    cache.set(tasks.progress_key(JOB), {**state, "at": now - 30}, 60)
    fresh = client.get(url).content.decode()
    assert "Imported 2000 of 10000 rows" in fresh and "import-stalled" not in fresh
    cache.set(tasks.progress_key(JOB), {**state, "at": now - 600}, 60)
    stalled = client.get(url).content.decode()
    assert 'id="import-stalled"' in stalled and "No progress for 10 minutes" in stalled
    cache.delete(tasks.progress_key(JOB))
