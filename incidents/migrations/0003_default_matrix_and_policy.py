"""Default configuration: the usual 3x3 impact x urgency matrix to P1..P5, and one policy row."""

from django.db import migrations

# impact (rows) x urgency (columns), 1 = high
DEFAULT_MATRIX = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}


def load_defaults(apps, schema_editor):
    Entry = apps.get_model("incidents", "PriorityMatrixEntry")
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        Entry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    Policy = apps.get_model("incidents", "IncidentPolicy")
    if not Policy.objects.exists():
        Policy.objects.create()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_incident_practice")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
