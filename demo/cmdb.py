"""The demo company's estate in the CMDB: business services, their applications and databases, the Linux and
Windows servers and hypervisors they run on, the Shanghai and Beijing networks, cloud resources and the
workstations on the office floors, about 2,000 CIs joined so that impact analysis from a core switch or a
database server reaches the business services.

The named core (the business services, the core network, the CIs incidents, catalog items and articles already
point at) is made through ``cmdb.services``, so it carries the same history a CMDB Manager's edits would. The
generated bulk (servers, switches, access points, workstations …) goes in with ``bulk_create``, with the
"class" history row ``create_ci`` writes first and the relation rows ``add_relation`` writes on both ends.
Everything is deterministic (a seeded random generator) and skipped once the estate exists.
"""

import random
from dataclasses import dataclass, field

from django.db import transaction

from cmdb import services
from cmdb.choices import Environment
from cmdb.models import CIClass, CIHistory, ConfigurationItem, Relation, RelationType

TOTAL_CIS = 2000
SEED = 7

# The business services: name, criticality, service owner, owner group, application components,
# databases (component, engine), where its applications run ("linux", "windows" or "cloud").
SERVICES = [
    (
        "Email",
        "critical",
        "Mona Liu",
        "Server & Storage",
        ["exchange-hybrid", "mail-gateway", "mail-archive"],
        [("mail-archive", "SQL Server")],
        "windows",
    ),
    (
        "ERP",
        "critical",
        "Fred Zhou",
        "Business Applications",
        ["erp-core", "erp-finance", "erp-reporting", "erp-integration"],
        [("erp-main", "Oracle"), ("erp-reporting", "Oracle")],
        "linux",
    ),
    (
        "HR portal",
        "high",
        "Hana Wu",
        "Business Applications",
        ["hr-portal-web", "hr-portal-api"],
        [("hr", "PostgreSQL")],
        "linux",
    ),
    (
        "Website",
        "high",
        "Mona Liu",
        "Business Applications",
        ["web-cms", "web-frontend"],
        [("web-cms", "MySQL")],
        "cloud",
    ),
    (
        "Remote access (VPN)",
        "critical",
        "Lee Zhang",
        "Network Operations",
        ["vpn-radius", "vpn-portal"],
        [("vpn-radius", "PostgreSQL")],
        "linux",
    ),
    (
        "Office Wi-Fi",
        "high",
        "Lee Zhang",
        "Network Operations",
        ["wifi-nac", "wifi-guest-portal"],
        [("wifi-nac", "PostgreSQL")],
        "linux",
    ),
    (
        "File shares",
        "high",
        "Lee Zhang",
        "Server & Storage",
        ["dfs-namespace", "file-sync"],
        [("file-audit", "SQL Server")],
        "windows",
    ),
    (
        "Telephony",
        "high",
        "Lee Zhang",
        "Network Operations",
        ["pbx", "voicemail", "call-recording"],
        [("pbx", "MySQL")],
        "linux",
    ),
    ("CRM", "high", "Mona Liu", "Business Applications", ["crm-web", "crm-api"], [("crm", "SQL Server")], "windows"),
    (
        "Payroll",
        "critical",
        "Fred Zhou",
        "Business Applications",
        ["payroll-engine", "payroll-web"],
        [("payroll", "Oracle")],
        "linux",
    ),
    (
        "Data warehouse",
        "medium",
        "Fred Zhou",
        "Business Applications",
        ["dwh-etl", "dwh-bi"],
        [("dwh", "PostgreSQL"), ("dwh-staging", "PostgreSQL")],
        "linux",
    ),
    (
        "CI/CD",
        "medium",
        "Mona Liu",
        "Developer Platform",
        ["gitlab-runner", "artifact-repo", "container-registry"],
        [("gitlab", "PostgreSQL")],
        "linux",
    ),
    (
        "Identity & SSO",
        "critical",
        "Ivan Sun",
        "IT Security",
        ["active-directory", "sso-idp", "mfa"],
        [("sso", "PostgreSQL")],
        "windows",
    ),
    (
        "Intranet",
        "medium",
        "Mona Liu",
        "Business Applications",
        ["intranet-web", "intranet-search"],
        [("intranet", "MySQL")],
        "linux",
    ),
    (
        "Monitoring",
        "medium",
        "Lee Zhang",
        "Server & Storage",
        ["monitoring", "log-platform"],
        [("monitoring", "PostgreSQL")],
        "linux",
    ),
    ("Printing", "low", "Lin Chen", "Service Desk", ["print-server"], [], "windows"),
]

