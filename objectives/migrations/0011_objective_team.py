"""An objective's team becomes a reference to a Team of its company (companies 0006): "company", "marketing",
"sales" become that company's standard teams (named in the installation's language, merged with a member team of
that name: "Vertrieb" and "sales" are one team), any other text its own team. PROTECT: a team that owns objectives
is not deleted. Reversible (standard kinds go back to their value, other teams to their name)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from companies.migrations._team_names import Teams, constraints_now


def texts_to_teams(apps, schema_editor):
    team_model = apps.get_model("companies", "Team")
    objective_model = apps.get_model("objectives", "Objective")
    teams: dict[int, Teams] = {}
    for row in objective_model.objects.order_by("pk").only("pk", "company_id", "team_text"):
        if row.company_id not in teams:
            teams[row.company_id] = Teams(team_model, row.company_id, settings.LANGUAGE_CODE)
        team = teams[row.company_id].get(row.team_text, objective_value=True)
        if team is not None:
            objective_model.objects.filter(pk=row.pk).update(team=team)
    constraints_now(schema_editor)


def teams_to_texts(apps, schema_editor):
    objective_model = apps.get_model("objectives", "Objective")
    for row in objective_model.objects.select_related("team"):
        team = row.team
        text = "" if team is None else (team.kind if team.kind != "other" else team.name)
        objective_model.objects.filter(pk=row.pk).update(team_text=text or "marketing")
    constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0006_team"),
        ("objectives", "0010_initiatives_moved_out"),
    ]

    operations = [
        migrations.RenameField(model_name="objective", old_name="team", new_name="team_text"),
        migrations.AddField(
            model_name="objective",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="objectives",
                to="companies.team",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(texts_to_teams, teams_to_texts, elidable=False),
        migrations.RemoveField(model_name="objective", name="team_text"),
    ]
