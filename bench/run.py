"""Page benchmarks: seed (or reuse) the data, serve it with gunicorn, time the pages a user really opens.

Usage: python -m bench.run [--tickets N] [--only WORD] [--requests N]
       (`make bench` runs this after making sure the database is up and migrated)

Environment:
  BENCH_TICKETS   scale: how many tickets the database must hold (default 100000); only the missing ones are
                  added, with `manage.py seed_demo --tickets N`
  BENCH_ARTICLES  scale of the knowledge search benchmarks (kb_search, kb_suggest): how many articles the
                  database must hold (default 100000); only the missing ones are added (bench/knowledge_search.py)
  BENCH_CIS       scale of the CMDB benchmarks (cmdb_impact_depth5, cmdb_filter_attribute): how many CIs the
                  database must hold (default 100000), with five relations each; only the missing ones are
                  added (bench/cmdb.py)
  BENCH_ONLY      run only the benchmarks whose name contains this word (calibration always runs: every
                  figure is also given as a ratio to it)
  BENCH_REQUESTS  timed requests per page (default and minimum 30), after 3 warm-up requests
  DATABASE_URL    the database (else var/run/database_url, as the settings read it); passed to every child

How (see BENCH.md): gunicorn with 2 sync workers on a free loopback port, DEBUG off (so Django's cached
template loader, as in production) and persistent database connections as the production profile has them.
Each page is fetched one request at a time by a requests.Session logged in through the login form as the
user the page is for; p50/p95/max are client times. SQL statements per request are counted in-process with
Django's test client and CaptureQueriesContext on the same data, and the plan (EXPLAIN ANALYZE) of every
ticket query a page runs is written to var/bench/explain/NAME.txt.

Output: a table on stdout, var/bench/results.json (a list of objects: name, n, unit, p50, p95, max, samples,
queries, notes, plus ratio, ratio_p95, url, user, sample_ms, slowest_query_ms) and var/bench/meta.json
(scale, seeding time, machine).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(REPO / "manage.py")

DEFAULT_TICKETS = 100_000
WARMUPS = 3
MIN_REQUESTS = 30
WORKERS = 2
HOST = "127.0.0.1"
START_TIMEOUT_S = 60
STOP_GRACE_S = 15
REQUEST_TIMEOUT_S = 120


@dataclass(frozen=True)
class Page:
    """One page to time: its path, who is logged in (None: anonymous) and text that proves we got it."""

    name: str
    path: str
    user: str | None
    marker: str
    notes: str


PAGES = [
    Page("calibration", "/calibration", None, "ok", "bare Django view returning 'ok'"),
    Page(
        "desk_queue_open",
        "/desk/queues/open/",
        "lin",
        'id="queue-table"',
        "desk 'All open' as lin (Agent L1, Service Desk); default order priority then age; 25 a page",
    ),
    Page(
        "desk_queue_unassigned",
        "/desk/queues/unassigned/",
        "lin",
        'id="queue-table"',
        "desk 'My groups, unassigned' as lin; default order priority then age; 25 a page",
    ),
    Page(
        "desk_queue_filtered",
        "/desk/queues/open/?state=new&priority=1",
        "lin",
        'id="queue-table"',
        "desk 'All open' filtered state=new, priority=1, as lin",
    ),
    Page(
        "desk_queue_l1",
        "/desk/queues/open/?state=new&state=assigned&state=in_progress&assignment_group={service_desk}"
        "&priority=1&priority=2&priority=3",
        "lin",
        'id="queue-table"',
        "desk 'All open' with an L1's filters: New/Assigned/In Progress, group Service Desk, P1-P3; "
        "priority then age; 25 a page",
    ),
    Page(
        "desk_queue_l1_100_rows",
        "/desk/queues/open/?state=new&state=assigned&state=in_progress&assignment_group={service_desk}"
        "&priority=1&priority=2&priority=3&per_page=100",
        "lin",
        'id="queue-table"',
        "the same L1 queue with 100 rows a page (queries must not grow with the page size)",
    ),
    Page(
        "portal_my_tickets",
        "/portal/tickets/",
        "alice",
        'id="portal-ticket-list"',
        "portal 'My tickets' (open ones) as alice",
    ),
    Page(
        "portal_my_tickets_all",
        "/portal/tickets/?show=all",
        "alice",
        'id="portal-ticket-list"',
        "portal 'My tickets', all of them (paginated), as alice",
    ),
]


BULK_NAMES = ("bulk_assign_100", "bulk_work_note_100", "bulk_start_work_100", "bulk_resolve_100")
SWEEP_NAMES = ("sla_sweep_1000_due", "sla_sweep_idle")
KB_NAMES = ("kb_search", "kb_suggest")
DEFAULT_ARTICLES = 100_000
CMDB_NAMES = ("cmdb_impact_depth5", "cmdb_impact_depth5_all", "cmdb_filter_attribute")
DEFAULT_CIS = 100_000
# The sweep is timed at this many running clocks and at the full scale, to show its cost follows what is due.
SWEEP_SMALL_SCALE = 100_000


class BenchError(Exception):
    """A failure that ends the run with a message (gunicorn is still stopped)."""


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def _raise_exit(signum: int, _frame: object) -> None:
    # SIGTERM becomes SystemExit so that every `finally` (stopping gunicorn) still runs.
    raise SystemExit(128 + signum)


# --- environment -------------------------------------------------------------------------------------------


def configure_environment() -> dict[str, str]:
    """Settings for this process and its children: DEBUG off, loopback host, production-like connections."""
    if os.environ.get("ITSM_PROFILE") == "production":
        raise BenchError(
            "ITSM_PROFILE=production forces HTTPS redirects and refuses demo data: run the benchmark under the "
            "development or test profile (it switches DEBUG off itself)"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = f"{HOST},localhost"
    # The production profile keeps connections for 60 s; the development default (0) reconnects per request.
    os.environ.setdefault("CONN_MAX_AGE", "60")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return dict(os.environ)


def manage(env: dict[str, str], *args: str) -> None:
    """Run one manage.py command with our environment (DATABASE_URL included); fail loudly."""
    code = subprocess.call([PYTHON, MANAGE, *args], cwd=REPO, env=env)
    if code:
        raise BenchError(f"`manage.py {' '.join(args)}` failed with exit code {code}")


def check_template_loaders() -> str:
    """The pages must render through the cached loader, as in production; returns the loader for the notes."""
    from django.template import engines

    loaders = engines["django"].engine.loaders
    first = loaders[0][0] if loaders and isinstance(loaders[0], tuple | list) else loaders[0]
    if not str(first).endswith("cached.Loader"):
        raise BenchError(f"templates are not served by the cached loader ({loaders!r}): check TEMPLATES and DEBUG")
    return str(first)


# --- data --------------------------------------------------------------------------------------------------


def ensure_data(env: dict[str, str], tickets: int) -> dict:
    """Base demo data (idempotent), then only the missing tickets in bulk, then VACUUM ANALYZE."""
    from django.db import connection

    from servicedesk.models import Ticket

    say("loading the base demo data (people, groups; idempotent)")
    manage(env, "seed_demo")
    have = Ticket.objects.count()
    missing = max(0, tickets - have)
    seed_s = 0.0
    if missing:
        say(f"the database holds {have:,} tickets; adding {missing:,}")
        started = time.monotonic()
        manage(env, "seed_demo", "--tickets", str(missing))
        seed_s = time.monotonic() - started
        say(f"seeded {missing:,} tickets in {seed_s:.1f} s ({missing / seed_s:,.0f} tickets/s)")
    else:
        say(f"reusing the {have:,} tickets already in the database (scale asked: {tickets:,})")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum_s = time.monotonic() - started
    say(f"VACUUM ANALYZE took {vacuum_s:.1f} s")
    return {
        "tickets": Ticket.objects.count(),
        "tickets_before": have,
        "tickets_added": missing,
        "seed_seconds": round(seed_s, 1),
        "vacuum_seconds": round(vacuum_s, 1),
    }


# --- gunicorn ----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free loopback port, in a session of its own; returns it once /calibration answers."""
    for _attempt in range(3):
        port = _free_port()
        base = f"http://{HOST}:{port}"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "itsm.wsgi:application",
                    "--workers",
                    str(WORKERS),
                    "--worker-class",
                    "sync",
                    "--bind",
                    f"{HOST}:{port}",
                    "--timeout",
                    str(REQUEST_TIMEOUT_S),
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{base}/calibration", timeout=2).status_code == 200:
                    say(f"gunicorn (pid {proc.pid}, {WORKERS} sync workers) serves {base}")
                    return proc, base
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its first request (URLconf import) still running on a busy machine
            time.sleep(0.2)
        if proc.poll() is None:
            stop_gunicorn(proc)
            raise BenchError(f"gunicorn did not answer within {START_TIMEOUT_S} s; see {log_path}")
        say(f"gunicorn exited with code {proc.returncode} (port {port} taken?); trying another port")
    raise BenchError(f"gunicorn would not start; see {log_path}")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """SIGTERM the master (graceful), then SIGKILL whatever is left of its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers that outlived their master
    proc.wait()
    say("gunicorn stopped")


# --- clients -----------------------------------------------------------------------------------------------


def log_in(base: str, username: str, password: str) -> requests.Session:
    """A session logged in through the login form, CSRF token and all."""
    session = requests.Session()
    login_url = f"{base}/accounts/login/"
    page = session.get(login_url, timeout=REQUEST_TIMEOUT_S)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or match is None:
        raise BenchError(f"the login page answered {page.status_code} without a CSRF token")
    answer = session.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1), "next": ""},
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise BenchError(
            f"could not log in as {username!r} (HTTP {answer.status_code}): the benchmark uses the demo "
            "password ($DEMO_PASSWORD, default 'demo') that seed_demo gives new users"
        )
    return session


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _fetch(session: requests.Session, url: str, page: Page) -> float:
    """One GET, read to the end; milliseconds on the client's clock. A redirect or error fails the run."""
    started = time.perf_counter()
    response = session.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT_S)
    body = response.content
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or page.marker.encode() not in body:
        raise BenchError(
            f"{page.name}: {url} answered {response.status_code}"
            + (f" → {response.headers.get('Location')}" if response.is_redirect else "")
            + ("" if response.status_code != 200 else f" without {page.marker!r}")
        )
    return elapsed


