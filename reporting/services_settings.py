"""State changes of a company's reporting settings (qualified stage, focus segments, attribution half-life, lead
source lists) and of the bindings of key results to KPIs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor
from core.errors import NotFound

from .kpis import KPIS
from .models import KpiBinding, ReportingSettings


@transaction.atomic
def reporting_settings_update(*, company, actor, **changes) -> ReportingSettings:
    """Change the KPI choices of a company (qualified stage, focus segments, half-life, sales sources)."""
    require_actor(actor, company, Action.COMPANY_SETTINGS)
    current, _created = ReportingSettings.objects.select_for_update().get_or_create(company=company)
    allowed = {"qualified_stage", "focus_segments", "attribution_half_life_days", "sales_sources", "other_sources"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("Unknown setting.") for name in unknown})
    for name in ("focus_segments", "sales_sources", "other_sources"):
        if name in changes:
            changes[name] = [str(s).strip() for s in changes[name] if str(s).strip()]
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=list(changes) or None)
    return current


@transaction.atomic
def kpi_binding_create(*, company, kpi_key: str, key_result, actor) -> KpiBinding:
    """Bind a key result to a KPI: the KR's target becomes the KPI's target and refreshes check the value in."""
    require_actor(actor, company, Action.CASCADE_EDIT)
    if kpi_key not in KPIS:
        raise ValidationError({"kpi_key": _("Unknown KPI.")})
    if key_result.company_id != company.pk:
        raise NotFound()
    binding, _created = KpiBinding.objects.get_or_create(company=company, kpi_key=kpi_key, key_result=key_result)
    return binding


@transaction.atomic
def kpi_binding_delete(*, binding: KpiBinding, actor) -> None:
    require_actor(actor, binding.company, Action.CASCADE_EDIT)
    KpiBinding.objects.filter(pk=binding.pk).delete()


__all__ = ["kpi_binding_create", "kpi_binding_delete", "reporting_settings_update"]
