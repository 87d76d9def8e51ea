"""Finding 6 of issue 12: time decay weighs a touch 2^-(days before the last touch / half-life). A touch ~1,075
half-lives older than the last one underflowed PostgreSQL's POWER ("value out of range: underflow") and failed the
whole KPI refresh; the exponent is now capped in the statement and in the Python reference alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reporting.attribution import DECAY_HALF_LIVES_MAX, attribute, model_shares
from reporting.models import AttributionSnapshot, Opportunity, ReportingSettings
from reporting.services import kpi as services_kpi
from tests.factories_reporting import LeadFactory, OpportunityFactory, TouchpointFactory, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_journey(company):
    """One opportunity whose first touch lies ~3.4 years (1,240 one-day half-lives) before its last one."""
    lead = LeadFactory(company=company, created=at(2022, 12, 1))
    TouchpointFactory(lead=lead, occurred=at(2023, 1, 1), channel="Messen", campaign="alt")
    TouchpointFactory(lead=lead, occurred=at(2026, 5, 25), channel="SEO", campaign="neu")
    OpportunityFactory(company=company, lead=lead, created=at(2026, 5, 26), amount=Decimal("1000"),
                       status=Opportunity.Status.WON, closed=at(2026, 5, 28))  # fmt: skip
    return lead


def _by_channel(rows) -> dict:
    return {row["channel"]: row["pipeline"] for row in rows}


def test_model_shares_caps_the_exponent_like_the_statement():
    last = dt.datetime(2026, 5, 25, tzinfo=dt.UTC)
    touches = [last - dt.timedelta(days=5000), last - dt.timedelta(days=1), last]
    shares = model_shares("time_decay", touches, opportunity_created=last, lead_created=None, half_life_days=1)
    assert shares == [Decimal(0), Decimal("0.333333333333"), Decimal("0.666666666667")]
    assert DECAY_HALF_LIVES_MAX < 1074  # 2^-1075 is below the smallest float8


def test_time_decay_with_a_touch_over_a_thousand_half_lives_old(company, old_journey):
    rows = attribute(company=company, model="time_decay", start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31),
                     half_life_days=1)  # fmt: skip
    assert _by_channel(rows) == {"SEO": Decimal("1000.00")}  # the old touch's weight rounds to nothing


@pytest.mark.postgres("PostgreSQL's POWER raises on float8 underflow; SQLite's returns 0")
def test_kpi_refresh_with_a_one_day_half_life_and_an_old_touch_on_postgresql(company, old_journey):
    ReportingSettings.objects.update_or_create(company=company, defaults={"attribution_half_life_days": 1})
    services_kpi.kpi_snapshots_refresh(company=company, on=dt.date(2026, 5, 28))
    snapshot = AttributionSnapshot.objects.get(company=company, model="time_decay", period_key="2026-05")
    assert snapshot.half_life_days == 1
    assert {row["channel"]: row["pipeline"] for row in snapshot.rows} == {"SEO": "1000.00"}
