"""Default CI classes with their attributes, default relation types with their allowed pairs, existing CIs
given the class of their type, and CI history made append-only (updates refused by a trigger)."""

from django.db import migrations

T, N, D, C, IP, R = "text", "number", "date", "choice", "ip_address", "reference"
CRITICALITY = ["low", "medium", "high", "critical"]

# (name, parent, kind, description, [(key, label, type, options)])
CLASSES = [
    (
        "Hardware",
        None,
        "other",
        "Physical or virtual equipment.",
        [
            ("serial_number", "Serial number", T, {"is_identifier": True}),
            ("vendor", "Vendor", T, {}),
            ("model", "Model", T, {}),
            ("purchase_date", "Purchase date", D, {}),
        ],
    ),
    (
        "Server",
        "Hardware",
        "server",
        "A server, physical or virtual.",
        [
            ("hostname", "Host name", T, {"is_identifier": True}),
            ("ip_address", "IP address", IP, {}),
            ("os", "Operating system", T, {}),
            ("cpu_count", "CPUs", N, {}),
            ("memory_gb", "Memory (GB)", N, {}),
        ],
    ),
    ("Linux Server", "Server", "server", "", [("kernel_version", "Kernel version", T, {})]),
    (
        "Windows Server",
        "Server",
        "server",
        "",
        [("windows_edition", "Edition", C, {"choices": ["Standard", "Datacenter", "Essentials"]})],
    ),
    (
        "Workstation",
        "Hardware",
        "workstation",
        "A laptop or desktop computer.",
        [("asset_tag", "Asset tag", T, {"is_identifier": True}), ("assigned_to", "Assigned to", T, {})],
    ),
    (
        "Software",
        None,
        "other",
        "Installed or hosted software.",
        [("vendor", "Vendor", T, {}), ("version", "Version", T, {})],
    ),
    (
        "Database",
        "Software",
        "database",
        "A database instance.",
        [
            (
                "engine",
                "Engine",
                C,
                {"choices": ["PostgreSQL", "MySQL", "MariaDB", "Oracle", "SQL Server", "MongoDB", "Other"]},
            ),
            ("port", "Port", N, {}),
            ("runs_on", "Runs on", R, {"reference": "Server"}),
        ],
    ),
    (
        "Application",
        "Software",
        "application",
        "An application.",
        [("url", "URL", T, {}), ("runs_on", "Runs on", R, {"reference": "Server"})],
    ),
    (
        "Business Service",
        None,
        "business_service",
        "A service the business uses and talks about.",
        [
            ("criticality", "Criticality", C, {"choices": CRITICALITY}),
            ("service_owner", "Service owner", T, {}),
        ],
    ),
    (
        "Network Device",
        None,
        "network_device",
        "A switch, router, firewall or other network equipment.",
        [
            ("hostname", "Host name", T, {"is_identifier": True}),
            ("serial_number", "Serial number", T, {"is_identifier": True}),
            ("ip_address", "Management IP address", IP, {}),
            ("vendor", "Vendor", T, {}),
            ("model", "Model", T, {}),
        ],
    ),
    ("Switch", "Network Device", "network_device", "", [("port_count", "Ports", N, {})]),
    ("Router", "Network Device", "network_device", "", []),
    ("Firewall", "Network Device", "network_device", "", []),
    (
        "Cloud Resource",
        None,
        "other",
        "A resource rented from a cloud provider.",
        [
            ("provider", "Provider", C, {"choices": ["AWS", "Azure", "Google Cloud", "Other"]}),
            ("resource_id", "Resource id", T, {"is_identifier": True}),
            ("region", "Region", T, {}),
        ],
    ),
]

ANY = None
RELATION_TYPES = [
    ("runs on", "runs", [("Software", "Hardware"), ("Software", "Cloud Resource")]),
    ("depends on", "is depended on by", [(ANY, ANY)]),
    (
        "hosted on",
        "hosts",
        [
            ("Software", "Hardware"),
            ("Software", "Cloud Resource"),
            ("Hardware", "Hardware"),
            ("Hardware", "Cloud Resource"),
        ],
    ),
    (
        "connects to",
        "connects to",
        [
            ("Hardware", "Network Device"),
            ("Network Device", "Network Device"),
            ("Network Device", "Hardware"),
            ("Cloud Resource", "Network Device"),
        ],
    ),
    ("part of", "has part", [(ANY, ANY)]),
]

# The class each existing CI type is given.
TYPE_CLASSES = {
    "business_service": "Business Service",
    "application": "Application",
    "database": "Database",
    "server": "Server",
    "network_device": "Network Device",
    "workstation": "Workstation",
}

HISTORY_APPEND_ONLY = """
CREATE FUNCTION cmdb_cihistory_no_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cmdb_cihistory is append-only: UPDATE refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cihistory_no_update BEFORE UPDATE ON cmdb_cihistory
    FOR EACH ROW EXECUTE FUNCTION cmdb_cihistory_no_update();
"""
DROP_HISTORY_APPEND_ONLY = """
DROP TRIGGER IF EXISTS cihistory_no_update ON cmdb_cihistory;
DROP FUNCTION IF EXISTS cmdb_cihistory_no_update();
"""


def create_defaults(apps, schema_editor):
    CIClass = apps.get_model("cmdb", "CIClass")
    CIAttribute = apps.get_model("cmdb", "CIAttribute")
    RelationType = apps.get_model("cmdb", "RelationType")
    RelationTypePair = apps.get_model("cmdb", "RelationTypePair")
    ConfigurationItem = apps.get_model("cmdb", "ConfigurationItem")

    classes = {}
    for name, parent, kind, description, _attributes in CLASSES:
        classes[name], _ = CIClass.objects.get_or_create(
            name=name, defaults={"parent": classes.get(parent), "kind": kind, "description": description}
        )
    for name, _parent, _kind, _description, attributes in CLASSES:
        for position, (key, label, type_, options) in enumerate(attributes):
            CIAttribute.objects.get_or_create(
                ci_class=classes[name],
                key=key,
                defaults={
                    "label": label,
                    "type": type_,
                    "position": position,
                    "is_identifier": options.get("is_identifier", False),
                    "choices": options.get("choices", []),
                    "reference_class": classes.get(options.get("reference")),
                },
            )
    for name, reverse_name, pairs in RELATION_TYPES:
        relation_type, _ = RelationType.objects.get_or_create(name=name, defaults={"reverse_name": reverse_name})
        for source, target in pairs:
            RelationTypePair.objects.get_or_create(
                relation_type=relation_type, source_class=classes.get(source), target_class=classes.get(target)
            )
    for ci_type, class_name in TYPE_CLASSES.items():
        ConfigurationItem.objects.filter(ci_type=ci_type, ci_class__isnull=True).update(ci_class=classes[class_name])


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0002_classes_relations_history")]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunSQL(HISTORY_APPEND_ONLY, DROP_HISTORY_APPEND_ONLY),
    ]