def time_page(session: requests.Session, base: str, page: Page, count: int) -> list[float]:
    url = base + page.path
    for _ in range(WARMUPS):
        _fetch(session, url, page)
    return [_fetch(session, url, page) for _ in range(count)]


# --- in-process: SQL statements and plans ------------------------------------------------------------------


def count_queries(page: Page, users: dict, explain_dir: Path) -> tuple[int, float | None, list[str]]:
    """Statements one request runs (second request: first-use caches are warm); EXPLAIN of its ticket queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    if page.user:
        client.force_login(users[page.user])
    client.get(page.path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path)
    if response.status_code != 200:
        raise BenchError(f"{page.name}: the in-process request answered {response.status_code}")
    queries = captured.captured_queries
    slowest = max((float(q["time"]) * 1000 for q in queries), default=None)
    flags = []
    ticket_queries = [q for q in queries if "servicedesk_ticket" in q["sql"]]
    if ticket_queries:
        lines = [f"# {page.name}: {page.path} as {page.user or 'anonymous'}", ""]
        with connection.cursor() as cursor:
            for number, query in enumerate(ticket_queries, 1):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
                took = float(query["time"]) * 1000
                lines += [f"## query {number} ({took:.1f} ms in the page)", query["sql"], "", plan, ""]
                if re.search(r"Seq Scan on servicedesk_ticket\b", plan):
                    flags.append(f"query {number} scans servicedesk_ticket sequentially")
        explain_dir.mkdir(parents=True, exist_ok=True)
        (explain_dir / f"{page.name}.txt").write_text("\n".join(lines))
    return len(queries), slowest, flags


# --- report ------------------------------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    header = f"{'name':<24} {'n':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'×cal':>6} {'SQL':>4}  notes"
    print()
    print(header)
    print("-" * len(header))
    for row in results:
        ratio = f"{row['ratio']:.1f}" if row.get("ratio") is not None else "-"
        queries = "-" if row["queries"] is None else str(row["queries"])
        print(
            f"{row['name']:<24} {row['n']:>9,} {row['p50']:>8.1f} {row['p95']:>8.1f} {row['max']:>8.1f} "
            f"{ratio:>6} {queries:>4}  {row['notes']}"
        )
    print(flush=True)


def _machine(connection) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    import django

    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version,
        "gunicorn_workers": WORKERS,
        "conn_max_age": os.environ.get("CONN_MAX_AGE"),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS") or DEFAULT_TICKETS))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--articles", type=int, default=int(os.environ.get("BENCH_ARTICLES") or DEFAULT_ARTICLES))
    parser.add_argument("--cis", type=int, default=int(os.environ.get("BENCH_CIS") or DEFAULT_CIS))
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS") or MIN_REQUESTS))
    args = parser.parse_args(argv)
    if args.tickets < 0:
        parser.error("--tickets must be 0 or more")
    if args.requests < MIN_REQUESTS:
        parser.error(f"--requests must be at least {MIN_REQUESTS} (BENCH.md)")
    return args


def run(args: argparse.Namespace) -> int:
    env = configure_environment()
    pages = [p for p in PAGES if p.name == "calibration" or args.only.lower() in p.name.lower()]
    run_bulk = not args.only or any(args.only.lower() in name for name in BULK_NAMES)
    run_sweep = not args.only or any(args.only.lower() in name for name in SWEEP_NAMES)
    run_kb = not args.only or any(args.only.lower() in name for name in KB_NAMES)
    run_cmdb = not args.only or any(args.only.lower() in name for name in CMDB_NAMES)
    if (
        len(pages) == 1
        and args.only
        and args.only.lower() not in "calibration"
        and not (run_bulk or run_sweep or run_kb or run_cmdb)
    ):
        names = [p.name for p in PAGES] + list(BULK_NAMES) + list(SWEEP_NAMES) + list(KB_NAMES) + list(CMDB_NAMES)
        raise BenchError(f"no benchmark name contains {args.only!r}; names: {', '.join(names)}")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    out_dir = Path(settings.VAR_DIR) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    loader = check_template_loaders()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")

    data = ensure_data(env, args.tickets)
    from servicedesk.models import AssignmentGroup

    ids = {"service_desk": AssignmentGroup.objects.get(name="Service Desk").pk}
    pages = [replace(p, path=p.path.format(**ids)) for p in pages]
    say("collecting static files")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    password = os.environ.get("DEMO_PASSWORD", "demo")
    usernames = sorted({p.user for p in pages if p.user})
    users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    if missing := set(usernames) - set(users):
        raise BenchError(f"demo users missing: {', '.join(sorted(missing))}")

    say("counting SQL statements in-process and writing the plans of ticket queries")
    counted = {p.name: count_queries(p, users, out_dir / "explain") for p in pages}
    connection.close()  # nothing of ours holds a connection while the pages are timed

    timings: dict[str, list[float]] = {}
    gunicorn, base = start_gunicorn(env, out_dir / "gunicorn.log")
    try:
        sessions: dict[str | None, requests.Session] = {None: requests.Session()}
        for username in usernames:
            sessions[username] = log_in(base, username, password)
        for page in pages:
            say(f"timing {page.name}: {WARMUPS} warm-ups, {args.requests} timed requests")
            timings[page.name] = time_page(sessions[page.user], base, page, args.requests)
        for session in sessions.values():
            session.close()
    finally:
        stop_gunicorn(gunicorn)

    calibration = statistics.median(timings["calibration"])
    calibration_p95 = _percentile(timings["calibration"], 0.95)
    results = []
    for page in pages:
        samples = timings[page.name]
        queries, slowest, flags = counted[page.name]
        p50, p95 = statistics.median(samples), _percentile(samples, 0.95)
        results.append(
            {
                "name": page.name,
                "n": data["tickets"],
                "unit": "ms",
                "p50": round(p50, 2),
                "p95": round(p95, 2),
                "max": round(max(samples), 2),
                "samples": len(samples),
                "queries": queries,
                "notes": "; ".join([page.notes, *flags]),
                "ratio": round(p50 / calibration, 2),
                "ratio_p95": round(p95 / calibration_p95, 2),
                "url": page.path,
                "user": page.user,
                "slowest_query_ms": None if slowest is None else round(slowest, 2),
                "sample_ms": [round(s, 2) for s in samples],
            }
        )
    if run_bulk:
        results.extend(bulk_results(data["tickets"], calibration))
    if run_sweep:
        results.extend(sweep_results(data["tickets"]))
    if run_kb:
        results.extend(kb_results(args.articles, out_dir / "explain", samples=args.requests, only=args.only))
    if run_cmdb:
        results.extend(cmdb_results(args.cis, out_dir / "explain", samples=args.requests, only=args.only))
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    meta = {
        "started_at": started_at,
        **data,
        "requests_per_page": args.requests,
        "warmups": WARMUPS,
        "only": args.only,
        "template_loader": loader,
        "calibration_p50_ms": round(calibration, 2),
        "machine": _machine(connection),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    connection.close()
    print_table(results)
    say(
        f"{data['tickets']:,} tickets; calibration p50 {calibration:.2f} ms; "
        f"results in {out_dir / 'results.json'}, plans in {out_dir / 'explain'}"
    )
    return 0


def bulk_results(tickets: int, calibration: float) -> list[dict]:
    """Bulk actions on 100 queue rows, in-process through the same code the desk's bulk view calls."""
    from bench import bulk

    say("timing bulk actions on 100 rows (5 runs each; writes real incidents to this database)")
    results = []
    for name, figures in bulk.measure(rows=100, repeat=5).items():
        samples = [s * 1000 for s in figures["seconds"]]
        results.append(
            {
                "name": f"bulk_{name}_100",
                "n": tickets,
                "unit": "ms",
                "p50": round(statistics.median(samples), 2),
                "p95": round(_percentile(samples, 0.95), 2),
                "max": round(max(samples), 2),
                "samples": len(samples),
                "queries": round(figures["queries_per_row"] * 100),
                "notes": f"bulk {name} over 100 selected rows, one transaction per row, in-process; "
                f"{figures['queries_per_row']:.1f} SQL statements per row",
                "ratio": None,
            }
        )
    return results


