"""The roles as auth groups, and a trigger that keeps the activity log append-only."""

from django.db import migrations

ROLES = (
    "Requester",
    "Agent L1",
    "Agent L2",
    "Service Desk Manager",
    "Change Manager",
    "Knowledge Editor",
    "CMDB Manager",
    "Administrator",
)


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES, user__isnull=True).delete()


APPEND_ONLY = """
CREATE FUNCTION servicedesk_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'servicedesk_ticketevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ticketevent_append_only BEFORE UPDATE OR DELETE ON servicedesk_ticketevent
    FOR EACH ROW EXECUTE FUNCTION servicedesk_ticketevent_append_only();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS ticketevent_append_only ON servicedesk_ticketevent;
DROP FUNCTION IF EXISTS servicedesk_ticketevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("servicedesk", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