# Environments: (environment, data centre, servers per application, suffix in names).
ENVIRONMENTS = [
    (Environment.PRODUCTION, "sh", 3, ""),
    (Environment.STAGING, "bj", 2, "-stg"),
    (Environment.TEST, "bj", 1, "-tst"),
]
ENGINE_PORTS = {"PostgreSQL": 5432, "Oracle": 1521, "SQL Server": 1433, "MySQL": 3306}
LINUX = [
    ("Ubuntu 22.04", "5.15"),
    ("Ubuntu 24.04", "6.8"),
    ("Red Hat Enterprise Linux 9", "5.14"),
    ("Debian 12", "6.1"),
]
WINDOWS = [
    ("Windows Server 2022", "Standard"),
    ("Windows Server 2022", "Datacenter"),
    ("Windows Server 2019", "Standard"),
]
SITES = {
    # code: city, office floors, access switches per floor, access points per floor, second octet
    "sh": ("Shanghai", 12, 4, 8, 10),
    "bj": ("Beijing", 6, 3, 6, 20),
}
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu"]
GIVEN = ["Wei", "Fang", "Na", "Min", "Jing", "Lei", "Jun", "Yan", "Tao", "Ming", "Hui", "Qiang", "Xin", "Yu"]

# The core network, made through the services: (class, name, owner group, location, attributes).
NETWORK_CORE = [
    ("Network Device", "Shanghai office network", "Network Operations", "Shanghai HQ", {}),
    ("Network Device", "Beijing office network", "Network Operations", "Beijing office", {}),
    ("Network Device", "Shanghai DC network", "Network Operations", "Shanghai DC", {}),
    ("Network Device", "Beijing DC network", "Network Operations", "Beijing DC", {}),
    ("Switch", "sh-core-sw-01", "Network Operations", "Shanghai HQ, floor 1, MDF", {"model": "C9500-48Y4C"}),
    ("Switch", "sh-core-sw-02", "Network Operations", "Shanghai HQ, floor 1, MDF", {"model": "C9500-48Y4C"}),
    ("Switch", "bj-core-sw-01", "Network Operations", "Beijing office, floor 1, MDF", {"model": "C9500-48Y4C"}),
    ("Switch", "sh-dc-core-sw-01", "Network Operations", "Shanghai DC, hall A", {"model": "N9K-C9364C"}),
    ("Switch", "sh-dc-core-sw-02", "Network Operations", "Shanghai DC, hall A", {"model": "N9K-C9364C"}),
    ("Switch", "bj-dc-core-sw-01", "Network Operations", "Beijing DC, hall 2", {"model": "N9K-C9364C"}),
    ("Router", "sh-wan-rt-01", "Network Operations", "Shanghai DC, hall A", {"model": "ASR1001-X"}),
    ("Router", "bj-wan-rt-01", "Network Operations", "Beijing DC, hall 2", {"model": "ASR1001-X"}),
    ("Router", "sh-inet-rt-01", "Network Operations", "Shanghai DC, hall A", {"model": "ASR1001-X"}),
    ("Firewall", "sh-fw-01", "IT Security", "Shanghai DC, hall A", {"vendor": "Palo Alto", "model": "PA-3220"}),
    ("Firewall", "sh-fw-02", "IT Security", "Shanghai DC, hall A", {"vendor": "Palo Alto", "model": "PA-3220"}),
    ("Firewall", "bj-fw-01", "IT Security", "Beijing DC, hall 2", {"vendor": "Palo Alto", "model": "PA-3220"}),
    ("Network Device", "sh-wlc-01", "Network Operations", "Shanghai HQ, floor 1, MDF", {"model": "C9800-40"}),
    ("Network Device", "bj-wlc-01", "Network Operations", "Beijing office, floor 1, MDF", {"model": "C9800-40"}),
]
CORE_RELATIONS = [
    # source, relation, target (names; the core only)
    ("sh-core-sw-01", "part of", "Shanghai office network"),
    ("sh-core-sw-02", "part of", "Shanghai office network"),
    ("bj-core-sw-01", "part of", "Beijing office network"),
    ("sh-dc-core-sw-01", "part of", "Shanghai DC network"),
    ("sh-dc-core-sw-02", "part of", "Shanghai DC network"),
    ("bj-dc-core-sw-01", "part of", "Beijing DC network"),
    ("sh-core-sw-01", "connects to", "sh-fw-01"),
    ("sh-core-sw-02", "connects to", "sh-fw-02"),
    ("sh-dc-core-sw-01", "connects to", "sh-fw-01"),
    ("sh-dc-core-sw-02", "connects to", "sh-fw-02"),
    ("bj-core-sw-01", "connects to", "bj-fw-01"),
    ("bj-dc-core-sw-01", "connects to", "bj-fw-01"),
    ("sh-fw-01", "connects to", "sh-wan-rt-01"),
    ("sh-fw-02", "connects to", "sh-inet-rt-01"),
    ("bj-fw-01", "connects to", "bj-wan-rt-01"),
    ("sh-wlc-01", "connects to", "sh-core-sw-01"),
    ("bj-wlc-01", "connects to", "bj-core-sw-01"),
    ("vpn-gw01", "connects to", "sh-fw-02"),
    ("Office Wi-Fi", "depends on", "sh-wlc-01"),
    ("Office Wi-Fi", "depends on", "bj-wlc-01"),
    ("Remote access (VPN)", "depends on", "vpn-gw01"),
    ("Email", "depends on", "Microsoft 365"),
    ("CI/CD", "depends on", "GitLab"),
]