def sweep_results(tickets: int) -> list[dict]:
    """One SLA sweep pass with 1,000 clocks due, at 100,000 running clocks and at the full scale (in-process)."""
    from django.conf import settings

    from bench import sla_sweep

    scales = sorted({min(SWEEP_SMALL_SCALE, tickets), tickets})
    say(f"timing the SLA sweep with 1,000 due at {' and '.join(f'{s:,}' for s in scales)} running clocks")
    interval = settings.CELERY_BEAT_SCHEDULE["sweep-sla-clocks"]["schedule"]
    results = []
    for row in sla_sweep.measure(scales=scales, due=1000, repeat=5):
        samples = [s * 1000 for s in row["seconds"]]
        worst_lag = interval + max(samples) / 1000
        results.append(
            {
                "name": "sla_sweep_1000_due",
                "n": row["clocks"],
                "unit": "ms",
                "p50": round(statistics.median(samples), 2),
                "p95": round(_percentile(samples, 0.95), 2),
                "max": round(max(samples), 2),
                "samples": len(samples),
                "queries": row["queries"],
                "notes": f"one pass, {row['fired']:,} warnings fired, batches of {settings.SLA_SWEEP_BATCH_SIZE}; "
                f"goal < 1,000 ms; a breach is recorded at worst {worst_lag:.1f} s after its deadline "
                f"(beat every {interval:g} s + slowest pass; goal < 60 s)",
                "ratio": None,
                "breach_lag_worst_s": round(worst_lag, 1),
            }
        )
        results.append(
            {
                "name": "sla_sweep_idle",
                "n": row["clocks"],
                "unit": "ms",
                "p50": round(row["idle_ms"], 2),
                "p95": round(row["idle_ms"], 2),
                "max": round(row["idle_ms"], 2),
                "samples": 5,
                "queries": row["idle_queries"],
                "notes": "one pass with nothing due (median of 5): the partial index read alone",
                "ratio": None,
            }
        )
    return results


