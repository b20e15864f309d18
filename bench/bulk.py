"""Bulk actions on desk queue rows: how long 100 rows take, and how many SQL queries each row costs.

Usage: python -m bench.bulk [--rows N] [--repeat K]
       (DATABASE_URL as for the portal; the database must be migrated)

It writes real rows (a support group, two users, N incidents per repeat, their notes and activity log) to
the database it runs against, since the activity log is append-only: run it on a dev or scratch database.
Each bulk action commits row by row, as in the desk. Prints wall time per action, the CPU time this process
spent on it (Python and the driver: steadier than wall time on a busy machine, and what a small database
measures right), and queries per row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid


def measure(*, rows: int = 100, repeat: int = 3) -> dict[str, dict]:
    """Time each bulk action over `rows` fresh incidents, `repeat` times; Django must be set up.

    Returns, per action, the wall and CPU times in seconds and the SQL statements per row.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services import report_incident
    from servicedesk import bulk, roles, services
    from servicedesk.models import AssignmentGroup

    tag = uuid.uuid4().hex[:8]
    users = get_user_model().objects
    requester = users.create_user(f"bench-requester-{tag}", first_name="Bench", last_name="Requester")
    engineer = users.create_user(f"bench-engineer-{tag}", first_name="Bench", last_name="Engineer")
    engineer.groups.add(Group.objects.get_or_create(name=roles.AGENT_L1)[0])
    admin = users.create_user(f"bench-admin-{tag}", is_superuser=True)
    group = AssignmentGroup.objects.create(name=f"Bench {tag}")
    group.members.add(engineer)

    steps = {
        "assign": lambda numbers: bulk.bulk_assign(actor=engineer, numbers=numbers, group=group, assignee=engineer),
        "work_note": lambda numbers: bulk.bulk_add_note(
            actor=engineer, numbers=numbers, body="Bench note", time_spent_minutes=5
        ),
        "start_work": lambda numbers: bulk.bulk_change_state(
            actor=engineer, numbers=numbers, kind="incident", action="start_work", values={}
        ),
        "resolve": lambda numbers: bulk.bulk_change_state(
            actor=engineer,
            numbers=numbers,
            kind="incident",
            action="resolve",
            values={"code": "permanent", "notes": "Bench fix"},
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    queries: dict[str, int] = {}
    for run in range(repeat):
        numbers = []
        for n in range(rows):
            incident = report_incident(actor=requester, title=f"Bench {tag} {run}-{n}")
            services.assign_ticket(ticket=incident, actor=admin, group=group)
            numbers.append(incident.number)
        for name, step in steps.items():
            connection.queries_log.clear()  # the log keeps 9000 entries: make room for this step's
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                result = step(numbers)
                timings[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
            if result.failed:
                raise SystemExit(f"{name}: {len(result.failed)} rows refused, first: {result.failed[0]}")
            queries[name] = len(captured)
    return {
        name: {"seconds": timings[name], "cpu_seconds": cpu[name], "queries_per_row": queries[name] / rows}
        for name in steps
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    measured = measure(rows=args.rows, repeat=args.repeat)
    print(
        f"bulk actions on {args.rows} rows, {args.repeat} runs "
        "(median / max wall time, median CPU time of this process, SQL queries per row)"
    )
    for name, figures in measured.items():
        samples = figures["seconds"]
        print(
            f"  {name:12} {statistics.median(samples) * 1000:8.1f} ms {max(samples) * 1000:8.1f} ms"
            f"   cpu {statistics.median(figures['cpu_seconds']) * 1000:7.1f} ms"
            f"   {figures['queries_per_row']:5.1f} queries/row"
        )


if __name__ == "__main__":
    main()
