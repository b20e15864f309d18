"""The SLA sweep at scale: one pass over N running clocks of which 1,000 are due.

Usage: python -m bench.sla_sweep [--scales 100000 1000000] [--due 1000] [--repeat 5]
       (DATABASE_URL as for the portal; the database must be migrated and hold enough tickets,
       e.g. after `BENCH_TICKETS=1000000 make bench`, which runs this too)

It adds resolution clocks (under the default round-the-clock policy) to the tickets that have none, up to each
scale, with deadlines weeks away, and leaves exactly that many running (whatever the ticket's state: the sweep
reads clocks, not tickets); then, per run, it re-arms `--due` of them so that exactly one level (the 75 %
warning, which notifies the assignee) is due, and times one `sweep()` with the batch size of the settings.
The cost should follow the number due, not the number of clocks: the sweep reads only clocks whose next check
has come, through a partial index.
It writes to the database it runs against (clocks, timeline rows, activity rows): use a bench database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def ensure_clocks(count: int) -> int:
    """Clocks on the first `count` tickets (those without one); returns how many clocks exist."""
    from django.db import connection

    from sla.models import SLAPolicy

    policy = SLAPolicy.objects.filter(calendar__is_24x7=True, kind="incident").order_by("position").first()
    if policy is None:
        raise SystemExit("no round-the-clock incident policy (the default data migration makes one)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sla_slaclock")
        have = cursor.fetchone()[0]
        if have < count:
            cursor.execute(
                """
                INSERT INTO sla_slaclock (ticket_id, metric, policy_id, status, target, elapsed, started_at,
                    resumed_at, breach_at, next_check_at, warned_percent)
                SELECT t.id, 'resolution', %s, 'running', interval '30 days', interval '0', now(), now(),
                    now() + interval '30 days', now() + interval '22 days', 0
                FROM servicedesk_ticket t
                WHERE t.kind = 'incident'
                  AND NOT EXISTS (SELECT 1 FROM sla_slaclock c WHERE c.ticket_id = t.id AND c.metric = 'resolution')
                ORDER BY t.id
                LIMIT %s
                ON CONFLICT (ticket_id, metric) DO NOTHING
                """,
                [policy.pk, count - have],
            )
        cursor.execute("SELECT count(*) FROM sla_slaclock")
        return cursor.fetchone()[0]


def run_only(count: int) -> int:
    """Exactly the first `count` clocks (by id) running, the others stopped: the scale of one measurement.

    A later run at a smaller scale stops clocks rather than deleting them; only rows whose status changes are
    written, and the table is vacuumed so that the due index holds no dead entries. Returns the running count.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM (SELECT id FROM sla_slaclock ORDER BY id LIMIT %s) s", [count])
        last = cursor.fetchone()[0]
        cursor.execute(
            """
            UPDATE sla_slaclock SET status = CASE WHEN id <= %s THEN 'running' ELSE 'stopped' END,
                next_check_at = CASE WHEN id <= %s THEN now() + interval '22 days' END
            WHERE (status = 'running') <> (id <= %s)
            """,
            [last, last, last],
        )
        cursor.execute("VACUUM ANALYZE sla_slaclock")
        cursor.execute("SELECT count(*) FROM sla_slaclock WHERE status = 'running'")
        return cursor.fetchone()[0]


def rearm(due: int) -> list[int]:
    """Make `due` running clocks (spread over the table) 80 % through a 10 h target: their 75 % warning is due."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sla_slaclock WHERE status = 'running'")
        total = cursor.fetchone()[0]
        step = max(1, total // due)
        cursor.execute(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM sla_slaclock "
            "WHERE status = 'running') s WHERE n %% %s = 0 LIMIT %s",
            [step, due],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "DELETE FROM sla_slaclockevent WHERE clock_id = ANY(%s) AND kind IN ('warned', 'breached')", [ids]
        )
        cursor.execute(
            """
            UPDATE sla_slaclock SET status = 'running', warned_percent = 0, breached_at = NULL,
                elapsed = interval '0', target = interval '10 hours', resumed_at = now() - interval '8 hours',
                breach_at = now() + interval '2 hours', next_check_at = now() - interval '1 second'
            WHERE id = ANY(%s)
            """,
            [ids],
        )
    return ids


def measure(*, scales=(100_000, 1_000_000), due: int = 1000, repeat: int = 3) -> list[dict]:
    """Per scale: `repeat` sweeps with `due` clocks due (seconds, SQL statements) and one pass with none due."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.sweep import sweep

    results = []
    for scale in sorted(scales):
        ensure_clocks(scale)
        running = run_only(scale)
        seconds, fired, queries = [], 0, 0
        for _ in range(repeat):
            rearm(due)
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = sweep(batch_size=settings.SLA_SWEEP_BATCH_SIZE, max_batches=1000)
                seconds.append(time.perf_counter() - started)
            fired, queries = len(result.fired), len(captured)
        # Without anything due, a pass is one indexed read: the floor of the sweep's cost at this scale.
        idle = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                sweep()
                idle.append(time.perf_counter() - started)
            idle_queries = len(captured)
        results.append(
            {
                "clocks": running,
                "due": due,
                "fired": fired,
                "seconds": seconds,
                "queries": queries,
                "idle_ms": statistics.median(idle) * 1000,
                "idle_queries": idle_queries,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    for row in measure(scales=args.scales, due=args.due, repeat=args.repeat):
        ms = sorted(s * 1000 for s in row["seconds"])
        print(
            f"sla_sweep  clocks {row['clocks']:>9,}  due {row['due']:,}  fired {row['fired']:,}  "
            f"p50 {statistics.median(ms):8.1f} ms  max {ms[-1]:8.1f} ms  {row['queries']:,} SQL  "
            f"idle pass {row['idle_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
