"""Setting and removing the explicit KPI target of a period (the rule that resolves targets: reporting.targets)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.permissions import Action, require_actor

from .. import kpis, periods
from ..models_snapshots import KpiTarget

TARGET_LIMIT = Decimal("1000000000000")  # 10^12: larger than any KPI, small enough for the 20,4 columns


def _clean_value(key: str, raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(" ", ""))
    except Exception:  # InvalidOperation and anything odd: one clear message
        raise ValidationError({"value": _("Enter a number, e.g. 1250 or 12.5.")}) from None
    if not value.is_finite():
        raise ValidationError({"value": _("Enter a number, e.g. 1250 or 12.5.")})
    if abs(value) >= TARGET_LIMIT:
        raise ValidationError({"value": _("The target is too large.")})
    if value < 0 and kpis.KPIS[key].unit in ("currency", "number"):
        raise ValidationError({"value": _("This KPI cannot be negative, so its target cannot be either.")})
    if value.as_tuple().exponent < -4:
        raise ValidationError({"value": _("Use at most four decimal places.")})
    return value


def _period(company, period_key: str):
    try:
        return periods.parse_period_key(company=company, key=period_key)
    except ValueError:
        message = _("Unknown period “%(key)s”: use a month (2026-03), a quarter (2026-Q1) or a cycle of this company.")
        raise ValidationError({"period": message % {"key": period_key}}) from None


@transaction.atomic
def kpi_target_set(*, company, actor, kpi: str, period_key: str, value) -> KpiTarget:
    """Set (create or change) the target of ``kpi`` for ``period_key``. ValidationError naming the field for an
    unknown KPI or period or a bad value; PermissionDenied without KPI_TARGETS_MANAGE. Recorded in the history."""
    require_actor(actor, company, Action.KPI_TARGETS_MANAGE)
    if kpi not in kpis.KPIS:
        raise ValidationError({"kpi": _("Unknown KPI “%(kpi)s”.") % {"kpi": kpi}})
    period = _period(company, period_key)
    cleaned = _clean_value(kpi, value)
    target = KpiTarget.objects.select_for_update().filter(company=company, kpi=kpi, period_key=period.key).first()
    if target is None:
        target = KpiTarget(company=company, kpi=kpi, period_key=period.key)
    target.period_kind, target.period_start, target.period_end = period.kind, period.start, period.end
    target.value = cleaned
    target.updated_by = actor
    target.full_clean(exclude=["company", "updated_by"])
    target.save()
    return target


@transaction.atomic
def kpi_target_delete(*, company, actor, kpi: str, period_key: str) -> bool:
    """Remove the explicit target (the period falls back to the derived one). False when there was none."""
    require_actor(actor, company, Action.KPI_TARGETS_MANAGE)
    found = KpiTarget.objects.filter(company=company, kpi=kpi, period_key=period_key).first()
    if found is None:
        return False
    found.delete()
    return True
