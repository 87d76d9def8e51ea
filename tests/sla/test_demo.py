"""The demo company shows the handover: rules and calendar saved, owners on the MQLs, a few open breaches at the end
of the demo data, a mix of rejection reasons, and SLA KPIs with values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from companies.models import Company
from crm import demo
from reporting.kpis import compute_kpis
from reporting.periods import period_for
from sla import selectors
from sla.models import SlaCalendar, SlaRule

pytestmark = pytest.mark.django_db


def test_demo_handover():
    call_command("load_demo", snapshots=False)
    call_command("load_demo", snapshots=False)  # idempotent
    company = Company.objects.get(slug="voltaria")
    assert SlaRule.objects.filter(company=company).count() == 3
    assert SlaCalendar.objects.get(company=company).subdivision == "NW"
    end = dt.datetime.combine(demo.LAST_DAY, dt.time(18), tzinfo=selectors.work_calendar(
        selectors.sla_calendar(company)).tz)  # fmt: skip
    breaches = selectors.open_breaches(company, at=end)
    assert 3 <= len(breaches) <= 40
    assert demo.SLOW_OWNER in {b.owner for b in breaches}
    feedback = selectors.rejection_feedback(company, start=end - dt.timedelta(days=365), end=end)
    reasons = [row["rejection_reason"] for row in feedback["mix"]]
    assert reasons[0] == "Kein Budget" and len(reasons) == len(demo.REJECTION_REASONS)
    assert any(row["recycled"] for row in feedback["mix"])
    period = period_for(company=company, kind="month", on=dt.date(2026, 10, 1))
    results = {r.key: r for r in compute_kpis(company=company, period=period, keys=["sla_compliance",
                                                                                 "mql_response_hours"])}  # fmt: skip
    assert 50 < results["sla_compliance"].value < 100  # some breaches, mostly in time
    assert results["mql_response_hours"].value > 0