@dataclass
class _Plan:
    """The bulk estate being built: CIs by name, relations by (source name, type, target name)."""

    cis: dict[str, ConfigurationItem] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    serial: int = 100000

    def add(self, ci_class: CIClass, name: str, **fields) -> ConfigurationItem:
        ci = ConfigurationItem(ci_class=ci_class, ci_type=ci_class.kind, name=name, **fields)
        self.cis[name] = ci
        return ci

    def relate(self, source: str, relation: str, target: str) -> None:
        self.relations.append((source, relation, target))

    def next_serial(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"


LAPTOP_OWNERS = {"LT-1001": "alice", "LT-1002": "bob"}


def seed_cmdb(people: dict) -> None:
    """The demo estate; `people` by username (admin makes the changes). Skipped once the estate exists."""
    actor = people["admin"]
    classes = {c.name: c for c in CIClass.objects.all()}
    types = {t.name: t for t in RelationType.objects.all()}
    with transaction.atomic():
        core = _named_core(actor, classes)
        for source, relation, target in CORE_RELATIONS:
            _relate(actor, core[source], types[relation], core[target])
        for name, username in LAPTOP_OWNERS.items():
            # The end users' own laptops: what they may pick when they report an issue or order software.
            if core[name].owned_by_id is None and username in people:
                services.update_ci(actor=actor, ci=core[name], owned_by=people[username])
        if not ConfigurationItem.objects.filter(ci_type="server", name="sh-kvm-01").exists():
            _bulk_estate(actor, classes, types, core)


def _named(actor, ci_class: CIClass, name: str, **fields) -> ConfigurationItem:
    """Create the CI through the services, or bring an existing one (made before classes) into its class."""
    existing = ConfigurationItem.objects.filter(ci_type=ci_class.kind, name=name).select_related("ci_class").first()
    if existing is None:
        return services.create_ci(actor=actor, ci_class=ci_class, name=name, **fields)
    attributes = fields.pop("attributes", {})
    if existing.ci_class_id != ci_class.pk:
        fields["ci_class"] = ci_class
    if all(existing.attributes.get(k) == v for k, v in attributes.items()) and not fields.get("ci_class"):
        return existing
    return services.update_ci(actor=actor, ci=existing, attributes=attributes, **fields)


def _relate(actor, source, relation_type, target) -> None:
    if not Relation.objects.filter(source=source, target=target, relation_type=relation_type).exists():
        services.add_relation(actor=actor, source=source, target=target, relation_type=relation_type)


def _named_core(actor, classes: dict) -> dict[str, ConfigurationItem]:
    """The business services, the core network and the CIs tickets, catalog items and articles point at."""
    core = {}
    for name, criticality, owner, group, *_rest in SERVICES:
        core[name] = _named(
            actor,
            classes["Business Service"],
            name,
            owner_group=group,
            attributes={"criticality": criticality, "service_owner": owner},
        )
    for class_name, name, group, location, attributes in NETWORK_CORE:
        values = dict(attributes)
        if class_name != "Network Device" or name.endswith("wlc-01"):
            octet = SITES[name[:2]][4]
            values.update(
                hostname=name,
                ip_address=f"10.{octet}.255.{len(core) + 1}",
                serial_number=f"FDO{abs(_stable_number(name)):08d}",
                vendor=values.get("vendor", "Cisco"),
            )
        core[name] = _named(actor, classes[class_name], name, owner_group=group, location=location, attributes=values)
    legacy = [
        ("Application", "Microsoft 365", "Server & Storage", "", {"vendor": "Microsoft", "url": "https://office.com"}),
        ("Application", "GitLab", "Developer Platform", "Shanghai DC", {"vendor": "GitLab", "version": "17.5"}),
        (
            "Windows Server",
            "mail01",
            "Server & Storage",
            "Shanghai DC, hall A",
            {"hostname": "mail01", "ip_address": "10.10.1.25", "os": "Windows Server 2019", "cpu_count": 8},
        ),
        (
            "Windows Server",
            "fs01",
            "Server & Storage",
            "Shanghai DC, hall A",
            {"hostname": "fs01", "ip_address": "10.10.1.40", "os": "Windows Server 2022", "memory_gb": 32},
        ),
        ("Database", "erp-db01", "Business Applications", "Shanghai DC", {"engine": "Oracle", "port": 1521}),
        (
            "Network Device",
            "vpn-gw01",
            "Network Operations",
            "Shanghai DC, hall A",
            {"hostname": "vpn-gw01", "ip_address": "10.10.255.200", "vendor": "Fortinet", "model": "FortiGate 200F"},
        ),
        ("Workstation", "LT-1001", "Service Desk", "Shanghai HQ, floor 3", {"asset_tag": "LT-1001"}),
        ("Workstation", "LT-1002", "Service Desk", "Shanghai HQ, floor 5", {"asset_tag": "LT-1002"}),
    ]
    for class_name, name, group, location, attributes in legacy:
        core[name] = _named(
            actor, classes[class_name], name, owner_group=group, location=location, attributes=attributes
        )
    return core


def _stable_number(name: str) -> int:
    """A stable number from a name (Python's hash() changes between runs)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) * 7919 % 100_000_000


def _bulk_estate(actor, classes: dict, types: dict, core: dict) -> None:
    """The generated estate in bulk: CIs, relations and their history rows."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    plan = _Plan()
    ip_next = {"sh": 0, "bj": 0}

    def ip(site: str) -> str:
        ip_next[site] += 1
        n = ip_next[site]
        return f"10.{SITES[site][4]}.{10 + n // 250}.{1 + n % 250}"

    def server(site: str, name: str, env, platform: str, *, group: str, role: str) -> ConfigurationItem:
        if platform == "appliance":
            os_name, cls, extra = "Vendor appliance OS", classes["Server"], {}
        elif platform == "windows":
            os_name, edition = rng.choice(WINDOWS)
            cls, extra = classes["Windows Server"], {"windows_edition": edition}
        else:
            os_name, kernel = rng.choice(LINUX)
            cls, extra = classes["Linux Server"], {"kernel_version": kernel}
        city = SITES[site][0]
        return plan.add(
            cls,
            name,
            environment=env,
            owner_group=group,
            location=f"{city} DC, hall {'A' if site == 'sh' else '2'}",
            description=role,
            attributes={
                "hostname": name,
                "ip_address": ip(site),
                "os": os_name,
                "cpu_count": rng.choice([2, 4, 4, 8, 8, 16]),
                "memory_gb": rng.choice([8, 16, 16, 32, 64]),
                "serial_number": plan.next_serial("VM"),
                **extra,
            },
        )

    def network(cls_name: str, site: str, name: str, location: str, model: str, **extra) -> ConfigurationItem:
        return plan.add(
            classes[cls_name],
            name,
            owner_group="Network Operations",
            location=location,
            attributes={
                "hostname": name,
                "ip_address": ip(site),
                "serial_number": plan.next_serial("FOC"),
                "vendor": "Cisco",
                "model": model,
                **extra,
            },
        )

    # Data centres: hypervisors, top-of-rack switches, storage and power.
    hypervisors = {"sh": [], "bj": []}
    for site, racks, hosts in (("sh", 16, 32), ("bj", 8, 16)):
        city = SITES[site][0]
        tors = []
        for rack in range(1, racks + 1):
            for side in ("a", "b"):
                name = f"{site}-dc-tor-{rack:02d}{side}"
                network("Switch", site, name, f"{city} DC, rack {rack:02d}", "N9K-C93180YC", port_count=48)
                plan.relate(name, "connects to", f"{site}-dc-core-sw-0{1 if side == 'a' or site == 'bj' else 2}")
                plan.relate(name, "part of", f"{city} DC network")
                tors.append(name)
        for n in range(1, hosts + 1):
            name = f"{site}-kvm-{n:02d}"
            host = server(site, name, Environment.PRODUCTION, "linux", group="Server & Storage", role="Hypervisor")
            host.attributes.update(cpu_count=64, memory_gb=768, vendor="Dell", model="PowerEdge R760")
            rack = (n - 1) % racks
            plan.relate(name, "connects to", tors[2 * rack])
            plan.relate(name, "connects to", tors[2 * rack + 1])
            hypervisors[site].append(name)
        for kind, model, count in (("san", "PowerStore 1200T", 2), ("ups", "Galaxy VS 100kW", 2), ("pdu", "AP8886", 4)):
            for n in range(1, count + 1):
                name = f"{site}-dc-{kind}-{n:02d}"
                plan.add(
                    classes["Hardware"],
                    name,
                    owner_group="Server & Storage",
                    location=f"{city} DC",
                    attributes={"serial_number": plan.next_serial("HW"), "vendor": "Dell", "model": model},
                )
                if kind == "san":
                    plan.relate(name, "connects to", tors[n - 1])
        for host in hypervisors[site]:
            plan.relate(host, "depends on", f"{site}-dc-san-01")

    # Shared middleware (Software) that several applications use.
    middleware = []
    for product, version in (("rabbitmq", "3.13"), ("kafka", "3.7"), ("redis", "7.2"), ("nginx-ingress", "1.11")):
        for env, site, count, suffix in ENVIRONMENTS:
            name = f"{product}{suffix or '-prod'}"
            plan.add(
                classes["Software"],
                name,
                environment=env,
                owner_group="Server & Storage",
                attributes={"vendor": product.split("-")[0].title(), "version": version},
            )
            for n in range(1, count + 1):
                host = f"{site}-mw-{product}{suffix}-{n:02d}"
                server(site, host, env, "linux", group="Server & Storage", role=f"{product} node")
                plan.relate(name, "runs on", host)
                plan.relate(host, "hosted on", rng.choice(hypervisors[site]))
            if env == Environment.PRODUCTION:
                middleware.append(name)

    # Applications and databases of every service, in each environment.
    cloud = []
    for service, _crit, _owner, group, components, databases, platform in SERVICES:
        for env, site, count, suffix in ENVIRONMENTS:
            db_names = []
            for db, engine in databases:
                name = f"{db}-db{suffix}"
                hosts = [f"{site}-db-{db}{suffix}-{n:02d}" for n in range(1, (2 if not suffix else 1) + 1)]
                db_platform = "windows" if engine == "SQL Server" else "linux"
                for host in hosts:
                    srv = server(site, host, env, db_platform, group=group, role=f"{engine} server")
                    srv.attributes.update(cpu_count=16, memory_gb=128)
                    rack = _stable_number(host) % (16 if site == "sh" else 8)
                    plan.relate(host, "connects to", f"{site}-dc-tor-{rack + 1:02d}a")
                    plan.relate(host, "depends on", f"{site}-dc-san-01")
                plan.add(
                    classes["Database"],
                    name,
                    environment=env,
                    owner_group=group,
                    location=f"{SITES[site][0]} DC",
                    attributes={"engine": engine, "port": ENGINE_PORTS[engine], "_host": hosts[0]},
                )
                for host in hosts:
                    plan.relate(name, "hosted on", host)
                db_names.append(name)
            for component in components:
                name = f"{component}{suffix}"
                plan.add(
                    classes["Application"],
                    name,
                    environment=env,
                    owner_group=group,
                    attributes={"url": f"https://{component}{suffix}.corp.example.com", "_host": None},
                )
                if platform == "cloud":
                    for n in range(1, count + 1):
                        resource = f"aliyun-ecs-{component}{suffix}-{n:02d}"
                        plan.add(
                            classes["Cloud Resource"],
                            resource,
                            environment=env,
                            owner_group=group,
                            attributes={
                                "provider": "Other",
                                "resource_id": f"i-{_stable_number(resource):08x}{n:02d}",
                                "region": "cn-shanghai",
                            },
                        )
                        plan.relate(name, "runs on", resource)
                        cloud.append(resource)
                    plan.cis[name].attributes["_host"] = f"aliyun-ecs-{component}{suffix}-01"
                else:
                    for n in range(1, count + 1):
                        host = f"{site}-app-{component}{suffix}-{n:02d}"
                        server(site, host, env, platform, group=group, role=f"{component} application server")
                        plan.relate(name, "runs on", host)
                        plan.relate(host, "hosted on", rng.choice(hypervisors[site]))
                    plan.cis[name].attributes["_host"] = f"{site}-app-{component}{suffix}-01"
                for db in db_names:
                    plan.relate(name, "depends on", db)
                if env == Environment.PRODUCTION:
                    plan.relate(service, "depends on", name)
                    if rng.random() < 0.4:
                        plan.relate(name, "depends on", rng.choice(middleware))
                    if component not in ("sso-idp", "active-directory") and rng.random() < 0.5:
                        plan.relate(name, "depends on", "sso-idp")
    for resource in ("aliyun-oss-website-assets", "aliyun-cdn-website", "aliyun-vpc-shanghai", "aliyun-slb-website"):
        plan.add(
            classes["Cloud Resource"],
            resource,
            owner_group="Business Applications",
            attributes={"provider": "Other", "resource_id": resource.removeprefix("aliyun-"), "region": "cn-shanghai"},
        )
        cloud.append(resource)
    for resource in cloud:
        if resource != "aliyun-vpc-shanghai":
            plan.relate(resource, "part of", "aliyun-vpc-shanghai")
    plan.relate("aliyun-vpc-shanghai", "connects to", "sh-fw-02")

    # The CIs tickets, catalog items and articles already name, tied into the estate.
    server("sh", "sh-app-gitlab-01", Environment.PRODUCTION, "linux", group="Developer Platform", role="GitLab")
    for source, relation, target in (
        ("GitLab", "runs on", "sh-app-gitlab-01"),
        ("sh-app-gitlab-01", "hosted on", "sh-kvm-01"),
        ("GitLab", "depends on", "gitlab-db"),
        ("exchange-hybrid", "runs on", "mail01"),
        ("mail01", "hosted on", "sh-kvm-02"),
        ("dfs-namespace", "runs on", "fs01"),
        ("fs01", "connects to", "sh-dc-tor-03a"),
        ("fs01", "depends on", "sh-dc-san-02"),
        ("erp-core", "depends on", "erp-db01"),
        ("erp-finance", "depends on", "erp-db01"),
        ("erp-db01", "hosted on", "sh-db-erp-main-01"),
        ("vpn-radius", "depends on", "vpn-gw01"),
        ("LT-1001", "connects to", "sh-acc-sw-f03-01"),
        ("LT-1002", "connects to", "sh-acc-sw-f05-01"),
    ):
        plan.relate(source, relation, target)

    # Infrastructure servers every office relies on.
    for site in SITES:
        for role in ("dc", "dns", "dhcp", "ntp", "backup", "jump", "wsus", "kms"):
            for n in (1, 2):
                name = f"{site}-infra-{role}-{n:02d}"
                platform = "windows" if role in ("dc", "dhcp", "wsus", "kms") else "linux"
                if role == "backup":
                    platform = "appliance"  # a backup appliance: a server, but neither Linux nor Windows to us
                server(site, name, Environment.PRODUCTION, platform, group="Server & Storage", role=role.upper())
                plan.relate(name, "hosted on", rng.choice(hypervisors[site]))
        plan.relate("active-directory", "runs on", f"{site}-infra-dc-01")

    # Office floors: access switches, access points and the workstations on them.
    access = {"sh": [], "bj": []}
    for site, (city, floors, switches, aps, _octet) in SITES.items():
        office_core = [f"{site}-core-sw-01", f"{site}-core-sw-02"] if site == "sh" else ["bj-core-sw-01"]
        for floor in range(1, floors + 1):
            for n in range(1, switches + 1):
                name = f"{site}-acc-sw-f{floor:02d}-{n:02d}"
                network("Switch", site, name, f"{city} office, floor {floor}, IDF", "C9300-48P", port_count=48)
                for uplink in office_core:
                    plan.relate(name, "connects to", uplink)
                plan.relate(name, "part of", f"{city} office network")
                access[site].append((floor, name))
            for n in range(1, aps + 1):
                name = f"{site}-ap-f{floor:02d}-{n:02d}"
                network("Network Device", site, name, f"{city} office, floor {floor}", "C9130AXI")
                plan.relate(name, "connects to", f"{site}-acc-sw-f{floor:02d}-{1 + (n - 1) % switches:02d}")
                plan.relate(name, "part of", f"{city} office network")
    # A few cross links: the WAN routers join the sites, the DC cores reach the office cores.
    for source, relation, target in (
        ("sh-wan-rt-01", "connects to", "bj-wan-rt-01"),
        ("bj-wan-rt-01", "connects to", "sh-wan-rt-01"),
        ("sh-dc-core-sw-01", "connects to", "sh-core-sw-01"),
        ("bj-dc-core-sw-01", "connects to", "bj-core-sw-01"),
    ):
        plan.relate(source, relation, target)

    remaining = TOTAL_CIS - len(plan.cis) - ConfigurationItem.objects.count()
    sites = [site for site, spec in SITES.items() for _ in range(spec[1] * 10)]
    for n in range(max(0, remaining)):
        site = sites[n % len(sites)]
        name = f"{'LT' if n % 4 else 'PC'}-{2001 + n}"
        floor, switch = rng.choice(access[site])
        plan.add(
            classes["Workstation"],
            name,
            owner_group="Service Desk",
            location=f"{SITES[site][0]} office, floor {floor}",
            attributes={
                "asset_tag": name,
                "assigned_to": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                "serial_number": plan.next_serial("5CG"),
                "vendor": "Lenovo" if n % 3 else "Dell",
                "model": "ThinkPad T14 Gen 4" if n % 3 else "OptiPlex 7010",
            },
        )
        plan.relate(name, "connects to", switch)
    _write(actor, plan, types, core)


def _write(actor, plan: _Plan, types: dict, core: dict) -> None:
    """Insert the plan: CIs (servers first, so applications and databases can name the server they run on)."""
    items = list(plan.cis.values())
    software = [ci for ci in items if "_host" in ci.attributes]
    first = [ci for ci in items if "_host" not in ci.attributes]
    ConfigurationItem.objects.bulk_create(first, batch_size=1000)
    for ci in software:
        host = ci.attributes.pop("_host")
        target = plan.cis.get(host)
        if target is not None and target.ci_class.name not in ("Cloud Resource",):
            ci.attributes["runs_on"] = target.pk
    ConfigurationItem.objects.bulk_create(software, batch_size=1000)
    by_name = {**core, **plan.cis}
    relations = [
        Relation(source=by_name[s], target=by_name[t], relation_type=types[r], created_by=actor)
        for s, r, t in dict.fromkeys(plan.relations)
    ]
    Relation.objects.bulk_create(relations, batch_size=5000)
    history = [CIHistory(ci=ci, actor=actor, field="class", new_value=ci.ci_class.name) for ci in items]
    for relation in relations:
        kind = relation.relation_type
        history.append(
            CIHistory(
                ci=relation.source,
                actor=actor,
                field="relation",
                new_value={"relation": kind.name, "ci": relation.target.pk, "name": relation.target.name},
            )
        )
        history.append(
            CIHistory(
                ci=relation.target,
                actor=actor,
                field="relation",
                new_value={"relation": kind.reverse_name, "ci": relation.source.pk, "name": relation.source.name},
            )
        )
    CIHistory.objects.bulk_create(history, batch_size=5000)
