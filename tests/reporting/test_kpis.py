"""Every KPI against a small hand-computed fixture (March 2026, company "acme", fiscal year = calendar year)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import BudgetLine, Channel, SpendEntry
from crm.models import Opportunity
from initiatives.models import Initiative
from objectives.models import CheckIn, Cycle, KeyResult
from reporting.kpis import KPIS, compute_kpis, kpi_auto_check_ins, kpi_target
from reporting.models import ReportingSettings
from reporting.periods import period_for
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory, UserFactory
from tests.factories_crm import LeadFactory, OpportunityFactory, at
from tests.factories_reporting import KpiBindingFactory

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 15)


@pytest.fixture
def funnel(company):
    """Leads and opportunities; comments give the stages each lead reached."""
    lead = LeadFactory
    leads = {
        # cohort of March: L1..L5
        "L1": lead(company=company, created=at(2026, 3, 2), channel="Webinare", segment="Stadtwerke",
                   mql_at=at(2026, 3, 5), sal_at=at(2026, 3, 8), sql_at=at(2026, 3, 12),
                   opportunity_at=at(2026, 3, 15), customer_at=at(2026, 3, 28)),  # all stages
        "L2": lead(company=company, created=at(2026, 3, 3), channel="Messen", segment="Industrie",
                   mql_at=at(2026, 3, 6), sql_at=at(2026, 3, 20)),  # mql, sal (via sql), sql
        "L3": lead(company=company, created=at(2026, 3, 4), channel="SEO", segment="Netzbetreiber",
                   mql_at=at(2026, 3, 10)),  # mql only
        "L4": lead(company=company, created=at(2026, 3, 5), channel="Direkt", segment="Stadtwerke",
                   is_marketing_sourced=False),  # no dates, but a won opportunity: every stage
        "L5": lead(company=company, created=at(2026, 3, 6), channel="Paid Social", segment="Industrie",
                   disqualified_at=at(2026, 3, 9)),  # nothing
        # created in February, qualified and customer in March
        "L6": lead(company=company, created=at(2026, 2, 20), channel="Webinare", segment="Stadtwerke",
                   mql_at=at(2026, 3, 1), customer_at=at(2026, 3, 25)),
    }  # fmt: skip
    opp = OpportunityFactory
    opp(
        company=company,
        lead=leads["L1"],
        created=at(2026, 3, 15),
        amount=Decimal("100000"),
        status=Opportunity.Status.WON,
        closed=at(2026, 3, 28),
    )  # 13 days
    opp(
        company=company,
        lead=leads["L4"],
        created=at(2026, 3, 10),
        amount=Decimal("50000"),
        status=Opportunity.Status.WON,
        closed=at(2026, 3, 27),
        is_marketing_sourced=False,
    )  # 17 days
    opp(
        company=company,
        lead=None,
        created=at(2026, 3, 20),
        amount=Decimal("30000"),
        lead_source="Partner",
        is_marketing_sourced=False,
    )  # open
    opp(company=company, lead=leads["L2"], created=at(2026, 3, 25), amount=Decimal("20000"))  # open
    opp(
        company=company,
        lead=leads["L3"],
        created=at(2026, 2, 10),
        amount=Decimal("40000"),
        status=Opportunity.Status.LOST,
        closed=at(2026, 3, 5),
    )  # lost, created in February
    # another company's data never counts
    opp(company__slug="zzz", created=at(2026, 3, 15), amount=Decimal("999999"))
    LeadFactory(company__slug="zzz", created=at(2026, 3, 3), mql_at=at(2026, 3, 4))
    return leads  # fmt: skip


@pytest.fixture
def planning(company):
    """Cycles, budget lines, spend, initiatives and key results."""
    year = CycleFactory(
        company=company,
        name="2026",
        kind=Cycle.Kind.YEAR,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    q1 = CycleFactory(
        company=company,
        name="Q1 2026",
        kind=Cycle.Kind.QUARTER,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
    )
    q4 = CycleFactory(
        company=company,
        name="Q4 2025",
        kind=Cycle.Kind.QUARTER,
        start_date=dt.date(2025, 10, 1),
        end_date=dt.date(2025, 12, 31),
        state=Cycle.State.CLOSED,
    )
    requester = UserFactory()
    channel = Channel.objects.create(company=company, name="Events")

    def line(cycle, amount, kr=None, state=BudgetLine.State.DRAFT):
        return BudgetLine.objects.create(
            company=company,
            cycle=cycle,
            title=f"L{amount}",
            channel=channel,
            key_result=kr,
            planned_amount=Decimal(amount),
            state=state,
            requester=requester,
        )

    leads_kr = KeyResultFactory(
        objective=ObjectiveFactory(cycle=year, team="marketing"),
        title="Qualifizierte Leads Fokussegmente",
        target_value=Decimal("1180"),
    )
    spend_line = line(year, "40000", kr=leads_kr)  # bound
    line(year, "10000")  # unbound
    line(year, "5000", state=BudgetLine.State.REJECTED)  # rejected: excluded
    line(q4, "99999")  # cycle does not overlap March
    # Q1 key results (okr_progress): company 0.5; marketing 0.25 and 1; sales 0.5
    company_obj = ObjectiveFactory(cycle=q1, team="company", title="Wachstum")
    marketing_obj = ObjectiveFactory(cycle=q1, team="marketing", title="Pipeline")
    sales_obj = ObjectiveFactory(cycle=q1, team="sales", title="Abschluss")
    KeyResultFactory(objective=company_obj, start_value=0, target_value=100, current_value=50)  # 0.5
    bound_q1 = KeyResultFactory(objective=marketing_obj, start_value=0, target_value=200, current_value=50)  # 0.25
    KeyResultFactory(objective=marketing_obj, kind=KeyResult.Kind.STAY_ABOVE, target_value=10, current_value=12)  # 1
    KeyResultFactory(
        objective=sales_obj, kind=KeyResult.Kind.DECREASE_TO, start_value=100, target_value=50, current_value=75
    )  # (75-100)/(50-100) = 0.5
    line(q1, "30000", kr=bound_q1)  # bound
    for when, amount in [
        ((2026, 3, 1), "1000"),
        ((2026, 3, 31), "2000"),
        ((2026, 4, 1), "500"),
        ((2026, 2, 28), "700"),
    ]:
        SpendEntry.objects.create(company=company, line=spend_line, date=dt.date(*when), amount=Decimal(amount))
    states_q1 = ["active", "active", "active", "done", "proposed", "dropped"]  # active: 3
    states_q4 = ["active", "paused", "done", "done", "active", "proposed"]  # ran: 5
    for cycle, states in [(q1, states_q1), (q4, states_q4)]:
        for i, state in enumerate(states):
            Initiative.objects.create(company=company, cycle=cycle, title=f"I{cycle.pk}-{i}", state=state)
    return {"leads_kr": leads_kr, "q1": q1}  # fmt: skip


@pytest.fixture
def march(company):
    return period_for(company=company, kind="month", on=MARCH)


def results_for(company, period, **kwargs):
    return {r.key: r for r in compute_kpis(company=company, period=period, **kwargs)}


def test_pipeline_contribution(company, funnel, march):
    r = results_for(company, march, keys=["pipeline_contribution"])["pipeline_contribution"]
    # created in March: 100000 (m) + 50000 + 30000 + 20000 (m) = 200000; marketing = 120000 → 60 %
    assert r.value == Decimal("120000.00")
    assert r.unit == "currency"
    assert r.breakdown["total_amount"] == "200000.00"
    assert r.breakdown["share_percent"] == "60.00"
    assert r.breakdown["opportunities"] == 4
    assert r.breakdown["marketing_opportunities"] == 2


def test_cost_per_qualified_lead_follows_the_qualified_stage_setting(company, funnel, planning, march):
    r = results_for(company, march, keys=["cost_per_qualified_lead"])["cost_per_qualified_lead"]
    # spend in March: 1000 + 2000 = 3000 (500 in April and 700 in February excluded)
    # MQL in March: L1 (3/5), L2 (3/6), L3 (3/10), L6 (3/1) by their dates, and L4 — no stage date, but its
    # first opportunity was created on 3/10, so it is MQL then, as the funnel counts it = 5 → 3000 / 5 = 600
    assert r.value == Decimal("600.00")
    assert r.breakdown == {"spend": "3000.00", "qualified_leads": 5, "qualified_stage": "mql"}
    assert KPIS["cost_per_qualified_lead"].higher_is_better is False

    ReportingSettings.objects.create(company=company, qualified_stage="sql")
    r = results_for(company, march, keys=["cost_per_qualified_lead"])["cost_per_qualified_lead"]
    # SQL in March: L1 (3/12), L2 (3/20), L6 (no SQL date, customer 3/25 counts), L4 (opportunity 3/10) = 4 → 750
    assert r.value == Decimal("750.00")


def test_cost_per_qualified_lead_without_qualified_leads_or_spend_has_no_value(company, funnel, march):
    r = results_for(company, march, keys=["cost_per_qualified_lead"])["cost_per_qualified_lead"]
    assert r.value is None  # 5 qualified leads but no spend booked: missing data, not free leads
    assert r.breakdown["qualified_leads"] == 5 and r.breakdown["spend"] == "0.00"
    april = period_for(company=company, kind="month", on=dt.date(2030, 4, 1))
    assert results_for(company, april, keys=["cost_per_qualified_lead"])["cost_per_qualified_lead"].value is None


def test_cost_per_qualified_lead_and_the_funnel_agree_on_a_lead_with_an_opportunity_but_no_stage_dates(company, march):
    from budgets.models import SpendEntry
    from tests.factories_budgets import BudgetLineFactory

    lead = LeadFactory(company=company, created=at(2026, 3, 2), segment="Stadtwerke")  # no stage dates at all
    OpportunityFactory(company=company, lead=lead, created=at(2026, 3, 9), amount=Decimal("1000"))
    OpportunityFactory(company=company, lead=lead, created=at(2026, 4, 2), amount=Decimal("1000"))  # later: no
    line = BudgetLineFactory(company=company)
    SpendEntry.objects.create(company=company, line=line, date=dt.date(2026, 3, 20), amount=Decimal("900"))
    r = results_for(company, march, keys=["cost_per_qualified_lead", "funnel_conversion"])
    assert r["funnel_conversion"].breakdown["mql"] == 1  # the funnel counts it as MQL ...
    assert r["cost_per_qualified_lead"].breakdown["qualified_leads"] == 1  # ... and so does CPL-Q: 900 / 1
    assert r["cost_per_qualified_lead"].value == Decimal("900.00")
    april = period_for(company=company, kind="month", on=dt.date(2026, 4, 15))
    # reached once, in March (its FIRST opportunity): not again in April
    assert results_for(company, april, keys=["qualified_leads_focus_segments"])[
        "qualified_leads_focus_segments"
    ].value == Decimal("0")


def test_funnel_conversion_by_cohort(company, funnel, march):
    r = results_for(company, march, keys=["funnel_conversion"])["funnel_conversion"]
    # cohort L1..L5 = 5; MQL: L1 L2 L3 L4 = 4; L2 and L3 have an opportunity, so SAL, SQL and opportunity are
    # L1 L2 L3 L4 = 4 each; won: L1 (customer) L4 (won opportunity) = 2 → overall 2/5 = 40 %
    assert r.value == Decimal("40.00")
    b = r.breakdown
    assert [b["leads"], b["mql"], b["sal"], b["sql"], b["opportunity"], b["won"]] == [5, 4, 4, 4, 4, 2]
    assert b["disqualified"] == 1
    assert b["rate_leads_mql"] == "80.00"  # 4/5
    assert b["rate_mql_sal"] == "100.00"  # 4/4
    assert b["rate_sal_sql"] == "100.00"  # 4/4
    assert b["rate_sql_opportunity"] == "100.00"  # 4/4
    assert b["rate_opportunity_won"] == "50.00"  # 2/4


def test_pipeline_velocity(company, funnel, march):
    r = results_for(company, march, keys=["pipeline_velocity"])["pipeline_velocity"]
    # open at the end of March: the 30000 and 20000 opportunities = 2
    # closed in the 365 days before 1 April: won 2, lost 1 → win rate 2/3
    # average won deal (100000 + 50000) / 2 = 75000; cycle (13 + 17) / 2 = 15 days
    # velocity = 2 × 2/3 × 75000 / 15 = 6666.67 per day
    assert r.value == Decimal("6666.67")
    b = r.breakdown
    assert b["open_opportunities"] == 2
    assert b["win_rate_percent"] == "66.67"
    assert b["average_won_amount"] == "75000.00"
    assert b["average_cycle_days"] == "15.00"


def test_lead_to_customer_rate(company, funnel, march):
    r = results_for(company, march, keys=["lead_to_customer_rate"])["lead_to_customer_rate"]
    # created in March: 5; became customers in March: L1 (3/28), L4 (won 3/27), L6 (3/25) = 3 → 60 %
    assert r.value == Decimal("60.00")
    assert r.breakdown == {"leads_created": 5, "new_customers": 3}


def test_qualified_leads_in_focus_segments_and_target_from_bound_key_result(company, funnel, planning, march):
    ReportingSettings.objects.create(company=company, focus_segments=["Stadtwerke", "Industrie", "Wohnungswirtschaft"])
    KpiBindingFactory(key_result=planning["leads_kr"], kpi_key="qualified_leads_focus_segments")
    r = results_for(company, march, keys=["qualified_leads_focus_segments"])["qualified_leads_focus_segments"]
    # MQL in March: L1 Stadtwerke, L2 Industrie, L3 Netzbetreiber (not focus), L6 Stadtwerke, L4 Stadtwerke (no
    # stage date, first opportunity 3/10) → 3 + 1 = 4
    assert r.value == Decimal("4")
    assert r.breakdown == {"Stadtwerke": 3, "Industrie": 1, "Wohnungswirtschaft": 0}
    # The bound key result's 1,180 is the target of its cycle (FY 2026, 365 days); a count is pro-rated by days:
    # 1180 × 31 ÷ 365 = 100.219… → 100.22 for March.
    assert r.target == Decimal("100.22")
    assert kpi_target(company=company, key="funnel_conversion") is None


def test_a_refresh_memo_counts_leads_qualified_by_their_first_opportunity_alike(company, funnel, march):
    """Inside a KPI refresh (refresh_memo) the leads without stage dates are read once and counted per period in
    Python: the same hand-computed counts as the grouped query outside one, with and without a segment filter."""
    from reporting.kpis.base import qualified_counts, refresh_memo

    ReportingSettings.objects.create(company=company, focus_segments=["Stadtwerke", "Industrie"])
    february = period_for(company=company, kind="month", on=dt.date(2026, 2, 1))
    outside = [
        qualified_counts(company, p, stage="mql", segments=s) for p in (march, february) for s in (None, ["Stadtwerke"])
    ]
    with refresh_memo():
        inside = [
            qualified_counts(company, p, stage="mql", segments=s)
            for p in (march, february)
            for s in (None, ["Stadtwerke"])
        ]
    assert inside == outside
    assert outside[1] == {"Stadtwerke": 3}  # L1, L6 by MQL date, L4 by its first opportunity (3/10)
    keys = ["qualified_leads_focus_segments", "cost_per_qualified_lead"]
    with refresh_memo():
        memo = {k: (r.value, r.breakdown) for k, r in results_for(company, march, keys=keys).items()}
    assert memo == {k: (r.value, r.breakdown) for k, r in results_for(company, march, keys=keys).items()}


def test_budget_bound_share(company, planning, march):
    r = results_for(company, march, keys=["budget_bound_share"])["budget_bound_share"]
    # cycles overlapping March: 2026 and Q1 2026. Lines 40000 (bound) + 10000 + 30000 (bound); rejected 5000 and
    # the Q4 2025 line excluded → 70000 / 80000 = 87.5 %
    assert r.value == Decimal("87.50")
    assert r.breakdown["bound_amount"] == "70000.00"
    assert r.breakdown["total_amount"] == "80000.00"


def test_active_initiatives_vs_previous_cycle(company, planning, march):
    r = results_for(company, march, keys=["active_initiatives_vs_previous"])["active_initiatives_vs_previous"]
    # covering cycle: Q1 2026 (more specific than the year), previous quarter Q4 2025;
    # active now 3 vs ran in Q4 5 (active, paused, done) → (3 − 5) ÷ 5 = −40 %
    assert r.value == Decimal("-40.00")
    assert r.breakdown == {"current": 3, "previous": 5, "cycle": "Q1 2026", "previous_cycle": "Q4 2025"}


def test_okr_progress_per_level(company, planning, march):
    r = results_for(company, march, keys=["okr_progress"])["okr_progress"]
    # (0.5 + 0.25 + 1 + 0.5) / 4 = 0.5625
    assert r.value == Decimal("56.25")
    assert r.breakdown["level:company"] == "50.00"
    assert r.breakdown["level:marketing"] == "62.50"  # (0.25 + 1) / 2
    assert r.breakdown["level:sales"] == "50.00"
    assert r.breakdown["key_results"] == 4
    assert "Pipeline" in r.breakdown.values()


def test_every_kpi_computes_on_an_empty_company(company, march):
    results = compute_kpis(company=company, period=march)
    assert [r.key for r in results] == list(KPIS)
    import json

    json.dumps([r.breakdown for r in results])  # JSON-serialisable
    assert all(r.unit in {"currency", "percent", "number", "days", "hours"} for r in results)
    for definition in KPIS.values():
        assert definition.compute.__doc__ and "Formula" in definition.compute.__doc__


def test_unknown_kpi_key_is_refused(company, march):
    with pytest.raises(ValueError, match="nope"):
        compute_kpis(company=company, period=march, keys=["nope"])


def test_automatic_check_ins_on_bound_key_results(company, funnel, planning, march):
    ReportingSettings.objects.create(company=company, focus_segments=["Stadtwerke", "Industrie"])
    kr = planning["leads_kr"]
    KpiBindingFactory(key_result=kr, kpi_key="qualified_leads_focus_segments")
    results = compute_kpis(company=company, period=march, keys=["qualified_leads_focus_segments"])
    assert kpi_auto_check_ins(company=company, results=results) == 1
    check_in = CheckIn.objects.get(key_result=kr)
    assert check_in.is_automatic and check_in.author is None
    assert check_in.value == Decimal("4")  # L1, L4, L6 Stadtwerke + L2 Industrie
    kr.refresh_from_db()
    assert kr.current_value == Decimal("4")
    # unchanged value: no second check-in
    assert kpi_auto_check_ins(company=company, results=results) == 0
    assert CheckIn.objects.filter(key_result=kr).count() == 1


def _bulk_funnel(company, n):
    from crm.models import Lead

    leads = Lead.objects.bulk_create(
        Lead(company=company, external_id=f"B{n}-{i}", created=at(2026, 3, 1 + i % 28), segment="Stadtwerke",
             mql_at=at(2026, 3, 1 + i % 28) if i % 2 else None)
        for i in range(n)
    )  # fmt: skip
    Opportunity.objects.bulk_create(
        Opportunity(company=company, external_id=f"BO{n}-{i}", lead=lead, created=at(2026, 3, 2 + i % 20),
                    amount=Decimal(1000 + i), status="won" if i % 3 == 0 else "open",
                    closed=at(2026, 3, 25) if i % 3 == 0 else None)
        for i, lead in enumerate(leads[: n // 2])
    )  # fmt: skip


def test_query_count_does_not_depend_on_data_size(company, other_company, planning, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    period = period_for(company=company, kind="month", on=MARCH)
    _bulk_funnel(company, 10)
    with CaptureQueriesContext(connection) as small:
        compute_kpis(company=company, period=period)
    _bulk_funnel(company, 1000)
    with django_assert_num_queries(len(small.captured_queries)):
        results = compute_kpis(company=company, period=period)
    assert results[0].breakdown["opportunities"] == 505
    # 14 KPIs, targets (3), settings per KPI, the two SLA KPIs: calendar, rules and one query per clock rule each:
    # constant, whatever the data
    assert len(small.captured_queries) <= 44


def test_qualified_leads_focus_growth_against_the_same_days_before(company, funnel, march):
    ReportingSettings.objects.create(company=company, focus_segments=["Stadtwerke", "Industrie"])
    LeadFactory(company=company, created=at(2026, 2, 1), segment="Industrie", mql_at=at(2026, 2, 10))
    LeadFactory(company=company, created=at(2026, 1, 2), segment="Industrie", mql_at=at(2026, 1, 28))  # too early
    LeadFactory(company=company, created=at(2026, 2, 1), segment="Netzbetreiber", mql_at=at(2026, 2, 11))
    r = results_for(company, march, keys=["qualified_leads_focus_growth"])["qualified_leads_focus_growth"]
    # March (31 days): L1 Stadtwerke, L2 Industrie, L6 Stadtwerke, L4 Stadtwerke (first opportunity 3/10) = 4; the
    # 31 days before (29 Jan – 28 Feb): 1 (the Netzbetreiber lead is not a focus segment) → (4 − 1) / 1 = +300 %
    assert r.value == Decimal("300.00")
    assert (r.breakdown["current"], r.breakdown["previous"]) == (4, 1)
    assert (r.breakdown["previous_start"], r.breakdown["previous_end"]) == ("2026-01-29", "2026-02-28")


def test_growth_of_a_running_period_counts_up_to_today(company, funnel, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 3, 10))
    quarter = period_for(company=company, kind="quarter", on=MARCH)
    r = results_for(company, quarter, keys=["qualified_leads_focus_growth"])["qualified_leads_focus_growth"]
    # 1 Jan – 10 Mar (69 days) against the 69 days before
    assert (r.breakdown["current_end"], r.breakdown["previous_start"]) == ("2026-03-10", "2025-10-24")


def test_a_milestone_bound_to_a_kpi_is_skipped_not_fatal(company, funnel, planning, march):
    ReportingSettings.objects.create(company=company, focus_segments=["Stadtwerke", "Industrie"])
    milestone = KeyResultFactory(objective=ObjectiveFactory(cycle=planning["q1"]), kind=KeyResult.Kind.MILESTONE)
    KpiBindingFactory(key_result=milestone, kpi_key="qualified_leads_focus_segments")
    KpiBindingFactory(key_result=planning["leads_kr"], kpi_key="qualified_leads_focus_segments")
    results = compute_kpis(company=company, period=march, keys=["qualified_leads_focus_segments"])
    assert kpi_auto_check_ins(company=company, results=results) == 1  # 3 is not a milestone value (0/1)
    assert not CheckIn.objects.filter(key_result=milestone).exists()
    assert CheckIn.objects.get(key_result=planning["leads_kr"]).is_automatic


def _influence_fixture(company) -> None:
    from tests.factories_crm import TouchpointFactory

    a = LeadFactory(company=company, created=at(2026, 2, 28), channel="Direkt", is_marketing_sourced=False)
    TouchpointFactory(lead=a, company=company, occurred=at(2026, 3, 1), channel="Webinare")  # marketing, before
    OpportunityFactory(company=company, lead=a, created=at(2026, 3, 5), amount=Decimal("10000"),
                       is_marketing_sourced=False, status=Opportunity.Status.WON, closed=at(2026, 3, 20))  # fmt: skip
    b = LeadFactory(company=company, created=at(2026, 3, 1))
    TouchpointFactory(lead=b, company=company, occurred=at(2026, 3, 2), channel="Direct Traffic")  # other
    TouchpointFactory(lead=b, company=company, occurred=at(2026, 3, 3), channel="offline sources")  # sales
    OpportunityFactory(company=company, lead=b, created=at(2026, 3, 6), amount=Decimal("5000"),
                       status=Opportunity.Status.WON, closed=at(2026, 3, 25))  # fmt: skip
    c = LeadFactory(company=company, created=at(2026, 3, 1))
    TouchpointFactory(lead=c, company=company, occurred=at(2026, 3, 12), channel="SEO")  # after the opportunity
    OpportunityFactory(company=company, lead=c, created=at(2026, 3, 10), amount=Decimal("3000"))
    OpportunityFactory(company=company, lead=None, created=at(2026, 3, 11), amount=Decimal("2000"))
    d = LeadFactory(company=company, created=at(2026, 2, 1))
    TouchpointFactory(lead=d, company=company, occurred=at(2026, 2, 20), channel="Paid Search")
    OpportunityFactory(company=company, lead=d, created=at(2026, 2, 25), amount=Decimal("7000"),
                       status=Opportunity.Status.WON, closed=at(2026, 3, 3))  # fmt: skip


def test_marketing_influenced_pipeline_and_revenue(company, march):
    _influence_fixture(company)
    r = results_for(company, march, keys=["marketing_influenced_pipeline", "marketing_influenced_revenue"])
    pipeline = r["marketing_influenced_pipeline"]
    # created in March: 10000 (Webinare before) + 5000 (only other/sales touches) + 3000 (touch after) + 2000 (no
    # lead) = 20000; influenced: 10000 → 50 % — though that opportunity is sales-sourced
    assert pipeline.value == Decimal("10000.00")
    assert pipeline.breakdown == {"influenced_amount": "10000.00", "total_amount": "20000.00", "share_percent": "50.00",
                                  "opportunities": 4, "influenced_opportunities": 1}  # fmt: skip
    revenue = r["marketing_influenced_revenue"]
    # won in March: 10000 + 5000 + 7000 (created in February, Paid Search before) = 22000; influenced 17000 → 77.27 %
    assert revenue.value == Decimal("17000.00")
    assert revenue.breakdown["share_percent"] == "77.27"
    assert (revenue.breakdown["won_opportunities"], revenue.breakdown["influenced_opportunities"]) == (3, 2)


@pytest.mark.postgres("the refresh's statement of the opportunities' influence")
def test_a_refresh_memo_gives_the_influenced_pipeline_and_revenue_alike(company, march):
    """Inside a KPI refresh (refresh_memo) the opportunities are read once with their marketing influence and each
    period is summed by bisection: the same values as the aggregate query per period, at the periods' edges too."""
    from reporting.kpis.base import refresh_memo
    from tests.factories_crm import TouchpointFactory

    _influence_fixture(company)  # the hand-computed one above, and at the periods' edges:
    e = LeadFactory(company=company, created=at(2026, 2, 1))
    TouchpointFactory(lead=e, company=company, occurred=at(2026, 3, 1, 0), channel="Newsletter")  # at the creation
    # created when March begins, won when April begins; one created when April begins
    OpportunityFactory(company=company, lead=e, created=at(2026, 3, 1, 0), amount=Decimal("400.25"),
                       status=Opportunity.Status.WON, closed=at(2026, 4, 1, 0))  # fmt: skip
    OpportunityFactory(company=company, lead=e, created=at(2026, 4, 1, 0), amount=Decimal("99.99"),
                       status=Opportunity.Status.LOST, closed=at(2026, 4, 2))  # fmt: skip
    keys = ["marketing_influenced_pipeline", "marketing_influenced_revenue"]
    periods = [period_for(company=company, kind=kind, on=on) for kind in ("month", "quarter")
               for on in (dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1))]  # fmt: skip
    outside = [{k: (r.value, r.breakdown) for k, r in results_for(company, p, keys=keys).items()} for p in periods]
    with refresh_memo(), CaptureQueriesContext(connection) as queries:
        inside = [{k: (r.value, r.breakdown) for k, r in results_for(company, p, keys=keys).items()} for p in periods]
    assert inside == outside
    assert len([q for q in queries.captured_queries if "crm_touchpoint" in q["sql"]]) == 1  # read once
    # March: 20000 + 400.25 created (influenced 10400.25 of 20400.25); April: 99.99 created, 400.25 won, influenced
    assert outside[1]["marketing_influenced_pipeline"][0] == Decimal("10400.25")
    assert outside[2]["marketing_influenced_revenue"][1]["influenced_amount"] == "400.25"
    assert outside[2]["marketing_influenced_pipeline"][1]["influenced_opportunities"] == 1