def kb_results(articles: int, explain_dir: Path, *, samples: int = MIN_REQUESTS, only: str = "") -> list[dict]:
    """Knowledge search() and suggest() over `articles` articles, in-process (bench/knowledge_search.py)."""
    from bench import knowledge_search

    say(f"timing knowledge search and suggestions over {articles:,} articles (seeding the missing ones)")
    measured = knowledge_search.measure(articles=articles, samples=samples, explain_dir=explain_dir)
    knowledge_search.print_report(measured)
    notes = {
        "kb_search": "search() in-process, {calls} EN/ZH queries in turn (typo, whole Chinese sentence among them), "
        "anonymous portal visibility, 20 a page with snippets; goal p95 < 50 ms",
        "kb_suggest": "suggest() in-process, {calls} issue texts as typed (title, then sentence by sentence), "
        "5 suggestions; goal p95 < 50 ms",
    }
    results = []
    for name, row in measured["results"].items():
        if only and only.lower() not in name:
            continue
        plan = measured["plans"].get(f"{name}_en", [])
        executed = [line for line in plan if "never executed" not in line]
        indexes = sorted(set(re.findall(r"on (kb_\w+)", "\n".join(executed))))
        results.append(
            {
                "name": name,
                "n": measured["data"]["articles"],
                "unit": "ms",
                "p50": row["p50"],
                "p95": row["p95"],
                "max": row["max"],
                "samples": row["samples"],
                "queries": row["queries"],
                "notes": notes[name].format(calls=row["calls"])
                + f"; en p50/p95 {row['en']['p50']}/{row['en']['p95']}, zh {row['zh']['p50']}/{row['zh']['p95']}"
                + f"; indexes read: {', '.join(indexes) or 'none'}",
                "ratio": None,
                "by_language": {"en": row["en"], "zh": row["zh"]},
                "index_use": {key: lines for key, lines in measured["plans"].items() if key.startswith(name)},
                "sample_ms": row["sample_ms"],
            }
        )
    return results


