"""The demo company's reporting settings (qualified stage MQL, the focus segments of the CRM demo data's story),
the bindings of the cascade demo's key results to KPIs, and the board's KPI snapshots. The CRM data itself comes
from crm.demo, which loads first (app order). Idempotent."""

from __future__ import annotations

from companies.demo import DEMO_SLUG
from companies.models import Company
from crm.demo import FOCUS_SEGMENTS
from objectives.models import KeyResult

from . import demo_board
from .models import KpiBinding, ReportingSettings


def _bind_key_results(company) -> None:
    """Bind the cascade demo's key results to the KPIs they measure, by title and unit (a percent key result needs
    a percent KPI); nothing to do when they do not exist."""
    patterns = [
        ("Qualifizierte Leads", "percent", "qualified_leads_focus_growth"),
        ("Qualifizierte Leads", "number", "qualified_leads_focus_segments"),
        ("qualifiziertem Lead", "currency", "cost_per_qualified_lead"),
        ("Marketingbudget", "percent", "budget_bound_share"),
    ]
    for fragment, unit, kpi_key in patterns:
        for key_result in KeyResult.objects.filter(company=company, title__icontains=fragment, unit=unit):
            KpiBinding.objects.get_or_create(company=company, kpi_key=kpi_key, key_result=key_result)


def load() -> None:
    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None:
        return
    ReportingSettings.objects.get_or_create(
        company=company,
        defaults={"qualified_stage": ReportingSettings.Stage.MQL, "focus_segments": FOCUS_SEGMENTS},
    )
    _bind_key_results(company)


def load_snapshots() -> None:
    """The board's KPI snapshots, once every other app's demo data is in (the slowest part: optional)."""
    demo_board.load()
