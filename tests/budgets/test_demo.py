"""The demo budget: deterministic, idempotent, every approved line bound, the promised mix of states and spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from budgets import demo as budget_demo
from budgets import selectors
from budgets.models import BudgetLine, SpendEntry
from companies import demo as company_demo
from objectives.models import Cycle
from tests.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_without_the_cascade_demo_nothing_is_created():
    company_demo.load()
    budget_demo.load()
    assert not BudgetLine.objects.exists()


def test_demo_budget(django_assert_max_num_queries):
    company = company_demo.load()
    cycle = Cycle.objects.create(
        company=company,
        name="Geschäftsjahr 2026",
        kind="year",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    for i in range(2):
        objective = ObjectiveFactory(company=company, cycle=cycle, title=f"Ziel {i}")
        for j in range(3):
            KeyResultFactory(company=company, objective=objective, title=f"KR {i}.{j}")
    budget_demo.load()
    budget_demo.load()  # idempotent
    lines = BudgetLine.objects.filter(company=company, cycle=cycle)
    assert lines.count() == 25
    assert not lines.filter(state="approved", key_result__isnull=True).exists()
    submitted = lines.filter(state="submitted")
    assert submitted.count() == 5
    assert submitted.filter(key_result__isnull=True).count() == 1
    waiting = submitted.get(cmo_approved_by__isnull=False)
    assert waiting.planned_amount > Decimal("50000") and waiting.cmo_approved_by.username == "markus.hoffmann"
    assert lines.filter(state="rejected").count() == 1 and lines.filter(state="draft").count() == 2
    assert {line.requester.username for line in lines} >= {"jonas.weber", "anna.fischer"}
    months = set(SpendEntry.objects.filter(company=company).values_list("date__month", flat=True))
    assert months == set(range(1, 12))
    assert selectors.overview_totals(company=company, cycle=cycle)["overspent_lines"] == 1
    assert set(lines.values_list("channel__name", flat=True)) == {
        "Events",
        "Paid Digital",
        "Content",
        "Messen",
        "Agenturen",
        "PR & Sponsoring",
    }
