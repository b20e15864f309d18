"""CMDB import at scale: 100,000 CI rows from CSV (create), the same file again (unchanged), and an update pass.

Usage: python -m bench.cmdb_import [--rows 100000] [--keep]
       (DATABASE_URL as for the portal; the database must be migrated. It writes to the database it runs
       against: use a scratch database. The CIs it made are deleted at the end unless --keep.)

The file holds Linux and Windows servers (55 %), applications (30 %) and databases (15 %) with realistic
attributes (hostname, serial number, IP address, OS, CPUs, memory; URL and vendor; engine and port); names carry
a run prefix so the bench never meets CIs it did not make. Three timed passes through ``cmdb.imports.import_cis``
(the path the command, the admin screen and the Celery task share):
  cmdb_import_create     every row new: 100,000 CIs and their history rows; goal < 60 s
  cmdb_import_unchanged  the same file again: every row reconciled, nothing written
  cmdb_import_update     a file where every tenth row changes (more memory, a new OS, a new port)
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import time
import uuid

DEFAULT_ROWS = 100_000
GOAL_SECONDS = 60
COLUMNS = [
    "class",
    "name",
    "status",
    "environment",
    "location",
    "owner_group",
    "hostname",
    "serial_number",
    "ip_address",
    "os",
    "cpu_count",
    "memory_gb",
    "url",
    "vendor",
    "engine",
    "port",
]
OSES = ["Ubuntu 22.04", "Ubuntu 24.04", "Debian 12", "Red Hat Enterprise Linux 9"]
LOCATIONS = ["Paris DC1", "Frankfurt DC2", "London DC3", "Azure West Europe"]


def generate(rows: int, prefix: str, *, change_every: int = 0) -> str:
    """The CSV text; with ``change_every`` N, every Nth row differs from the first file."""
    rng = random.Random(7)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i in range(rows):
        changed = bool(change_every) and i % change_every == 0
        share = i % 20
        base = dict.fromkeys(COLUMNS, "")
        base.update(
            status="in_service",
            environment=rng.choice(["production", "production", "staging", "test"]),
            location=LOCATIONS[i % 4],
        )
        if share < 11:  # servers
            linux = share < 8
            base.update(
                {
                    "class": "Linux Server" if linux else "Windows Server",
                    "name": f"{prefix}-srv{i:06d}",
                    "owner_group": "Server & Storage",
                    "hostname": f"{prefix}-srv{i:06d}.corp.example.com",
                    "serial_number": f"{prefix}-SN{i:07d}",
                    "ip_address": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                    "os": (OSES[i % 4] if linux else "Windows Server 2022") if not changed else "Debian 13",
                    "cpu_count": rng.choice([2, 4, 8, 16]),
                    "memory_gb": 64 if changed else 16,
                }
            )
        elif share < 17:  # applications
            base.update(
                {
                    "class": "Application",
                    "name": f"{prefix}-app{i:06d}",
                    "owner_group": "Business Applications",
                    "url": f"https://{prefix}-app{i:06d}.corp.example.com" + ("/v2" if changed else ""),
                    "vendor": rng.choice(["In-house", "SAP", "Microsoft"]),
                }
            )
        else:  # databases
            base.update(
                {
                    "class": "Database",
                    "name": f"{prefix}-db{i:06d}",
                    "owner_group": "Server & Storage",
                    "engine": "PostgreSQL",
                    "port": 6432 if changed else 5432,
                }
            )
        writer.writerow([base[c] for c in COLUMNS])
    return buffer.getvalue()


def timed(label: str, text: str, expected: dict) -> float:
    from cmdb.imports import import_cis

    started = time.perf_counter()
    report = import_cis(text, fmt="csv")
    seconds = time.perf_counter() - started
    counts = report.counts
    status = "ok" if all(counts[k] == v for k, v in expected.items()) else f"UNEXPECTED {counts}"
    print(
        f"{label:24s} {seconds:7.1f} s  created {counts['created']:>7,}  updated {counts['updated']:>7,}  "
        f"unchanged {counts['unchanged']:>7,}  errors {counts['error']:>3}  {status}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", action="store_true", help="Leave the imported CIs in the database.")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from cmdb.models import CIHistory, ConfigurationItem

    prefix = f"bi{uuid.uuid4().hex[:6]}"
    first = generate(args.rows, prefix)
    update = generate(args.rows, prefix, change_every=10)
    changed = len(range(0, args.rows, 10))
    print(f"CMDB import bench: {args.rows:,} rows ({len(first) / 1e6:.1f} MB CSV), prefix {prefix}")
    create = timed("cmdb_import_create", first, {"created": args.rows, "error": 0})
    timed("cmdb_import_unchanged", first, {"unchanged": args.rows, "error": 0})
    timed("cmdb_import_update", update, {"updated": changed, "unchanged": args.rows - changed, "error": 0})
    history = CIHistory.objects.filter(ci__name__startswith=prefix).count()
    print(f"history rows written: {history:,}")
    print(f"goal: create < {GOAL_SECONDS} s: {'met' if create < GOAL_SECONDS else 'MISSED'} ({create:.1f} s)")
    if not args.keep:
        ConfigurationItem.objects.filter(name__startswith=prefix).delete()


if __name__ == "__main__":
    main()
