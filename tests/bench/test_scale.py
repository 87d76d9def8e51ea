"""generate_scale (tiny sizes) and the bench harness's table/JSON writer. No timing assertions."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from bench.report import format_table, ratio, write_results
from companies.models import Company, Membership
from crm.models import Lead, Opportunity, Touchpoint
from objectives.models import KeyResult, Objective

pytestmark = pytest.mark.django_db

ARGS = ["--leads", "40", "--opportunities", "10", "--touchpoints", "90", "--objectives", "12", "--initiatives", "5",
        "--budget-lines", "6", "--until", "2026-11-20"]  # fmt: skip


def _funnel(slug):
    company = Company.objects.get(slug=slug)
    leads = list(Lead.objects.filter(company=company).order_by("external_id").values_list(
        "external_id", "created", "channel", "segment", "mql_at", "customer_at"))  # fmt: skip
    opportunities = list(Opportunity.objects.filter(company=company).order_by("external_id").values_list(
        "external_id", "lead__external_id", "amount", "status", "closed"))  # fmt: skip
    touchpoints = list(Touchpoint.objects.filter(company=company).order_by("external_id").values_list(
        "external_id", "lead__external_id", "occurred", "channel"))  # fmt: skip
    return leads, opportunities, touchpoints


def test_generate_scale_creates_the_requested_counts(capsys):
    call_command("generate_scale", "--company", "scale-a", "--seed", "5", *ARGS)
    company = Company.objects.get(slug="scale-a")
    assert Lead.objects.filter(company=company).count() == 40
    assert Opportunity.objects.filter(company=company).count() == 10
    assert Touchpoint.objects.filter(company=company).count() == 90
    assert Objective.objects.filter(company=company).count() == 12
    assert KeyResult.objects.filter(company=company).count() == 48
    assert Membership.objects.filter(company=company).count() == 4
    assert all(o.lead_id for o in Opportunity.objects.filter(company=company))
    assert "Generated in" in capsys.readouterr().out


def test_generate_scale_is_deterministic_by_seed():
    call_command("generate_scale", "--company", "scale-a", "--seed", "5", *ARGS)
    call_command("generate_scale", "--company", "scale-b", "--seed", "5", *ARGS)
    call_command("generate_scale", "--company", "scale-c", "--seed", "6", *ARGS)
    assert _funnel("scale-a") == _funnel("scale-b")
    assert _funnel("scale-a")[0] != _funnel("scale-c")[0]


def test_table_and_json_writer(tmp_path):
    rows = [
        {"scenario": "kpi refresh", "case": "1 lead", "measured": 2.0, "floor": 1.6, "ratio": ratio(2.0, 1.6),
         "goal": "≤ 1.5", "ok": True},
        {"scenario": "load", "case": "board", "measured": 420.0, "ok": False},
    ]  # fmt: skip
    table = format_table(rows).splitlines()
    assert table[0].split() == ["scenario", "case", "measured", "floor", "ratio", "goal", "ok"]
    assert "1.250" in table[2] and "yes" in table[2]
    assert "NO" in table[3] and "–" in table[3]
    when = dt.datetime(2026, 11, 21, 9, 30)
    path = write_results(tmp_path, rows=rows, facts={"cores": 2}, details={"x": 1}, when=when)
    assert path.name == "2026-11-21.json"
    data = json.loads(path.read_text())
    assert data["machine"] == {"cores": 2} and data["results"][0]["ratio"] == 1.25
    second = write_results(tmp_path, rows=rows, facts={}, details={}, when=when)
    assert second != path and second.exists()
    assert ratio(1.0, 0) is None and ratio(None, 1.0) is None