def test_source_classification_defaults_match_hubspot_and_salesforce_and_can_be_replaced(company):
    settings = ReportingSettings(company=company)
    assert settings.uses_default_sources
    classes = {s: settings.source_class(s) for s in [
        "Direct Traffic", "DIRECT_TRAFFIC", "Offline Sources", "OFFLINE", "Organic Search", "Paid Social",
        "Email Marketing", "Other Campaigns", "Web", "Purchased List", "Partner Referral", "Employee Referral",
        "Phone Inquiry", "Other", "Messen", " direkt ",
    ]}  # fmt: skip
    assert classes == {
        "Direct Traffic": "other", "DIRECT_TRAFFIC": "other", "Offline Sources": "sales", "OFFLINE": "sales",
        "Organic Search": "marketing", "Paid Social": "marketing", "Email Marketing": "marketing",
        "Other Campaigns": "marketing", "Web": "marketing", "Purchased List": "marketing",
        "Partner Referral": "sales", "Employee Referral": "sales", "Phone Inquiry": "other", "Other": "other",
        "Messen": "marketing", " direkt ": "sales",
    }  # fmt: skip
    custom = ReportingSettings(company=company, sales_sources=["Messen"], other_sources=["Web"])
    assert not custom.uses_default_sources
    assert [custom.source_class(s) for s in ("Messen", "Web", "Offline Sources")] == ["sales", "other", "marketing"]
