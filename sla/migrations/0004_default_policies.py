"""The service desk's standard SLA, as default data (edit it in admin):

Critical incident: respond in 15 min, resolve in 2 h, round the clock; High 1 h / 8 h, round the clock;
Medium 4 h / 24 h and Low 8 h / 72 h in business hours; a service request: respond in 24 h, fulfil in
5 business days (40 business hours of the office calendar) in business hours. Warnings at 75 % and 90 %.
"""

from datetime import timedelta

from django.db import migrations

H = timedelta(hours=1)
ROUND_THE_CLOCK = "24x7"
OFFICE_HOURS = "Business hours (Asia/Shanghai)"
# name, kind, priorities, calendar, pause states, {priority: (response, resolution)}
POLICIES = [
    (
        "Incidents: critical and high",
        "incident",
        "1,2",
        ROUND_THE_CLOCK,
        "on_hold:awaiting_caller",
        {1: (H / 4, 2 * H), 2: (H, 8 * H)},
    ),
    (
        "Incidents: medium and low",
        "incident",
        "3,4,5",
        OFFICE_HOURS,
        "on_hold:awaiting_caller",
        {3: (4 * H, 24 * H), 4: (8 * H, 72 * H), 5: (8 * H, 72 * H)},
    ),
    (
        "Service requests",
        "request",
        "",
        OFFICE_HOURS,
        "awaiting_approval",
        dict.fromkeys(range(1, 6), (24 * H, 40 * H)),
    ),
]
# at percent, action
ACTIONS = [(75, "notify_assignee"), (90, "notify_manager"), (100, "notify_assignee"), (100, "notify_manager")]


def create_policies(apps, schema_editor):
    Calendar = apps.get_model("sla", "BusinessCalendar")
    Policy = apps.get_model("sla", "SLAPolicy")
    Target = apps.get_model("sla", "SLATarget")
    Action = apps.get_model("sla", "SLAAction")
    for position, (name, kind, priorities, calendar, pauses, targets) in enumerate(POLICIES, start=1):
        calendar = Calendar.objects.filter(name=calendar).first()
        if calendar is None or Policy.objects.filter(name=name).exists():
            continue
        policy = Policy.objects.create(
            name=name, kind=kind, priorities=priorities, calendar=calendar, pause_states=pauses, position=position
        )
        Target.objects.bulk_create(
            Target(policy=policy, priority=priority, response=response, resolution=resolution)
            for priority, (response, resolution) in targets.items()
        )
        Action.objects.bulk_create(Action(policy=policy, at_percent=at, action=action) for at, action in ACTIONS)


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_policies_and_clocks")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
