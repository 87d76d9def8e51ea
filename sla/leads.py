"""Where the SLAs read the company's reporting choices (qualified stage, focus segments).

The leads themselves are crm's (``crm.models.Lead``, imported directly: crm sits below sla). The choices are
reporting settings, and ``sla`` sits below ``reporting`` in the layers because reporting's KPI engine reads the
SLAs; so this one read names the model through Django's app registry instead of importing reporting — the same late
binding ``companies.permissions.role_of`` uses for Membership. Only this module does it.
"""

from __future__ import annotations

from django.apps import apps


def reporting_choices(company) -> tuple[str, list[str]]:
    """The company's qualified stage ("mql", "sal" or "sql"; default MQL) and focus segments, in one query."""
    settings_model = apps.get_model("reporting", "ReportingSettings")
    found = settings_model.objects.filter(company=company).values_list("qualified_stage", "focus_segments").first()
    if found is None:
        return "mql", []
    stage, segments = found
    return stage or "mql", [s for s in (segments or []) if s]
