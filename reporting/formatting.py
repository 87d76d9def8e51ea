"""How KPI values read on the board and in the digest: company currency, percent, days; German number format in
German (1.234,5), English in English (1,234.5). Babel does the locale work."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_currency_symbol
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

DASH = "–"


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or "de").split("-")[0]
    return {"de": "de_DE", "en": "en_GB"}.get(language, language)


def _number(value: Decimal, *, decimals: int, language: str | None) -> str:
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def _decimals_for(value: Decimal) -> int:
    magnitude = abs(value)
    if magnitude >= 1000:
        return 0
    if magnitude >= 10:
        return 1
    return 2


def format_kpi_value(value: Decimal | None, unit: str, *, currency: str = "EUR", language: str | None = None) -> str:
    """A KPI value as a board member reads it: "1.234.567 €", "312,50 €", "42,5 %", "38 Tage", "1.180"."""
    if value is None:
        return DASH
    value = Decimal(value)
    locale = babel_locale(language)
    if unit == "currency":
        if abs(value) >= 1000:
            return format_currency(
                value.quantize(Decimal(1)),
                currency,
                locale=locale,
                currency_digits=False,
                format=_currency_pattern(locale, decimals=False),
            )
        return format_currency(value, currency, locale=locale)
    if unit == "percent":
        # Percent KPIs are stored in percent points (42.5 means 42.5 %).
        # Small shares keep one decimal even when it is zero ("1,0 %" next to a target of "1,5 %").
        pattern = "#,##0.0" if abs(value) < 10 else "#,##0.#"
        return format_decimal(value, format=pattern, locale=locale) + "\u00a0%"
    if unit == "days":
        rounded = value.quantize(Decimal(1))
        return ngettext("%(days)s day", "%(days)s days", int(rounded)) % {
            "days": _number(rounded, decimals=0, language=language)
        }
    return _number(value, decimals=_decimals_for(value) if value != value.to_integral() else 0, language=language)


def _currency_pattern(locale: str, *, decimals: bool) -> str:
    from babel import Locale

    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return pattern if decimals else pattern.replace(".00", "")


def currency_symbol(currency: str, language: str | None = None) -> str:
    return get_currency_symbol(currency, locale=babel_locale(language))


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
    locale = babel_locale(language)
    if unit == "percent":
        return f"{sign}{format_decimal(abs(diff), format='#,##0.#', locale=locale)}\u00a0" + _("pp")
    if previous == 0:
        return sign + format_kpi_value(abs(diff), unit, currency=currency, language=language)
    relative = abs(diff) / abs(previous) * 100
    return f"{sign}{format_decimal(relative, format='#,##0.#' if relative < 10 else '#,##0', locale=locale)}\u00a0%"


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
