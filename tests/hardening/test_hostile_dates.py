"""Finding 6 of issue 12: every user-entered date lies between 1990-01-01 and 2100-12-31 (one validator, used by
forms, serializers, imports and services), a cycle lasts at most five years, and data stored before these bounds
(a cycle from 0001-01-01 to 9999-12-31) no longer breaks the KPI refresh, the budget overview or attribution."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from budgets import imports, selectors
from budgets.models import SpendEntry
from companies.permissions import Role
from objectives.models import CheckIn, Cycle
from objectives.services import cascade as cascade_services
from reporting import periods
from reporting.models import KpiRefresh, KpiSnapshot, Lead
from reporting.services import kpi as services_kpi
from tests.budgets.conftest import world  # noqa: F401 (fixture)
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Enter a date between 1990-01-01 and 2100-12-31."
EXTREMES = ["0001-01-01", "9999-12-31", "1989-12-31", "2101-01-01"]


# ------------------------------------------------------------------------------------------------------ cycles


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", EXTREMES)
def test_cycle_dates_out_of_range_are_refused_on_the_page(company, client_for, field, value):
    data = {"name": "Weit weg", "kind": "custom", "start_date": "2026-01-01", "end_date": "2026-12-31", field: value}
    if field == "end_date" and value < "2026":
        data["start_date"] = "1980-01-01" if value == "1989-12-31" else "0001-01-01"
    response = client_for(company, Role.FACILITATOR).post("/c/acme/cascade/cycles/new/", data, follow=True)
    label = {"start_date": "Start date", "end_date": "End date"}[field]
    assert f"{label}: {MESSAGE}" in response.content.decode()
    assert not Cycle.objects.filter(company=company).exists()


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", EXTREMES)
def test_cycle_dates_out_of_range_are_refused_by_the_api(company, api_client_for, field, value):
    data = {"name": "Weit weg", "kind": "custom", "start_date": "2026-01-01", "end_date": "2026-12-31", field: value}
    response = api_client_for(company, Role.FACILITATOR).post("/api/v1/companies/acme/cycles/", data, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [MESSAGE]
    assert not Cycle.objects.filter(company=company).exists()


def test_a_cycle_lasts_at_most_five_years_page_and_api(company, client_for, api_client_for):
    data = {"name": "Ewig", "kind": "custom", "start_date": "2026-01-01", "end_date": "2031-01-02"}
    page = client_for(company, Role.FACILITATOR).post("/c/acme/cascade/cycles/new/", data, follow=True)
    assert "End date: A cycle lasts at most 5 years." in page.content.decode()
    api = api_client_for(company, Role.FACILITATOR)
    response = api.post("/api/v1/companies/acme/cycles/", data, format="json")
    assert response.status_code == 400 and response.json()["end_date"] == ["A cycle lasts at most 5 years."]
    assert not Cycle.objects.filter(company=company).exists()
    five_years = api.post("/api/v1/companies/acme/cycles/", {**data, "end_date": "2031-01-01"}, format="json")
    assert five_years.status_code == 201, five_years.content


def test_the_database_refuses_cycle_dates_out_of_range(company):
    for start, end in ((dt.date(1, 1, 1), dt.date(2026, 1, 1)), (dt.date(2026, 1, 1), dt.date(9999, 1, 1))):
        with pytest.raises(IntegrityError), transaction.atomic():
            Cycle.objects.create(company=company, name="Direkt", start_date=start, end_date=end)


# ---------------------------------------------------------------------------------------------- spend and check-ins


@pytest.mark.parametrize("value", EXTREMES)
def test_spend_dates_out_of_range_page_api_and_import(world, value):  # noqa: F811
    from django.test import Client
    from rest_framework.test import APIClient

    line = world.approved()
    page = Client()
    page.force_login(world.cmo)
    response = page.post(f"/c/acme/budgets/lines/{line.pk}/spend/", {"date": value, "amount": "100,00"})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    api = APIClient()
    api.force_authenticate(world.cmo)
    response = api.post(f"/api/v1/companies/acme/budget-lines/{line.pk}/spend/", {"date": value, "amount": "100"})
    assert response.status_code == 400 and response.json()["date"] == [MESSAGE]
    with pytest.raises(imports.ImportFailed) as exc:
        text = f"line,date,amount\n{line.pk},2026-03-01,100\n{line.pk},{value},100\n"
        imports.spend_import_csv(company=world.company, upload=io.BytesIO(text.encode()), actor=world.cmo)
    assert exc.value.rows == [f"row 3, column date: {MESSAGE}"]
    with pytest.raises(ValidationError) as error:
        from budgets import services

        services.spend_entry_create(line=line, date=dt.date.fromisoformat(value), amount=Decimal(1), actor=world.cmo)
    assert error.value.message_dict == {"date": [MESSAGE]}
    assert not SpendEntry.objects.exists()


def test_check_in_times_out_of_range_are_refused(company, make_member):
    kr = KeyResultFactory(objective=ObjectiveFactory(cycle=CycleFactory(company=company)))
    for at in (dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, tzinfo=dt.UTC)):
        with pytest.raises(ValidationError) as error:
            cascade_services.check_in_create(key_result=kr, value=1, confidence="0.5", actor=None, at=at)
        assert error.value.message_dict == {"created_at": [MESSAGE]}
    assert not CheckIn.objects.filter(key_result=kr).exists()


# ------------------------------------------------------------------------------------------------------------ CRM


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31T10:00:00Z", "31.12.1989", "01.01.2101 10:00"])
def test_crm_api_refuses_dates_out_of_range(company, api_client_for, value):
    api = api_client_for(company, Role.CMO)
    records = [{"external_id": "L-1", "created": "2026-03-01"}, {"external_id": "L-2", "created": value}]
    response = api.post("/api/v1/companies/acme/crm/leads/", records, format="json")
    assert response.status_code == 400
    assert {"index": 1, "field": "created", "message": MESSAGE}.items() <= response.json()["errors"][0].items()
    opportunity = [{"external_id": "O-1", "created": "2026-03-01", "closed": value, "status": "won"}]
    response = api.post("/api/v1/companies/acme/crm/opportunities/", opportunity, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "closed"
    assert not Lead.objects.filter(company=company).exists()


def test_crm_file_import_refuses_dates_out_of_range(company, make_member, settings, tmp_path,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.services_crm import crm_import_create

    settings.CRM_IMPORT_ROOT = tmp_path
    content = "Record ID,First Name,Create Date,Lifecycle Stage\n1,A,2026-03-01,lead\n2,B,0001-01-01,lead\n"
    with django_capture_on_commit_callbacks(execute=True):
        job = crm_import_create(company=company, kind="leads", source="hubspot", actor=make_member(company, Role.CMO),
                                uploaded_file=SimpleUploadedFile("c.csv", content.encode()))  # fmt: skip
    job.refresh_from_db()
    assert job.status == "failed", job.errors
    assert MESSAGE in json.dumps(job.errors)
    assert not Lead.objects.filter(company=company).exists()


# ------------------------------------------------------------------------------------------- API filter parameters


@pytest.mark.parametrize("param", ["start", "end"])
@pytest.mark.parametrize("value", EXTREMES)
def test_attribution_api_refuses_filter_dates_out_of_range(company, api_client_for, param, value):
    query = {"start": "2026-01-01", "end": "2026-03-31", param: value}
    response = api_client_for(company, Role.EXECUTIVE).get("/api/v1/companies/acme/attribution/", query)
    assert response.status_code == 400 and response.json()[param] == [MESSAGE]


# ----------------------------------------------------------------------------- data stored before the bounds


@contextmanager
def _without_cycle_date_constraint():
    """Stores what the constraint refuses, as a database that predates it holds (the test's transaction undoes
    the DROP on PostgreSQL; SQLite is told to skip CHECK constraints)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE objectives_cycle DROP CONSTRAINT cycle_dates_in_range")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = 1")
    try:
        yield
    finally:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = 0")


