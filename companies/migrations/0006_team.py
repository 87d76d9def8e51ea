"""Teams become company data: a Team table, and Membership.team / Invitation.team point at it instead of holding
free text. Every distinct text (whitespace and case aside) becomes one team of its company; reversible (the team's
name goes back into the text column)."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from ._team_names import Teams, constraints_now


def texts_to_teams(apps, schema_editor):
    team_model = apps.get_model("companies", "Team")
    for model_name in ("Membership", "Invitation"):
        model = apps.get_model("companies", model_name)
        teams: dict[int, Teams] = {}
        for row in model.objects.exclude(team_text="").order_by("pk").only("pk", "company_id", "team_text"):
            if row.company_id not in teams:
                teams[row.company_id] = Teams(team_model, row.company_id, settings.LANGUAGE_CODE)
            team = teams[row.company_id].get(row.team_text)
            if team is not None:
                model.objects.filter(pk=row.pk).update(team=team)
    constraints_now(schema_editor)


def teams_to_texts(apps, schema_editor):
    for model_name in ("Membership", "Invitation"):
        model = apps.get_model("companies", model_name)
        for row in model.objects.filter(team__isnull=False).select_related("team"):
            model.objects.filter(pk=row.pk).update(team_text=row.team.name)
    constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0005_membership_partner_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="Team",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("company", "Company level"),
                            ("marketing", "Marketing"),
                            ("sales", "Sales"),
                            ("other", "Other team"),
                        ],
                        default="other",
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "company",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="teams", to="companies.company"
                    ),
                ),
            ],
            options={
                "verbose_name": "team",
                "verbose_name_plural": "teams",
                "ordering": [django.db.models.functions.text.Lower("name"), "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        models.F("company"),
                        name="team_unique_name_per_company",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["company", "marketing", "sales", "other"])),
                        name="team_kind_valid",
                    ),
                    models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="team_name_not_blank"),
                ],
            },
        ),
        migrations.RenameField(model_name="membership", old_name="team", new_name="team_text"),
        migrations.RenameField(model_name="invitation", old_name="team", new_name="team_text"),
        migrations.AddField(
            model_name="membership",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="memberships",
                to="companies.team",
                verbose_name="team",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invitations",
                to="companies.team",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(texts_to_teams, teams_to_texts, elidable=False),
        migrations.RemoveField(model_name="membership", name="team_text"),
        migrations.RemoveField(model_name="invitation", name="team_text"),
    ]
