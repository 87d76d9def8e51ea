"""Selectors the board KPIs and the overview rely on, against hand-computed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from budgets import selectors, services
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.factories_budgets import ChannelFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def booked(world):
    """Fiscal year 2026 of world.company:

    line  channel  state      bound  amount   spend
    A     Messen   approved   yes    30.000   10.000 (Mar) + 25.000 (Jun)  → overspent
    B     Events   approved   yes    20.000    5.000 (Feb)
    C     Events   submitted  yes    15.000
    D     Messen   submitted  no     10.000
    E     Messen   draft      yes    25.000   (bound drafts do not count as bound)
    F     Events   rejected   yes    99.000   (rejected lines are not planned)
    """
    events = ChannelFactory(company=world.company, name="Events", position=0)
    a = world.approved(amount="30000", title="A")
    b = world.approved(amount="20000", title="B", channel=events)
    world.line(amount="15000", title="C", channel=events)
    world.line(amount="10000", title="D", bound=False)
    world.line(amount="25000", title="E", submit=False)
    f = world.line(amount="99000", title="F", channel=events)
    services.budget_line_reject(line=f, actor=world.cmo, reason="zu teuer")
    for line, date, amount in [(a, "2026-03-05", "10000"), (a, "2026-06-30", "25000"), (b, "2026-02-01", "5000")]:
        services.spend_entry_create(line=line, date=dt.date.fromisoformat(date), amount=D(amount), actor=world.cmo)
    return {"events": events}


def test_budget_bound_share(world, booked):
    data = selectors.budget_bound_share(company=world.company, cycle=world.cycle)
    assert data["total_planned"] == D("100000.00")  # A+B+C+D+E
    assert data["bound_amount"] == D("65000.00")  # A+B+C
    assert data["share"] == D("0.65")
    assert data["approved_amount"] == D("50000.00")
    assert data["bound_approved_amount"] == D("50000.00")
    # A period overlapping the cycle selects the same lines; one before it none.
    assert selectors.budget_bound_share(company=world.company, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))[
        "share"
    ] == D("0.65")
    empty = selectors.budget_bound_share(company=world.company, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert empty["total_planned"] == D("0") and empty["share"] is None


def test_spend_total_inclusive_bounds(world, booked):
    assert selectors.spend_total(company=world.company, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)) == D(
        "40000.00"
    )
    assert selectors.spend_total(company=world.company, start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 5)) == D(
        "15000.00"
    )
    assert selectors.spend_total(company=world.company, start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31)) == D("0")


def test_plan_vs_actual_per_channel(world, booked):
    rows = {r["channel"]: r for r in selectors.plan_vs_actual(company=world.company, cycle=world.cycle)}
    assert [r["channel"] for r in selectors.plan_vs_actual(company=world.company, cycle=world.cycle)] == [
        "Events",
        "Messen",
    ]
    assert (rows["Messen"]["planned"], rows["Messen"]["approved"], rows["Messen"]["actual"]) == (
        D("65000.00"),
        D("30000.00"),
        D("35000.00"),
    )
    assert rows["Messen"]["overspent"] is True
    assert (rows["Events"]["planned"], rows["Events"]["approved"], rows["Events"]["actual"]) == (
        D("35000.00"),
        D("20000.00"),
        D("5000.00"),
    )
    assert rows["Events"]["overspent"] is False


def test_budget_by_key_result_objective_and_month(world, booked):
    other = KeyResultFactory(objective=world.objective, company=world.company, title="Pipeline")
    line = world.line(amount="5000", title="G", key_result=other)
    services.budget_line_approve(line=line, actor=world.cmo)
    rows = selectors.budget_by_key_result(company=world.company, cycle=world.cycle)
    by_kr = {r["key_result"]: r for r in rows}
    assert by_kr["500 qualifizierte Leads"]["planned"] == D("90000.00")  # A+B+C+E
    assert by_kr["500 qualifizierte Leads"]["approved"] == D("50000.00")
    assert by_kr["500 qualifizierte Leads"]["actual"] == D("40000.00")
    assert by_kr["Pipeline"]["approved"] == D("5000.00")
    assert rows[-1]["key_result_id"] is None and rows[-1]["planned"] == D("10000.00")  # D, unbound, last
    objectives = {r["objective"]: r for r in selectors.budget_by_objective(company=world.company, cycle=world.cycle)}
    assert objectives["Marktführer im Mittelstand"]["planned"] == D("95000.00")
    months = selectors.monthly_actual(company=world.company, cycle=world.cycle)
    assert len(months) == 12
    assert [m["actual"] for m in months[:6]] == [D("0"), D("5000.00"), D("10000.00"), D("0"), D("0"), D("25000.00")]


def test_overview_totals(world, booked):
    totals = selectors.overview_totals(company=world.company, cycle=world.cycle)
    assert totals["actual"] == D("40000.00")
    assert totals["remaining"] == D("10000.00")
    assert totals["overspent_lines"] == 1
    assert totals["submitted_amount"] == D("25000.00")
    assert totals["draft_amount"] == D("25000.00")
    assert totals["unbound_amount"] == D("35000.00")


def test_selectors_are_scoped_to_the_company(world, booked, other_company):
    assert selectors.spend_total(company=other_company, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)) == 0
    assert selectors.budget_bound_share(company=other_company)["share"] is None


def test_key_result_search_only_offers_covering_cycles(world):
    q1 = CycleFactory(company=world.company, name="Q1", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 31))
    KeyResultFactory(objective=ObjectiveFactory(company=world.company, cycle=q1), company=world.company, title="Q1 KR")
    year_titles = [kr.title for kr in selectors.key_result_search(company=world.company, covering=world.cycle)]
    assert year_titles == ["500 qualifizierte Leads"]
    q1_titles = {kr.title for kr in selectors.key_result_search(company=world.company, covering=q1)}
    assert q1_titles == {"500 qualifizierte Leads", "Q1 KR"}
