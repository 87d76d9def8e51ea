"""Four eyes on the version (issue 12, finding 4): ``last_changed_by`` names whoever last changed a line's amount or
key result; that person may not approve the version nor give its CMO step, and the two steps above the CMO limit
are two people. Existing lines were last changed by their requester as far as anyone can tell."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def requester_changed_last(apps, schema_editor):
    BudgetLine = apps.get_model("budgets", "BudgetLine")
    BudgetLine.objects.filter(last_changed_by__isnull=True).update(last_changed_by=models.F("requester"))


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_audit_append_only_trigger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="budgetline",
            name="last_changed_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="amount or key result last changed by",
            ),
        ),
        migrations.RunPython(requester_changed_last, migrations.RunPython.noop),
    ]
