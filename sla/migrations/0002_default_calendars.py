"""Default calendars: round the clock, and office hours in Shanghai with a lunch break (two spans a day)."""

from datetime import time

from django.db import migrations

ROUND_THE_CLOCK = "24x7"
OFFICE_HOURS = "Business hours (Asia/Shanghai)"
OFFICE_SPANS = [(time(9), time(12)), (time(13), time(18))]


def create_calendars(apps, schema_editor):
    Calendar = apps.get_model("sla", "BusinessCalendar")
    Period = apps.get_model("sla", "WorkingPeriod")
    Calendar.objects.get_or_create(
        name=ROUND_THE_CLOCK,
        defaults={"time_zone": "UTC", "is_24x7": True, "description": "Business time is all the time."},
    )
    office, created = Calendar.objects.get_or_create(
        name=OFFICE_HOURS,
        defaults={"time_zone": "Asia/Shanghai", "description": "Monday to Friday, 09:00–12:00 and 13:00–18:00."},
    )
    if created:
        Period.objects.bulk_create(
            Period(calendar=office, weekday=weekday, start=start, end=end)
            for weekday in range(5)
            for start, end in OFFICE_SPANS
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_calendars, migrations.RunPython.noop)]
