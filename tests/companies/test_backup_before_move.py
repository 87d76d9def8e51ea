"""A company export made on main before Company, Membership and Profile moved to the companies app (and the change
history to its own app) still imports: old model labels and content types are read as today's."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from companies.models import Company, Membership, Profile, Team
from history.models import ChangeRecord
from objectives.models import KeyResult, Objective

EXPORT = Path(__file__).resolve().parent.parent / "fixtures" / "export_before_restructure.json"

pytestmark = pytest.mark.django_db


def test_an_export_made_before_the_move_imports_every_row(capsys):
    call_command("import_company", str(EXPORT))

    assert "Imported company voltaria (Voltaria Energie AG): 368 rows." in capsys.readouterr().out
    company = Company.objects.get(slug="voltaria")
    assert Membership.objects.filter(company=company).count() == 19
    assert Membership.objects.get(company=company, user__username="markus.hoffmann").role == "cmo"
    assert Profile.objects.get(user__username="markus.hoffmann").language == "de"
    assert Objective.objects.filter(company=company).count() == 10
    assert KeyResult.objects.filter(company=company).count() == 21


@override_settings(LANGUAGE_CODE="de")
def test_the_text_teams_of_an_old_export_become_the_companys_teams():
    """Exports made before teams were company data name them by text: one team per name, the objectives'
    "company", "marketing", "sales" merged with the member teams of that name (German installation)."""
    call_command("import_company", str(EXPORT))
    company = Company.objects.get(slug="voltaria")
    teams = dict(Team.objects.filter(company=company).values_list("name", "kind"))
    assert teams == {
        "Unternehmen": "company", "Marketing": "marketing", "Vertrieb": "sales", "Vorstand": "other",
        "Digital Marketing": "other", "Produktmarketing": "other", "Events & Messen": "other",
        "Marketing Operations": "other", "Strategie & Moderation": "other",
    }  # fmt: skip
    by_objective = Objective.objects.filter(company=company).values_list("team__name", flat=True)
    assert sorted(set(by_objective)) == ["Marketing", "Unternehmen", "Vertrieb"]
    assert Membership.objects.get(company=company, user__username="markus.hoffmann").team.name == "Marketing"
    assert Membership.objects.filter(company=company, team__name="Vertrieb").count() == 2


def test_the_change_history_of_an_old_export_points_at_the_imported_rows():
    call_command("import_company", str(EXPORT))
    company = Company.objects.get(slug="voltaria")
    records = ChangeRecord.objects.filter(company=company)
    assert records.count() == 25
    first = records.filter(object_label="Profitabel wachsen in den Fokussegmenten", action="created").get()
    assert first.content_type.model_class() is Objective
    assert Objective.objects.get(pk=first.object_id).title == "Profitabel wachsen in den Fokussegmenten"