def cmdb_results(cis: int, explain_dir: Path, *, samples: int = MIN_REQUESTS, only: str = "") -> list[dict]:
    """CMDB impact analysis and the attribute-filtered CI list over `cis` CIs, in-process (bench/cmdb.py)."""
    from bench import cmdb

    say(f"timing CMDB impact analysis and attribute filters over {cis:,} CIs (seeding the missing ones)")
    measured = cmdb.measure(cis=cis, samples=samples, explain_dir=explain_dir)
    cmdb.print_report(measured)
    notes = {
        "cmdb_impact_depth5": "analyse_impact(depth=5, nearest 100 listed, counts and services complete) "
        "in-process from random CIs of each layer ({starts}); {relations:,} relations; goal p95 < 100 ms",
        "cmdb_impact_depth5_all": "impact(depth=5), every reached CI built with its path, from the same CIs "
        "({starts}); no goal",
        "cmdb_filter_attribute": "filter_cis(Linux Server, os=…) + environment in-process: first page of 25 by name "
        "and the count capped at 1,000 (median {matches} matches); goal p95 < 50 ms",
    }
    plan_names = {
        "cmdb_impact_depth5": "cmdb_impact",
        "cmdb_impact_depth5_all": "cmdb_impact",
        "cmdb_filter_attribute": "cmdb_filter",
    }
    results = []
    for name, row in measured["results"].items():
        if only and only.lower() not in name:
            continue
        starts = "; ".join(
            f"{label} p50/p95 {f['p50']}/{f['p95']} ms, {f['reached_median']:,} reached"
            for label, f in row.get("by_start", {}).items()
        )
        lines = [line for key, plan in measured["plans"].items() if key.startswith(plan_names[name]) for line in plan]
        indexes = sorted(
            set(re.findall(r"(?:Index Scan using|Index Only Scan using|Bitmap Index Scan on) (\w+)", "\n".join(lines)))
        )
        results.append(
            {
                "name": name,
                "n": measured["data"]["cis"],
                "unit": "ms",
                "p50": row["p50"],
                "p95": row["p95"],
                "max": row["max"],
                "samples": row["samples"],
                "queries": row["queries"],
                "notes": notes[name].format(
                    starts=starts, relations=measured["data"]["relations"], matches=row.get("matches_median")
                )
                + f"; indexes read: {', '.join(indexes) or 'none'}",
                "ratio": None,
                "by_start": row.get("by_start"),
                "index_use": {key: plan for key, plan in measured["plans"].items() if key.startswith(plan_names[name])},
                "sample_ms": row["sample_ms"],
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _raise_exit)
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as error:
        say(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
