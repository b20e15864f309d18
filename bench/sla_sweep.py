"""The SLA sweep at scale: one pass over N running clocks of which 1,000 are due.

Usage: python -m bench.sla_sweep [--scales 100000 1000000] [--due 1000] [--repeat 3]
       (DATABASE_URL as for the portal; the database must be migrated and hold enough tickets,
       e.g. after `BENCH_TICKETS=1000000 make bench`)

It adds running resolution clocks (under the default round-the-clock policy) to the tickets that have none, up
to each scale, with deadlines weeks away; then, per run, it re-arms `--due` of them so that exactly one level
(the 75 % warning) is due, and times one `sweep()`. The cost should follow the number due, not the number of
clocks: the sweep reads only clocks whose next check has come, through a partial index.
It writes to the database it runs against (clocks, timeline rows, activity rows): use a bench database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def ensure_clocks(count: int) -> int:
    """Running clocks on the first `count` tickets (those without one); returns how many clocks exist."""
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
            cursor.execute("ANALYZE sla_slaclock")
        cursor.execute("SELECT count(*) FROM sla_slaclock")
        return cursor.fetchone()[0]


def rearm(due: int) -> list[int]:
    """Make `due` clocks (spread over the table) 80 % through a 10 h target: their 75 % warning is due now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sla_slaclock")
        total = cursor.fetchone()[0]
        step = max(1, total // due)
        cursor.execute(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM sla_slaclock) s "
            "WHERE n %% %s = 0 LIMIT %s",
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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.sweep import sweep

    results = []
    for scale in scales:
        clocks = ensure_clocks(scale)
        seconds, fired, queries = [], 0, 0
        for _ in range(repeat):
            rearm(due)
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = sweep(batch_size=200, max_batches=1000)
                seconds.append(time.perf_counter() - started)
            fired, queries = len(result.fired), len(captured)
        # Without anything due, a pass is one indexed read: the floor of the sweep's cost at this scale.
        started = time.perf_counter()
        sweep()
        idle_ms = (time.perf_counter() - started) * 1000
        results.append(
            {"clocks": clocks, "due": due, "fired": fired, "seconds": seconds, "queries": queries, "idle_ms": idle_ms}
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
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
