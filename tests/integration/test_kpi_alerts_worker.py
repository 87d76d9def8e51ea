"""A KPI alert fires after a REAL refresh: a Celery worker (subprocess, against Redis and the PostgreSQL test
database) computes the snapshots, the check in the same transaction raises the alert, the e-mail task goes through
the broker to the worker and out through a real SMTP server — and a second refresh raises nothing and sends nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from decimal import Decimal as D

import pytest
from django.utils import timezone

from companies.models import Profile
from companies.permissions import Role
from reporting.models import KpiAlert, KpiSnapshot
from reporting.services import alerts as services_alerts
from reporting.tasks.kpi import kpi_snapshots_refresh
from tests.factories_board import KpiSnapshotFactory
from tests.integration.test_celery_worker import RESULT_TIMEOUT, _log_tail, worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KPI = "pipeline_contribution"


@pytest.fixture
def mail_worker(smtp, monkeypatch, request):
    """The worker, sending its e-mails to the test's SMTP server."""
    from django.conf import settings

    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{settings.EMAIL_PORT}")
    monkeypatch.setenv("SITE_URL", "https://okr.example.com")
    return smtp, request.getfixturevalue("worker")


def _month(day: dt.date, back: int) -> tuple[dt.date, dt.date]:
    year, number = day.year, day.month - back
    while number < 1:
        year, number = year - 1, number + 12
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _refresh(company, log: str) -> dict:
    result = kpi_snapshots_refresh.delay(company.id)
    try:
        outcome = result.get(timeout=RESULT_TIMEOUT)
    except Exception as exc:
        pytest.fail(f"no result from the worker: {exc!r}\n{_log_tail(log)}")
    assert outcome["status"] == "done", outcome
    return outcome


def test_an_alert_fires_after_a_real_refresh_and_only_once(mail_worker, company, make_member):
    inbox, (_process, log) = mail_worker
    today = timezone.localdate()
    # Six months before last month: 100 110 90 105 95 100 (median 100, MAD 5, usual range 85 .. 115). Last month is
    # computed by the refresh from the company's data: no marketing-sourced opportunity, so 0.
    for back, value in zip(range(7, 1, -1), [100, 110, 90, 105, 95, 100], strict=True):
        start, end = _month(today, back)
        KpiSnapshotFactory(
            company=company, kpi=KPI, period_start=start, period_end=end, value=D(value), unit="currency"
        )
    reader = make_member(company, Role.CMO, email="cmo@example.com", first_name="Clara")
    Profile.objects.create(user=reader, language="de")
    services_alerts.kpi_alert_subscription_set(company=company, user=reader, kpi=KPI, subscribed=True)

    _refresh(company, log)
    last_start, _last_end = _month(today, 1)
    computed = KpiSnapshot.objects.get(company=company, kpi=KPI, period_start=last_start, period_kind="month")
    assert computed.value == 0
    alert = KpiAlert.objects.get(company=company)
    assert (alert.kpi, alert.period_key, alert.reasons, alert.status) == (KPI, computed.period_key, ["history"], "open")
    assert D(alert.inputs["median"]) == 100 and D(alert.inputs["lower"]) == 85
    messages = inbox.wait_for(1, timeout=RESULT_TIMEOUT)
    assert len(messages) == 1, _log_tail(log)
    assert messages[0]["To"] == "cmo@example.com"
    assert "KPI-Warnung zu „Marketing-Beitrag zur Pipeline“" in messages[0]["Subject"]  # her profile says German

    _refresh(company, log)  # the hourly refresh again: the KPI is still out of range
    assert KpiAlert.objects.filter(company=company).count() == 1
    time.sleep(3)  # an e-mail task, had one been queued, would have reached the idle worker by now
    assert len(inbox.messages) == 1
    alert.refresh_from_db()
    assert alert.notified_at is not None
