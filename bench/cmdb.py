"""CMDB at scale: impact analysis to depth 5 and the attribute-filtered CI list over N CIs (default 100,000).

Usage: python -m bench.cmdb [--cis N] [--samples 30]
       (DATABASE_URL as for the portal; the database must be migrated. `make bench` runs this too, with
       BENCH_CIS as the scale)

Seeding (only when the database holds fewer CIs than asked, and only the missing ones): one layered estate per
run, in SQL (INSERT … SELECT over generate_series, ids reserved from the sequence): business services (0.5 %),
applications (12 %), databases (6 %), middleware (1.5 %), Linux and Windows servers (28 % and 12 %, the first
5 % of them hypervisors), core and access switches, routers, firewalls, access points, cloud resources,
workstations (29.5 %) and storage hardware, with typed JSONB attributes as the services store them (os,
cpu_count, memory_gb, hostname, engine …). Relations, five per CI: services depend on applications,
applications on databases, middleware and other applications (cross links, so cycles occur), applications run on
servers and cloud resources, databases are hosted on servers, virtual servers on hypervisors, servers connect to
access switches and depend on storage and on each other (more cycles), access switches connect to core switches,
core switches to routers and firewalls, workstations and access points to access switches. Then VACUUM ANALYZE.

Timing (in-process, after 3 warm-up calls; at least `--samples` timed calls each):
  cmdb_impact_depth5     analyse_impact(ci, depth=5) as the CI page asks it (the count per depth, every business
                         service reached with its path, the nearest 100 CIs with theirs) upstream from random
                         databases, servers, access and core switches and applications, downstream from random
                         business services and applications; goal p95 < 100 ms
  cmdb_impact_depth5_all impact(ci, depth=5) from the same CIs: every reached CI as an object with its path (what
                         an export would need); no goal, printed to show what the limit saves
  cmdb_filter_attribute  filter_cis(Linux Server, {"os": …}) and an environment, ordered by name: the first page
                         of 25 and the count capped at 1,000 like the queues; goal p95 < 50 ms
The plans (EXPLAIN ANALYZE, BUFFERS) are printed as the lines that show which index is read, and written in full
to var/bench/explain/cmdb_*.txt. It writes to the database it runs against: use a bench database.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import time

DEFAULT_CIS = 100_000
MIN_SAMPLES = 30
WARMUPS = 3
RELATIONS_PER_CI = 5
PAGE_SIZE = 25
COUNT_CAP = 1000

# (layer, share of the CIs, class, owner group, attributes as SQL over the row's id `i`, name `n`, randoms r1 r2)
LAYERS = [
    ("svc", 0.005, "Business Service", "Business Applications",
     "jsonb_build_object('criticality', (ARRAY['low','medium','high','critical'])[1 + floor(r1 * 4)::int],"
     " 'service_owner', 'Owner ' || (i %% 97))"),
    ("app", 0.12, "Application", "Business Applications",
     "jsonb_build_object('url', 'https://' || n || '.corp.example.com', 'vendor',"
     " (ARRAY['In-house','SAP','Microsoft','Oracle','Salesforce'])[1 + floor(r1 * 5)::int])"),
    ("db", 0.06, "Database", "Server & Storage",
     "jsonb_build_object('engine', (ARRAY['PostgreSQL','Oracle','SQL Server','MySQL'])[1 + floor(r1 * 4)::int],"
     " 'port', (ARRAY[5432, 1521, 1433, 3306])[1 + floor(r1 * 4)::int])"),
    ("mw", 0.015, "Software", "Server & Storage",
     "jsonb_build_object('vendor', (ARRAY['RabbitMQ','Kafka','Redis','Nginx'])[1 + floor(r1 * 4)::int],"
     " 'version', '1.' || (i %% 20))"),
    ("lin", 0.28, "Linux Server", "Server & Storage",
     "jsonb_build_object('hostname', n, 'ip_address', '10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.'"
     " || (i & 255), 'os', (ARRAY['Ubuntu 22.04','Ubuntu 24.04','Red Hat Enterprise Linux 9',"
     "'Red Hat Enterprise Linux 8','Debian 12'])[1 + floor(r1 * 5)::int], 'cpu_count',"
     " (ARRAY[2, 4, 8, 16, 32])[1 + floor(r2 * 5)::int],"
     " 'memory_gb', (ARRAY[8, 16, 32, 64, 128])[1 + floor(r2 * 5)::int],"
     " 'kernel_version', '5.' || (i %% 20), 'serial_number', 'BS' || i)"),
    ("win", 0.12, "Windows Server", "Server & Storage",
     "jsonb_build_object('hostname', n, 'ip_address', '10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.'"
     " || (i & 255), 'os', (ARRAY['Windows Server 2019','Windows Server 2022'])[1 + floor(r1 * 2)::int],"
     " 'cpu_count', (ARRAY[2, 4, 8, 16])[1 + floor(r2 * 4)::int],"
     " 'memory_gb', (ARRAY[8, 16, 32, 64])[1 + floor(r2 * 4)::int],"
     " 'windows_edition', (ARRAY['Standard','Datacenter'])[1 + floor(r2 * 2)::int], 'serial_number', 'BS' || i)"),
    ("core", 0.001, "Switch", "Network Operations",
     "jsonb_build_object('hostname', n, 'serial_number', 'NS' || i, 'vendor', 'Cisco', 'model', 'N9K-C9364C',"
     " 'port_count', 64)"),
    ("acc", 0.03, "Switch", "Network Operations",
     "jsonb_build_object('hostname', n, 'serial_number', 'NS' || i, 'vendor', 'Cisco', 'model', 'C9300-48P',"
     " 'port_count', 48)"),
    ("rt", 0.002, "Router", "Network Operations",
     "jsonb_build_object('hostname', n, 'serial_number', 'NS' || i, 'vendor', 'Cisco', 'model', 'ASR1001-X')"),
    ("fw", 0.002, "Firewall", "IT Security",
     "jsonb_build_object('hostname', n, 'serial_number', 'NS' || i, 'vendor', 'Palo Alto', 'model', 'PA-3220')"),
    ("ap", 0.015, "Network Device", "Network Operations",
     "jsonb_build_object('hostname', n, 'serial_number', 'NS' || i, 'vendor', 'Cisco', 'model', 'C9130AXI')"),
    ("cloud", 0.05, "Cloud Resource", "Server & Storage",
     "jsonb_build_object('provider', (ARRAY['AWS','Azure','Other'])[1 + floor(r1 * 3)::int], 'resource_id', n,"
     " 'region', (ARRAY['cn-north-1','chinaeast2','cn-shanghai'])[1 + floor(r1 * 3)::int])"),
    ("hw", 0.005, "Hardware", "Server & Storage",
     "jsonb_build_object('serial_number', 'HW' || i, 'vendor', 'Dell', 'model', 'PowerStore 1200T')"),
    ("ws", 0.295, "Workstation", "Service Desk",
     "jsonb_build_object('asset_tag', n, 'serial_number', 'WS' || i, 'vendor', 'Lenovo',"
     " 'assigned_to', 'User ' || (i %% 5000))"),
]  # fmt: skip

# (source layer, relation type, target layer, relations per source CI (a fraction is a probability), window).
# Layers are laid out in the same order (pod by pod), so a source CI's targets are drawn from a window of `window`
# CIs at its own position in the target layer: an application runs on the servers of its pod, a server connects
# to the switches of its rack. Local windows give local cycles (applications and servers depending on their
# neighbours); a window of None draws from the whole layer: the few cross links between pods.
EDGES = [
    ("svc", "depends on", "app", 30, 60),
    ("app", "depends on", "db", 2, 8),
    ("app", "depends on", "mw", 1, 4),
    ("app", "depends on", "app", 1, 50),
    ("app", "depends on", "app", 0.05, None),
    ("app", "runs on", "srv", 5, 20),
    ("app", "runs on", "cloud", 0.3, 10),
    ("db", "hosted on", "srv", 2, 10),
    ("mw", "runs on", "srv", 3, 30),
    ("vm", "hosted on", "hv", 1, 4),
    ("srv", "connects to", "acc", 2, 2),
    ("srv", "depends on", "hw", 1, 2),
    ("srv", "depends on", "srv", 1, 20),
    ("srv", "depends on", "srv", 0.02, None),
    ("acc", "connects to", "core", 2, 2),
    ("core", "connects to", "rt", 1, 2),
    ("core", "connects to", "fw", 1, 2),
    ("ap", "connects to", "acc", 1, 2),
    ("ws", "connects to", "acc", 1, 2),
    ("cloud", "connects to", "fw", 1, 4),
]
HYPERVISOR_SHARE = 0.05

_CI_SQL = """
INSERT INTO cmdb_configurationitem (id, name, ci_class_id, ci_type, status, description, owner_group, environment,
    location, attributes, created_at, updated_at)