@pytest.fixture
def legacy_extreme_cycle(company):
    with _without_cycle_date_constraint():
        cycle = Cycle.objects.create(company=company, name="Alles", start_date=dt.date(1, 1, 1),
                                     end_date=dt.date(9999, 12, 31), state=Cycle.State.ACTIVE)  # fmt: skip
    KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
    return cycle


def test_stored_extreme_cycle_no_longer_breaks_pages_refresh_or_attribution(
    company, legacy_extreme_cycle, client_for, api_client_for, django_capture_on_commit_callbacks
):
    client = client_for(company, Role.EXECUTIVE)
    for url in (
        f"/c/acme/budgets/overview/?cycle={legacy_extreme_cycle.pk}",
        f"/c/acme/budgets/?cycle={legacy_extreme_cycle.pk}",
        "/c/acme/board/?period=cycle",
        "/c/acme/board/",
    ):
        assert client.get(url).status_code == 200, url
    api = api_client_for(company, Role.EXECUTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        refresh = api.post("/api/v1/companies/acme/kpis/refresh/", {}, format="json")
    assert refresh.status_code == 202
    assert KpiRefresh.objects.get(pk=refresh.json()["refresh_id"]).status == "done"
    assert KpiSnapshot.objects.filter(company=company, period_key=f"cycle-{legacy_extreme_cycle.pk}").exists()
    assert api.get("/api/v1/companies/acme/attribution/", {"end": "2100-12-31"}).status_code == 200
    assert api.get("/api/v1/companies/acme/attribution/", {"start": "1990-01-01"}).status_code == 200
    months = selectors.monthly_actual(company=company, cycle=legacy_extreme_cycle)
    assert months[0]["month"] == dt.date(1990, 1, 1) and months[-1]["month"] == dt.date(2100, 12, 1)


def test_periods_are_clamped_to_the_bounds():
    period = periods.Period(kind="cycle", start=dt.date(1, 1, 1), end=dt.date(9999, 12, 31), key="cycle-1", label="")
    start, end = period.datetime_range()
    assert (start.date(), end.date()) == (dt.date(1990, 1, 1), dt.date(2101, 1, 1))
    months = periods.periods_between(company=None, kind="month", start=dt.date(1, 1, 1), end=dt.date(1990, 3, 5))
    assert [p.key for p in months] == ["1990-01", "1990-02", "1990-03"]
    first = periods.Period(kind="month", start=dt.date(1990, 1, 1), end=dt.date(1990, 1, 31), key="1990-01", label="")
    assert periods.previous_period(first, company=None) is None


def test_refresh_after_a_stored_extreme_cycle_computes_its_clamped_period(company, legacy_extreme_cycle):
    written = services_kpi.kpi_snapshots_refresh(company=company)
    assert written > 0
    snapshot = KpiSnapshot.objects.filter(company=company, period_key=f"cycle-{legacy_extreme_cycle.pk}").first()
    assert snapshot is not None


def test_the_date_message_in_german(company, api_client_for):
    api = api_client_for(company, Role.EXECUTIVE)
    response = api.get("/api/v1/companies/acme/attribution/", {"end": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.json()["end"] == ["Geben Sie ein Datum zwischen 1990-01-01 und 2100-12-31 ein."]
