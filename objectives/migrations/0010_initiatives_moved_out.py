from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0007_initiative_moved_to_initiatives_app"),
        ("initiatives", "0001_initial"),
        ("objectives", "0009_initiative_partner_assignments"),
        ("review", "0002_initiative_moved_to_initiatives_app"),
    ]

    operations = [
        # State only: the tables stay; initiatives.0001 took the models over and initiatives.0002 renames the tables.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="InitiativePartner"),
                migrations.DeleteModel(name="InitiativeRating"),
                migrations.DeleteModel(name="PrioritySettings"),
                migrations.DeleteModel(name="Initiative"),
            ],
        ),
    ]