SELECT i, n, %(class_id)s, %(kind)s,
    CASE WHEN g %% 97 = 0 THEN 'retired' WHEN g %% 41 = 0 THEN 'maintenance' ELSE 'in_service' END,
    '', %(group)s,
    CASE WHEN r2 < 0.7 THEN 'production' WHEN r2 < 0.85 THEN 'staging' ELSE 'test' END,
    (ARRAY['Shanghai DC','Beijing DC','Shanghai HQ','Beijing office'])[1 + (g %% 4)],
    {attributes}, now(), now()
FROM (
    SELECT g, %(start)s + g AS i, %(prefix)s || g AS n, random() AS r1, random() AS r2
    FROM generate_series(0, %(count)s - 1) AS g
) AS rows
"""

_RELATION_SQL = """
INSERT INTO cmdb_relation (source_id, target_id, relation_type_id, created_at)
SELECT source_id, target_id, %(type_id)s, now()
FROM (
    SELECT s AS source_id, %(target_lo)s + (
        CASE WHEN %(window)s = 0 THEN floor(random() * %(target_n)s)::bigint
             ELSE (floor((s - %(source_lo)s)::float8 * %(target_n)s / %(source_n)s)::bigint
                   + floor(random() * %(window)s)::bigint) %% %(target_n)s END) AS target_id
    FROM generate_series(%(source_lo)s, %(source_hi)s) AS s, generate_series(1, %(per)s) AS k
    WHERE random() < %(probability)s
) AS picked
WHERE source_id <> target_id
ON CONFLICT DO NOTHING
"""


def say(message: str) -> None:
    print(f"bench cmdb: {message}", flush=True)


def _ranges(start: int, count: int) -> dict[str, tuple[int, int]]:
    """Each layer's (first id, how many), plus the server ranges the edges use (srv, hv, vm)."""
    ranges, first = {}, start
    for position, (layer, share, *_rest) in enumerate(LAYERS):
        size = count - (first - start) if position == len(LAYERS) - 1 else max(1, round(count * share))
        ranges[layer] = (first, size)
        first += size
    lin_first, lin_n = ranges["lin"]
    servers = lin_n + ranges["win"][1]
    hypervisors = max(1, round(servers * HYPERVISOR_SHARE))
    ranges["srv"] = (lin_first, servers)
    ranges["hv"] = (lin_first, hypervisors)
    ranges["vm"] = (lin_first + hypervisors, servers - hypervisors)
    return ranges


