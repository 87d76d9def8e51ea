"""The demo shows the weekly review with something to see: this week's log with actions carried over from last
week, and KPI alerts raised by the demo's own refresh (the real rule, nothing planted)."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from reporting.models import KpiAlert
from review import selectors
from review.models import ReviewAction

pytestmark = pytest.mark.django_db


def test_the_demo_week_has_actions_and_an_alert(client):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    week = selectors.week_of(timezone.localdate())
    rows = selectors.week_actions(company=ReviewAction.objects.first().company, week=week)
    assert len(rows) == 5
    assert sum(r.carried_over for r in rows) == 2 and sum(r.status == "done" for r in rows) == 1
    assert all(r.key_result_id or r.initiative_id for r in rows)
    alerts = KpiAlert.objects.filter(company__slug="voltaria", status="open")
    assert alerts.exists()
    assert all(a.reasons and a.inputs["value"] for a in alerts)
    client.login(username="petra.schulz", password="okrplan-demo")
    page = client.get("/c/voltaria/review/").content.decode()
    assert page.count('data-testid="review-action"') == 5
    assert page.count('data-testid="kpi-alert"') == alerts.count()
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - idempotent
    assert ReviewAction.objects.count() == 5
