"""Lead, Opportunity, Touchpoint, ColumnMapping and CrmImport moved to the crm app (issue 13)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("reporting", "0012_lead_text_columns_database_defaults"),
    ]

    operations = [
        # State only: the tables stay; crm.0001 took the models over and crm.0002 renames the tables.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Opportunity"),
                migrations.DeleteModel(name="Touchpoint"),
                migrations.DeleteModel(name="CrmImport"),
                migrations.DeleteModel(name="Lead"),
                migrations.DeleteModel(name="ColumnMapping"),
            ],
        ),
    ]