def seed(count: int) -> dict:
    """Add `count` CIs and about five relations each, layered; returns what was added and how long it took."""
    from django.db import connection, transaction

    from cmdb.models import CIClass, RelationType

    classes = {c.name: c for c in CIClass.objects.all()}
    types = {t.name: t.pk for t in RelationType.objects.all()}
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('cmdb_configurationitem', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        start = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, start + count])
        ranges = _ranges(start, count)
        tag = f"b{start}"
        for layer, _share, class_name, group, attributes in LAYERS:
            first, size = ranges[layer]
            ci_class = classes[class_name]
            cursor.execute(
                _CI_SQL.format(attributes=attributes),
                {
                    "class_id": ci_class.pk,
                    "kind": ci_class.kind,
                    "group": group,
                    "start": first,
                    "count": size,
                    "prefix": f"{tag}-{layer}-",
                },
            )
        ci_seconds = time.monotonic() - started
        for source, relation, target, per, window in EDGES:
            source_lo, source_n = ranges[source]
            target_lo, target_n = ranges[target]
            cursor.execute(
                _RELATION_SQL,
                {
                    "type_id": types[relation],
                    "source_lo": source_lo,
                    "source_hi": source_lo + source_n - 1,
                    "source_n": source_n,
                    "target_lo": target_lo,
                    "target_n": target_n,
                    "window": window or 0,
                    "per": math.ceil(per),
                    "probability": per / math.ceil(per),
                },
            )
        # Top up to five a CI with servers depending on their neighbours (clusters; cycles among them).
        cursor.execute("SELECT count(*) FROM cmdb_relation WHERE source_id >= %s", [start])
        have = cursor.fetchone()[0]
        wanted = count * RELATIONS_PER_CI
        srv_lo, srv_n = ranges["srv"]
        for _ in range(5):
            if have >= wanted:
                break
            per = math.ceil((wanted - have) / srv_n)
            cursor.execute(
                _RELATION_SQL,
                {
                    "type_id": types["depends on"],
                    "source_lo": srv_lo,
                    "source_hi": srv_lo + srv_n - 1,
                    "source_n": srv_n,
                    "target_lo": srv_lo,
                    "target_n": srv_n,
                    "window": 20,
                    "per": per,
                    "probability": min(1.0, (wanted - have) / (per * srv_n)),
                },
            )
            have += cursor.rowcount
    return {"added": count, "relations_added": have, "ci_seconds": round(ci_seconds, 1)}


