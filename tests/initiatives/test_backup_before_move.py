"""A company export made on main before initiatives, ratings, partner assignments and priority settings moved to
the initiatives app still imports: the old ``objectives.*`` labels and content types are read as today's, and every
reference to an initiative (ratings, partners, key results, budget lines, review actions, change history) points at
the imported rows."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from budgets.models import BudgetLine
from companies.models import Company
from history.models import ChangeRecord
from initiatives.models import Initiative, InitiativePartner, InitiativeRating, PrioritySettings
from review.models import ReviewAction

EXPORT = Path(__file__).resolve().parent.parent / "fixtures" / "export_before_initiatives_app.json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(capsys):
    call_command("import_company", str(EXPORT))
    assert "Imported company voltaria (Voltaria Energie AG): 576 rows." in capsys.readouterr().out
    return Company.objects.get(slug="voltaria")


def test_initiatives_ratings_partners_and_settings_are_imported(company):
    initiatives = Initiative.objects.filter(company=company)
    assert initiatives.count() == 28
    assert InitiativeRating.objects.filter(company=company).count() == 56
    abm = initiatives.get(title="ABM-Programm für die 50 größten Stadtwerke")
    assert abm.state == "active"
    assert {kr.title for kr in abm.key_results.all()} == {
        "Neukunden in den Fokussegmenten von 0 auf 25 steigern",
        "Win-Rate in den Fokussegmenten von 22 % auf 28 % steigern",
    }
    assert abm.ratings.count() == 4 and all(r.company_id == company.pk for r in abm.ratings.all())
    partner = InitiativePartner.objects.get(company=company)
    assert (partner.initiative.title, partner.membership.user.username) == (
        "Webinar-Reihe „Netzstabilität kompakt“",
        "kai.lorenz",
    )
    settings = PrioritySettings.objects.get(company=company)
    assert (settings.cycle.name, settings.focus_limit, settings.revealed, settings.midpoint) == (
        "Geschäftsjahr 2026",
        8,
        True,
        Decimal("3.0"),
    )


def test_budget_lines_and_review_actions_keep_their_initiatives(company):
    bound = dict(
        BudgetLine.objects.filter(company=company, initiative__isnull=False).values_list("title", "initiative__title")
    )
    assert bound == {
        "Hannover Messe 2026 – Standfläche und Bau": "ABM-Programm für die 50 größten Stadtwerke",
        "E-world energy & water Essen": "Webinar-Reihe „Netzstabilität kompakt“",
        "Intersolar Europe München": "Lead-Scoring mit dem Vertrieb in der Marketing-Automation",
    }
    actions = ReviewAction.objects.filter(company=company, initiative__isnull=False)
    assert dict(actions.values_list("title", "initiative__title")) == {
        "Kampagnenbudget Q1 mit Vertrieb abstimmen": "ABM-Programm für die 50 größten Stadtwerke",
        "Messeplanung 2027 auf zwei Leitmessen reduzieren": "Hausmesse „Voltaria Innovation Day“",
    }
    assert all(action.initiative.company_id == company.pk for action in actions)


def test_the_change_history_of_initiatives_points_at_the_imported_rows(company):
    records = ChangeRecord.objects.filter(company=company, content_type__app_label="initiatives")
    assert records.count() == 31
    created = records.get(object_label="ABM-Programm für die 50 größten Stadtwerke", action="created")
    assert created.content_type.model_class() is Initiative
    assert Initiative.objects.get(pk=created.object_id).title == "ABM-Programm für die 50 größten Stadtwerke"
    assignment = records.get(content_type__model="initiativepartner")
    assert assignment.content_type.model_class() is InitiativePartner
    assert InitiativePartner.objects.get(pk=assignment.object_id).membership.user.username == "kai.lorenz"
    assert not ChangeRecord.objects.filter(content_type__app_label="objectives", content_type__model="initiative")
