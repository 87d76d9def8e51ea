"""Second half of 0004: ``last_changed_by`` becomes required and backs the four-eyes rules as CheckConstraints.
A separate migration because PostgreSQL refuses ALTER TABLE while the data migration's deferred foreign key checks
are pending in the same transaction."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0004_budget_line_last_changed_by"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="budgetline",
            name="last_changed_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="amount or key result last changed by",
            ),
        ),
        migrations.AlterField(
            model_name="budgetline",
            name="approver",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="approved_budget_lines",
                to=settings.AUTH_USER_MODEL,
                verbose_name="approved by",
            ),
        ),
        migrations.AlterField(
            model_name="budgetline",
            name="cmo_approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="CMO approval by",
            ),
        ),
        migrations.AlterField(
            model_name="budgetline",
            name="cmo_approved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="CMO approval time"),
        ),
        migrations.AddConstraint(
            model_name="budgetline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("approver__isnull", True),
                    models.Q(("approver", models.F("last_changed_by")), _negated=True),
                    _connector="OR",
                ),
                name="budget_line_no_approval_by_last_changer",
            ),
        ),
        migrations.AddConstraint(
            model_name="budgetline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("cmo_approved_by__isnull", True),
                    models.Q(("cmo_approved_by", models.F("last_changed_by")), _negated=True),
                    _connector="OR",
                ),
                name="budget_line_no_cmo_step_by_last_changer",
            ),
        ),
        migrations.AddConstraint(
            model_name="budgetline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("cmo_approved_by__isnull", True),
                    ("approver__isnull", True),
                    models.Q(("cmo_approved_by", models.F("approver")), _negated=True),
                    _connector="OR",
                ),
                name="budget_line_cmo_and_executive_step_differ",
            ),
        ),
    ]
