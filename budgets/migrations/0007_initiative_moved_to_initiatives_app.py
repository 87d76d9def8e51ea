import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0006_company_moved_to_companies_app"),
        ("initiatives", "0001_initial"),
    ]

    operations = [
        # State only: the foreign key keeps pointing at the same table; only the model moved to the initiatives app.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="budgetline",
                    name="initiative",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="budget_lines",
                        to="initiatives.initiative",
                        verbose_name="initiative",
                    ),
                ),
            ],
        ),
    ]
