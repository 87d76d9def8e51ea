"""Where the SLAs read the CRM's leads.

The lead table lives in the reporting app today (the CRM area moves into its own app with the restructuring,
issue 13); ``sla`` sits below ``reporting`` in the layers because reporting's KPI engine reads the SLAs. So the SLA
code names the two models it reads through Django's app registry instead of importing reporting — the same
late binding ``companies.permissions.role_of`` uses for Membership. Only this module does it; once the leads live
in the CRM app below sla, these become plain imports.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model

from core.tenancy import for_company


def lead_model() -> type[Model]:
    return apps.get_model("reporting", "Lead")


def reporting_choices(company) -> tuple[str, list[str]]:
    """The company's qualified stage ("mql", "sal" or "sql"; default MQL) and focus segments, in one query."""
    settings_model = apps.get_model("reporting", "ReportingSettings")
    found = for_company(settings_model, company).values_list("qualified_stage", "focus_segments").first()
    if found is None:
        return "mql", []
    stage, segments = found
    return stage or "mql", [s for s in (segments or []) if s]
