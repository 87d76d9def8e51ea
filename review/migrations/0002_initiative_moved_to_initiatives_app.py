import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0001_initial"),
        ("review", "0001_review_actions"),
    ]

    operations = [
        # State only: the foreign key keeps pointing at the same table; only the model moved to the initiatives app.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reviewaction",
                    name="initiative",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="initiatives.initiative",
                        verbose_name="initiative",
                    ),
                ),
            ],
        ),
    ]