def ensure_cis(count: int) -> dict:
    """Seed the missing CIs (if any), then VACUUM ANALYZE; the figures of the data measured."""
    from django.db import connection

    from cmdb.models import ConfigurationItem, Relation

    have = ConfigurationItem.objects.count()
    missing = max(0, count - have)
    seed_s, added = 0.0, {"added": 0, "relations_added": 0}
    if missing:
        say(f"the database holds {have:,} CIs; adding {missing:,} with about {missing * RELATIONS_PER_CI:,} relations")
        started = time.monotonic()
        added = seed(missing)
        seed_s = time.monotonic() - started
        say(f"seeded {missing:,} CIs and {added['relations_added']:,} relations in {seed_s:.1f} s")
    else:
        say(f"reusing the {have:,} CIs already in the database (scale asked: {count:,})")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cmdb_configurationitem")
        cursor.execute("VACUUM ANALYZE cmdb_relation")
    return {
        "cis": ConfigurationItem.objects.count(),
        "relations": Relation.objects.count(),
        "added": added["added"],
        "relations_added": added["relations_added"],
        "seed_seconds": round(seed_s, 1),
        "vacuum_seconds": round(time.monotonic() - started, 1),
    }


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _figures(samples: list[float]) -> dict:
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(_percentile(samples, 0.95), 2),
        "max": round(max(samples), 2),
        "samples": len(samples),
    }


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _plans(call) -> tuple[str, list[str], int]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement a call runs on CMDB rows; full text, index lines, count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    statements = [q["sql"] for q in captured.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"}]
    texts = []
    with connection.cursor() as cursor:
        for sql in statements:
            if "cmdb_configurationitem" not in sql and "cmdb_relation" not in sql:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            texts.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    plan = "\n\n".join(texts)
    wanted = re.compile(r"(Index Scan|Index Only Scan|Bitmap Index Scan|Seq Scan).* (cmdb_\w+|ci_\w+|relation_\w+)")
    lines = [line.strip() for line in plan.splitlines() if wanted.search(line) or "Execution Time" in line]
    return plan, lines, len(statements)


def _sample_ids(lookup: dict, count: int, rng: random.Random) -> list[int]:
    from cmdb.models import ConfigurationItem

    ids = list(ConfigurationItem.objects.filter(**lookup).order_by("pk").values_list("pk", flat=True))
    return rng.sample(ids, min(count, len(ids)))


def measure(*, cis: int = DEFAULT_CIS, samples: int = MIN_SAMPLES, explain_dir=None) -> dict:
    """Seed if needed, then time impact() and the filtered list; the data figures and one row per benchmark."""
    from cmdb.choices import CIType, Environment, ImpactDirection
    from cmdb.models import CIClass, ConfigurationItem
    from cmdb.selectors import analyse_impact, filter_cis, impact
    from cmdb.views import IMPACT_ROWS

    def page_impact(ci, direction):
        # What the CI page and the incident panel ask: the count per depth, every business service, the nearest CIs.
        return analyse_impact(ci, direction=direction, depth=5, limit=IMPACT_ROWS)

    data = ensure_cis(cis)
    rng = random.Random(11)  # the same starting CIs run after run
    kinds = [
        ("service↓", {"ci_type": CIType.BUSINESS_SERVICE}, ImpactDirection.DOWNSTREAM),
        ("application↓", {"ci_type": CIType.APPLICATION}, ImpactDirection.DOWNSTREAM),
        ("application↑", {"ci_type": CIType.APPLICATION}, ImpactDirection.UPSTREAM),
        ("database↑", {"ci_type": CIType.DATABASE}, ImpactDirection.UPSTREAM),
        ("server↑", {"ci_type": CIType.SERVER}, ImpactDirection.UPSTREAM),
        ("access switch↑", {"ci_type": CIType.NETWORK_DEVICE, "name__contains": "-acc-"}, ImpactDirection.UPSTREAM),
        ("core switch↑", {"ci_type": CIType.NETWORK_DEVICE, "name__contains": "-core-"}, ImpactDirection.UPSTREAM),
    ]
    rounds = max(1, math.ceil(max(samples, MIN_SAMPLES) / len(kinds)))
    starts = {label: _sample_ids(lookup, rounds + WARMUPS, rng) for label, lookup, _d in kinds}
    cis_by_id = ConfigurationItem.objects.select_related("ci_class").in_bulk(
        [pk for ids in starts.values() for pk in ids]
    )
    calls = []
    for position in range(rounds + WARMUPS):
        for label, _lookup, direction in kinds:
            ids = starts[label]
            if ids:
                ci = cis_by_id[ids[position % len(ids)]]
                calls.append((position < WARMUPS, label, ci, direction))
    impact_times: dict[str, list[float]] = {}
    full_times: dict[str, list[float]] = {}
    reached: dict[str, list[int]] = {}
    for warmup, label, ci, direction in calls:
        took, result = _timed(lambda ci=ci, d=direction: page_impact(ci, d))
        full_took, _hits = _timed(lambda ci=ci, d=direction: impact(ci, direction=d, depth=5))
        if not warmup:
            impact_times.setdefault(label, []).append(took)
            full_times.setdefault(label, []).append(full_took)
            reached.setdefault(label, []).append(result.total)
    every = [t for times in impact_times.values() for t in times]
    every_full = [t for times in full_times.values() for t in times]

    linux = CIClass.objects.get(name="Linux Server")
    filters = [
        (os_name, env)
        for os_name in ("Ubuntu 22.04", "Red Hat Enterprise Linux 9", "Debian 12")
        for env in (Environment.PRODUCTION, Environment.STAGING, Environment.TEST)
    ]

    def filtered_page(os_name: str, env: str):
        qs = filter_cis(linux, {"os": os_name}).filter(environment=env)
        page = list(qs.order_by("name")[:PAGE_SIZE])
        total = qs.order_by()[: COUNT_CAP + 1].count()
        return page, total

    filter_times, totals = [], []
    for position in range(WARMUPS + max(samples, MIN_SAMPLES)):
        os_name, env = filters[position % len(filters)]
        took, (_page, total) = _timed(lambda o=os_name, e=env: filtered_page(o, e))
        if position >= WARMUPS:
            filter_times.append(took)
            totals.append(total)

    core = cis_by_id[starts["core switch↑"][0]] if starts["core switch↑"] else None
    server = cis_by_id[starts["server↑"][0]]
    plan_calls = {
        "cmdb_impact_server_up": lambda: page_impact(server, ImpactDirection.UPSTREAM),
        "cmdb_filter_attribute": lambda: filtered_page("Ubuntu 22.04", Environment.PRODUCTION),
    }
    if core is not None:
        plan_calls["cmdb_impact_core_switch_up"] = lambda: page_impact(core, ImpactDirection.UPSTREAM)
    plans, queries = {}, {}
    for name, call in plan_calls.items():
        plan, lines, statements = _plans(call)
        plans[name] = lines
        queries[name] = statements
        if explain_dir is not None:
            explain_dir.mkdir(parents=True, exist_ok=True)
            (explain_dir / f"{name}.txt").write_text(plan + "\n")
    return {
        "data": data,
        "results": {
            "cmdb_impact_depth5": {
                **_figures(every),
                "queries": queries["cmdb_impact_server_up"],
                "by_start": {
                    label: {**_figures(times), "reached_median": int(statistics.median(reached[label]))}
                    for label, times in impact_times.items()
                },
                "sample_ms": [round(s, 2) for s in every],
            },
            "cmdb_impact_depth5_all": {
                **_figures(every_full),
                "queries": None,
                "by_start": {
                    label: {**_figures(times), "reached_median": int(statistics.median(reached[label]))}
                    for label, times in full_times.items()
                },
                "sample_ms": [round(s, 2) for s in every_full],
            },
            "cmdb_filter_attribute": {
                **_figures(filter_times),
                "queries": queries["cmdb_filter_attribute"],
                "matches_median": int(statistics.median(totals)),
                "sample_ms": [round(s, 2) for s in filter_times],
            },
        },
        "plans": plans,
    }


def print_report(measured: dict) -> None:
    data = measured["data"]
    print(
        f"\n{data['cis']:,} CIs, {data['relations']:,} relations; added {data['added']:,} CIs and "
        f"{data['relations_added']:,} relations in {data['seed_seconds']} s; VACUUM ANALYZE {data['vacuum_seconds']} s"
    )
    for name, row in measured["results"].items():
        print(
            f"{name:<22} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  max {row['max']:7.1f} ms  "
            f"({row['samples']} calls, {row['queries'] if row['queries'] is not None else '-'} SQL)"
        )
        for label, figures in row.get("by_start", {}).items():
            print(
                f"    from a {label:<15} p50 {figures['p50']:7.1f}  p95 {figures['p95']:7.1f}"
                f"  max {figures['max']:7.1f}  CIs reached (median) {figures['reached_median']:,}"
            )
    for name, lines in measured["plans"].items():
        print(f"\n{name}:")
        for line in lines:
            print("   " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cis", type=int, default=int(os.environ.get("BENCH_CIS") or DEFAULT_CIS))
    parser.add_argument("--samples", type=int, default=MIN_SAMPLES)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from pathlib import Path

    from django.conf import settings

    print_report(
        measure(
            cis=args.cis,
            samples=max(args.samples, MIN_SAMPLES),
            explain_dir=Path(settings.VAR_DIR) / "bench" / "explain",
        )
    )


if __name__ == "__main__":
    main()
