"""Tell the planner that state, is_open and the group move together (extended statistics).

Without them PostgreSQL multiplies the selectivities of "state in (new, assigned, in progress)" and
"is_open", underestimates an L1 queue by thirty times, and sorts thousands of rows instead of walking the
queue's partial index. The statistics fill in at the next ANALYZE (autovacuum runs it).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0005_desk_tools")]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS ticket_state_open_group (dependencies, mcv) "
            "ON state, is_open, assignment_group_id FROM servicedesk_ticket",
            "DROP STATISTICS IF EXISTS ticket_state_open_group",
        ),
    ]
