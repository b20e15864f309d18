"""CIs get the person who owns them, and classes say whether end users may pick their CIs without owning
them: business services are offered to everyone from the start."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def offer_business_services(apps, schema_editor):
    apps.get_model("cmdb", "CIClass").objects.filter(kind="business_service").update(offered_to_all=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0003_default_classes_and_relation_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ciclass",
            name="offered_to_all",
            field=models.BooleanField(
                default=False,
                help_text="End users may pick CIs of this class in portal and catalog forms without owning them (business services, say). CIs of other classes they see only when they own them.",
                verbose_name="offered to everyone",
            ),
        ),
        migrations.AddField(
            model_name="configurationitem",
            name="owned_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The person who uses it (a laptop's user); they may pick it in portal and catalog forms.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="owned_cis",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owned by",
            ),
        ),
        migrations.RunPython(offer_business_services, migrations.RunPython.noop),
    ]
