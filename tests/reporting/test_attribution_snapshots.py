"""Attribution stored by the KPI refresh: the board reads it and never streams touchpoints during a request."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.permissions import Role
from reporting import attribution, periods
from reporting.models import AttributionSnapshot, KpiSnapshot, Opportunity
from reporting.models_snapshots import ATTRIBUTION_MODELS
from reporting.services import kpi as services_kpi
from tests.factories_board import board_scenario
from tests.reporting.board_fixtures import today_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def board_url(company, suffix: str = "") -> str:
    return f"/c/{company.slug}/board/{suffix}"


def month_of(company, today):
    return periods.period_for(company=company, kind="month", on=today)


@pytest.fixture
def refreshed(company, today):
    scenario = board_scenario(company, today=today)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    return scenario


def test_model_constraint_lists_the_attribution_models():
    assert ATTRIBUTION_MODELS == attribution.MODELS


def test_refresh_stores_every_model_and_the_shares_sum_to_the_pipeline(company, today, refreshed):
    month = month_of(company, today)
    stored = {s.model: s for s in AttributionSnapshot.objects.filter(company=company, period_key=month.key)}
    assert set(stored) == set(attribution.MODELS)
    opportunities = Opportunity.objects.filter(
        company=company, created__date__gte=month.start, created__date__lte=month.end
    )
    total = sum((o.amount for o in opportunities), Decimal(0))
    assert total == Decimal("40000.00")  # the scenario's pipeline this month
    live = attribution.attribute_models(company=company, start=month.start, end=month.end)
    for model, snapshot in stored.items():
        rows = attribution.rows_from_json(snapshot.rows)
        assert snapshot.pipeline == total, model
        assert sum((r["pipeline"] for r in rows), Decimal(0)) == total, model
        assert rows == live[model], model  # stored = what the live computation gives
        assert (snapshot.period_kind, snapshot.period_start, snapshot.period_end) == ("month", month.start, month.end)
        assert snapshot.half_life_days == 7
    # Every refreshed period got every model, and the pseudo-rows never land among the KPI snapshots.
    period_keys = set(KpiSnapshot.objects.filter(company=company).values_list("period_key", flat=True))
    assert AttributionSnapshot.objects.filter(company=company).count() == len(period_keys) * len(attribution.MODELS)
    assert not KpiSnapshot.objects.filter(kpi__startswith="attribution").exists()


def test_attribute_models_gives_each_model_what_attribute_gives(company, today):
    board_scenario(company, today=today, size=2)
    month = month_of(company, today)
    together = attribution.attribute_models(company=company, start=month.start, end=month.end, half_life_days=3)
    for model in attribution.MODELS:
        alone = attribution.attribute(company=company, model=model, start=month.start, end=month.end, half_life_days=3)
        assert together[model] == alone, model


def test_attribution_refresh_is_idempotent(company, today, refreshed):
    def state():
        return list(
            AttributionSnapshot.objects.filter(company=company)
            .order_by("model", "period_key")
            .values_list("pk", "model", "period_key", "period_start", "period_end", "pipeline", "rows")
        )

    first = state()
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    assert state() == first


def test_board_page_issues_no_query_against_touchpoints(company, client_for, today, refreshed):
    client = client_for(company, Role.EXECUTIVE)
    with CaptureQueriesContext(connection) as queries:
        # the scenario's data lies in the running month (the board opens on the last complete one)
        page = client.get(board_url(company, f"?period=month&key={today:%Y-%m}")).content.decode()
        panel = client.get(
            board_url(company, f"attribution/?model=time_decay&period=month&key={today:%Y-%m}"), HTTP_HX_REQUEST="true"
        )
    assert panel.status_code == 200
    touching = [q["sql"] for q in queries.captured_queries if "reporting_touchpoint" in q["sql"]]
    assert touching == []
    assert not [q for q in queries.captured_queries if "reporting_opportunity" in q["sql"]]
    # The stored rows are what the chart shows.
    figure = json.loads(re.search(r'id="fig-attribution-u_shaped">(.*?)</script>', page).group(1))
    assert round(sum(figure["data"][0]["x"])) == 40000
    figure = json.loads(re.search(r'id="fig-attribution-time_decay">(.*?)</script>', panel.content.decode()).group(1))
    assert set(figure["data"][0]["y"]) == {"SEO", "Webinare"}


def test_without_stored_attribution_the_board_says_refresh_now_and_computes_nothing(company, client_for, today):
    board_scenario(company, today=today)  # CRM data, but no refresh has run
    client = client_for(company, Role.EXECUTIVE)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(board_url(company)).content.decode()
    assert not [q for q in queries.captured_queries if "reporting_touchpoint" in q["sql"]]
    assert 'data-testid="attribution-not-computed"' in page
    assert "Use “Refresh now” to compute it." in page
    assert "fig-attribution-" not in page


def test_a_refreshed_period_without_opportunities_shows_the_no_data_state(company, client_for, today):
    services_kpi.kpi_snapshots_refresh(company=company, on=today)
    page = client_for(company, Role.EXECUTIVE).get(board_url(company)).content.decode()
    assert "No opportunities with touchpoints in this period." in page
    assert 'data-testid="attribution-not-computed"' not in page


def test_api_serves_stored_rows_for_a_stored_period_and_computes_other_ranges(
    company, api_client_for, today, refreshed
):
    month = month_of(company, today)
    client = api_client_for(company, Role.EXECUTIVE)
    api = f"/api/v1/companies/{company.slug}/attribution/"
    with CaptureQueriesContext(connection) as queries:
        stored = client.get(f"{api}?model=linear&start={month.start}&end={month.end}").json()
    assert stored["stored"] is True and stored["computed_at"]
    assert not [q for q in queries.captured_queries if "reporting_touchpoint" in q["sql"]]
    assert sum(Decimal(r["pipeline"]) for r in stored["rows"]) == Decimal("40000.00")
    live = client.get(f"{api}?model=linear&start={month.start}&end={month.end}&half_life_days=3").json()
    assert live["stored"] is False and live["computed_at"] is None
    assert live["rows"] == stored["rows"]  # linear does not depend on the half-life
    other = client.get(f"{api}?model=linear&start={month.start}&end={today}").json()
    if today != month.end:
        assert other["stored"] is False
    assert sum(Decimal(r["pipeline"]) for r in other["rows"]) == Decimal("40000.00")
