"""How KPI values read on the board and in the digest: company currency, percent, days; German number format in
German (1.234,5), English in English (1,234.5). Babel does the locale work."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.numbers import DASH, format_decimal, format_money, format_percent_points


def _decimals_for(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude >= 1000:
        return 0
    if magnitude >= 10:
        return 1
    return 2


def format_kpi_value(value: Decimal | None, unit: str, *, currency: str = "EUR", language: str | None = None) -> str:
    """A KPI value as a board member reads it: "1.234.567,00 €" (money as on every page), "42,5 %", "38 Tage",
    "1.180"."""
    if value is None:
        return DASH
    value = Decimal(value)
    if unit == "currency":
        return format_money(value, currency, language=language)
    if unit == "percent":
        # Percent KPIs are stored in percent points (42.5 means 42.5 %).
        # Small shares keep one decimal even when it is zero ("1,0 %" next to a target of "1,5 %").
        return format_percent_points(value, decimals=1, min_decimals=1 if abs(value) < 10 else 0, language=language)
    if unit == "days":
        rounded = value.quantize(Decimal(1))
        return ngettext("%(days)s day", "%(days)s days", int(rounded)) % {
            "days": format_decimal(rounded, decimals=0, language=language)
        }
    if unit == "hours":
        # working hours (the SLA KPIs): one decimal below ten hours, whole hours above
        rounded = value.quantize(Decimal("0.1") if abs(value) < 10 else Decimal(1))
        return ngettext("%(hours)s working hour", "%(hours)s working hours", 1 if rounded == 1 else 2) % {
            "hours": format_decimal(rounded, decimals=1 if abs(value) < 10 else 0, min_decimals=0, language=language)
        }
    decimals = _decimals_for(value) if value != value.to_integral() else 0
    return format_decimal(value, decimals=decimals, language=language)


def format_change(
    value: Decimal | None, previous: Decimal | None, unit: str, *, currency: str = "EUR", language: str | None = None
) -> str:
    """Change against the previous period: percentage points for percent KPIs, a relative change otherwise
    ("+12 %"), the absolute difference when the previous value was zero."""
    if value is None or previous is None:
        return ""
    value, previous = Decimal(value), Decimal(previous)
    diff = value - previous
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    if unit == "percent":
        return f"{sign}{format_decimal(abs(diff), decimals=1, language=language)}\u00a0" + _("pp")
    if previous == 0:
        return sign + format_kpi_value(abs(diff), unit, currency=currency, language=language)
    relative = abs(diff) / abs(previous) * 100
    return sign + format_percent_points(relative, decimals=1 if relative < 10 else 0, min_decimals=0, language=language)


def _target_source_label(source: str) -> str:
    from .targets import SOURCE_LABELS

    return str(SOURCE_LABELS[source]) if source in SOURCE_LABELS else ""


def present_tile(tile, *, currency: str, language: str | None = None) -> dict:
    """A tile as the template and the digest show it: formatted value, target, change and its direction."""
    change = format_change(tile.value, tile.previous_value, tile.unit, currency=currency, language=language)
    direction = "flat"
    if tile.value is not None and tile.previous_value is not None and tile.value != tile.previous_value:
        improved = (tile.value > tile.previous_value) == tile.higher_is_better
        direction = "better" if improved else "worse"
    period_target = getattr(tile, "period_target", None)
    partial = getattr(tile, "data_through", None) is not None
    return {
        "key": tile.key,
        "label": str(tile.label),
        "unit": tile.unit,
        "is_partial": partial,
        "comparison_days": getattr(tile, "comparison_days", None),
        # A running sum KPI is compared with its target to date; the whole period's target is shown beside it.
        "period_target": format_kpi_value(period_target, tile.unit, currency=currency, language=language)
        if partial and period_target is not None and period_target != tile.target
        else "",
        "target_source": _target_source_label(getattr(tile, "target_source", "")),
        "value": format_kpi_value(tile.value, tile.unit, currency=currency, language=language),
        "target": format_kpi_value(tile.target, tile.unit, currency=currency, language=language)
        if tile.target is not None
        else "",
        "status": tile.status,
        "status_label": tile.status_label,
        "change": change,
        "direction": direction,
        "previous_label": tile.previous_label,
        "period_label": tile.period_label,
        "computed_at": tile.computed_at,
        "lower_is_better": not tile.higher_is_better,
    }
