"""The demo funnel tells the case's story and keeps load_demo fast and idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from companies.models import Company
from crm import demo
from crm.models import Lead, Opportunity, Touchpoint
from reporting import demo as reporting_demo
from reporting.attribution import attribute
from reporting.kpis import compute_kpis, stage_reached_at
from reporting.models import KpiBinding, ReportingSettings
from reporting.periods import period_for
from tests.factories import KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def voltaria():
    # No timing assertion here: speed is measured in bench/, and a loaded CI machine would make it flaky.
    call_command("load_demo", snapshots=False)
    return Company.objects.get(slug="voltaria")


def test_demo_funnel_volume_and_shape(voltaria):
    leads = Lead.objects.filter(company=voltaria)
    assert leads.count() == demo.DEMO_LEAD_COUNT
    assert set(leads.values_list("channel", flat=True)) == set(demo.CHANNELS)
    assert set(leads.values_list("segment", flat=True)) == set(demo.SEGMENTS)
    first, last = leads.order_by("created").first().created, leads.order_by("created").last().created
    assert first.date() >= dt.date(2024, 12, 1) and last.date() <= dt.date(2026, 11, 20)
    opportunities = Opportunity.objects.filter(company=voltaria)
    amounts = opportunities.values_list("amount", flat=True)
    assert 200 < len(amounts) < 1200
    assert min(amounts) >= Decimal("20000") and max(amounts) <= Decimal("400000")
    assert {"open", "won", "lost"} == set(opportunities.values_list("status", flat=True))
    per_lead = Touchpoint.objects.filter(company=voltaria).values("lead").annotate(n=Count("id"))
    assert {row["n"] for row in per_lead} <= set(range(2, 7))
    settings = ReportingSettings.objects.get(company=voltaria)
    assert settings.focus_segments == ["Stadtwerke", "Industrie"] and settings.qualified_stage == "mql"


def test_focus_segment_qualified_leads_up_18_percent_after_the_workshop(voltaria):
    def qualified(start, end):
        return (
            Lead.objects.filter(company=voltaria, segment__in=["Stadtwerke", "Industrie"])
            .annotate(q=stage_reached_at("mql"))
            .filter(q__date__gte=start, q__date__lt=end)
            .count()
        )

    before = qualified(*demo.BEFORE)
    after = qualified(*demo.AFTER)
    assert before > 300
    assert round(after / before, 2) == 1.18


def test_demo_kpis_and_attribution_have_values(voltaria):
    period = period_for(company=voltaria, kind="quarter", on=dt.date(2026, 6, 1))
    results = {r.key: r for r in compute_kpis(company=voltaria, period=period)}
    for key in ["pipeline_contribution", "funnel_conversion", "pipeline_velocity", "lead_to_customer_rate"]:
        assert results[key].value, key
    assert results["qualified_leads_focus_segments"].value > 0
    rows = attribute(company=voltaria, model="u_shaped", start=period.start, end=period.end)
    assert {r["channel"] for r in rows} >= {"SEO", "Webinare", "Messen"}


def test_demo_binds_the_qualified_leads_key_result_when_it_exists(voltaria):
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle__company=voltaria), title="Qualifizierte Leads Energie",
                          unit="number")  # fmt: skip
    demo.load()
    reporting_demo.load()
    assert KpiBinding.objects.filter(key_result=kr, kpi_key="qualified_leads_focus_segments").exists()
    # the cascade demo's "+18 %" key result is in percent: it tracks the growth KPI
    growth = KpiBinding.objects.filter(kpi_key="qualified_leads_focus_growth", key_result__company=voltaria)
    assert growth.filter(key_result__title__startswith="Qualifizierte Leads aus den Fokussegmenten").exists()
    assert Lead.objects.filter(company=voltaria).count() == demo.DEMO_LEAD_COUNT  # second load adds nothing
    assert not Lead.objects.filter(~Q(company=voltaria)).exists()
