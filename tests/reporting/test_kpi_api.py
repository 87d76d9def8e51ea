"""KPI API: latest snapshots, history, refresh (202 / 503), attribution; roles and tenancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError

from companies.permissions import Role
from reporting.models import KpiRefresh, KpiSnapshot
from reporting.services import kpi as services_kpi
from reporting.tasks import kpi as tasks_kpi
from tests.factories_board import KpiSnapshotFactory, board_scenario
from tests.reporting.board_fixtures import fake_kpis_fixture, today_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def api(company, suffix: str) -> str:
    return f"/api/v1/companies/{company.slug}/{suffix}"


def monthly(company, kpi: str, month: int, value: str, **kwargs):
    start = dt.date(2026, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return KpiSnapshotFactory(
        company=company,
        kpi=kpi,
        period_start=start,
        period_end=end,
        period_key=f"2026-{month:02d}",
        period_label=start.strftime("%B %Y"),
        value=Decimal(value),
        **kwargs,
    )


def test_latest_snapshots_with_target_status_and_previous_value(company, api_client_for, fake_kpis):
    monthly(company, "fake_leads", 10, "90", target=Decimal("120"))
    monthly(company, "fake_leads", 11, "125", target=Decimal("120"), breakdown={"Energie": 70})
    monthly(company, "fake_cost", 11, "95", unit="currency", target=Decimal("80"))
    response = api_client_for(company, Role.EXECUTIVE).get(api(company, "kpis/"))
    assert response.status_code == 200
    by_key = {row["key"]: row for row in response.json()}
    assert list(by_key) == ["fake_leads", "fake_cost"]  # registry order
    leads = by_key["fake_leads"]
    assert (leads["value"], leads["target"], leads["previous_value"]) == ("125.0000", "120.0000", "90.0000")
    assert (leads["status"], leads["status_label"]) == ("on_track", "on track")
    assert leads["period_key"] == "2026-11" and leads["breakdown"] == {"Energie": 70}
    assert leads["higher_is_better"] is True
    assert by_key["fake_cost"]["status"] == "behind"  # 80/95 = 84 %, lower is better
    assert by_key["fake_cost"]["previous_value"] is None


def test_kpis_period_parameter_is_validated(company, api_client_for):
    response = api_client_for(company, Role.EXECUTIVE).get(api(company, "kpis/?period=week"))
    assert response.status_code == 400
    assert "period" in response.json()


def test_history_lists_every_snapshot_of_one_kpi_oldest_first(company, api_client_for, fake_kpis):
    for month, value in ((9, "80"), (11, "120"), (10, "100")):
        monthly(company, "fake_leads", month, value)
    monthly(company, "fake_cost", 11, "5")
    KpiSnapshotFactory(
        company=company,
        kpi="fake_leads",
        period_kind="quarter",
        period_key="2026-Q4",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
    )
    client = api_client_for(company, Role.EXECUTIVE)
    data = client.get(api(company, "kpis/fake_leads/history/?period=month")).json()
    assert data["count"] == 3
    assert [(r["period_key"], r["value"]) for r in data["results"]] == [
        ("2026-09", "80.0000"),
        ("2026-10", "100.0000"),
        ("2026-11", "120.0000"),
    ]
    assert client.get(api(company, "kpis/fake_leads/history/")).json()["count"] == 4


def test_history_of_an_unknown_kpi_or_another_company_is_404(company, other_company, api_client_for, fake_kpis):
    monthly(company, "fake_leads", 11, "1")
    assert api_client_for(company, Role.EXECUTIVE).get(api(company, "kpis/nope/history/")).status_code == 404
    outsider = api_client_for(other_company, Role.EXECUTIVE)
    assert outsider.get(api(company, "kpis/fake_leads/history/")).status_code == 404
    assert outsider.get(api(company, "kpis/")).status_code == 404


@pytest.mark.parametrize(("role", "status"), [(Role.MEMBER, 403), (Role.FACILITATOR, 200), (Role.CMO, 200)])
def test_reading_kpis_needs_board_view(company, api_client_for, role, status):
    assert api_client_for(company, role).get(api(company, "kpis/")).status_code == status


def test_refresh_answers_202_with_task_and_refresh_id(
    company, api_client_for, fake_kpis, django_capture_on_commit_callbacks
):
    client = api_client_for(company, Role.CMO)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(api(company, "kpis/refresh/"), {"scope": "current"}, format="json")
    assert response.status_code == 202
    data = response.json()
    refresh = KpiRefresh.objects.get()
    assert data["refresh_id"] == refresh.pk and data["task_id"] == refresh.task_id
    assert data["status_url"] == api(company, f"kpis/refresh/{refresh.pk}/")
    assert KpiSnapshot.objects.filter(company=company).exists()  # eager in tests: already done
    status = client.get(data["status_url"]).json()
    assert status["status"] == "done" and status["snapshots_written"] == KpiSnapshot.objects.count()


def test_refresh_rejects_an_unknown_scope(company, api_client_for):
    response = api_client_for(company, Role.EXECUTIVE).post(
        api(company, "kpis/refresh/"), {"scope": "all"}, format="json"
    )
    assert response.status_code == 400
    assert "scope" in response.json()
    assert not KpiRefresh.objects.exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FACILITATOR])
def test_refresh_is_forbidden_without_kpi_refresh(company, api_client_for, role):
    assert api_client_for(company, role).post(api(company, "kpis/refresh/")).status_code == 403
    assert not KpiRefresh.objects.exists()


def test_refresh_of_another_company_is_404(company, other_company, api_client_for):
    assert api_client_for(other_company, Role.CMO).post(api(company, "kpis/refresh/")).status_code == 404
    refresh = KpiRefresh.objects.create(company=company)
    assert api_client_for(other_company, Role.CMO).get(api(company, f"kpis/refresh/{refresh.pk}/")).status_code == 404
    assert api_client_for(company, Role.CMO).get(api(other_company, f"kpis/refresh/{refresh.pk}/")).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_refresh_answers_503_when_the_queue_is_unavailable(company, api_client_for, monkeypatch):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Connection refused")

    monkeypatch.setattr(tasks_kpi.kpi_snapshots_refresh, "apply_async", broker_down)
    response = api_client_for(company, Role.EXECUTIVE).post(api(company, "kpis/refresh/"))
    assert response.status_code == 503
    assert response.json()["code"] == "queue_unavailable"
    assert "queue is unavailable" in response.json()["detail"]


def test_attribution_by_model_and_dates(company, api_client_for, today):
    board_scenario(company, today=today)
    client = api_client_for(company, Role.EXECUTIVE)
    start = today.replace(day=1).isoformat()
    for model in ("first_touch", "last_touch", "linear", "time_decay", "u_shaped"):
        response = client.get(api(company, f"attribution/?model={model}&start={start}&end={today.isoformat()}"))
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["model"] == model
        assert sum(Decimal(r["pipeline"]) for r in data["rows"]) == Decimal("40000.00")
    first = client.get(api(company, f"attribution/?model=first_touch&start={start}")).json()
    assert {r["channel"]: r["pipeline"] for r in first["rows"]} == {"SEO": "40000.00"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("model=z_shaped", "model"), ("start=2026-13-01", "start"), ("start=2026-11-10&end=2026-11-01", "end")],
)
def test_attribution_rejects_bad_input_with_field_errors(company, api_client_for, query, field):
    response = api_client_for(company, Role.EXECUTIVE).get(api(company, f"attribution/?{query}"))
    assert response.status_code == 400
    assert field in response.json()


def test_attribution_needs_board_view_and_membership(company, other_company, api_client_for):
    assert api_client_for(company, Role.MEMBER).get(api(company, "attribution/")).status_code == 403
    assert api_client_for(other_company, Role.EXECUTIVE).get(api(company, "attribution/")).status_code == 404


@pytest.mark.parametrize("size", [1, 5])
def test_kpis_query_count_is_constant(company, api_client_for, today, size, django_assert_max_num_queries):
    board_scenario(company, today=today, size=size)
    services_kpi.kpi_snapshots_refresh(company=company, scope="open", on=today)
    client = api_client_for(company, Role.EXECUTIVE)
    with django_assert_max_num_queries(6):  # + the targets: set ones, cycles, bound key results
        response = client.get(api(company, "kpis/"))
    from reporting.kpis import KPIS

    assert len(response.json()) == len(KPIS)
    with django_assert_max_num_queries(4):
        response = client.get(api(company, "kpis/okr_progress/history/"))
    assert response.json()["count"] >= 3


def test_schema_documents_the_kpi_endpoints(company, client_for):
    schema = client_for(company).get("/api/schema/").content
    for path in (b"/kpis/", b"/kpis/{key}/history/", b"/kpis/refresh/", b"/attribution/"):
        assert path in schema
