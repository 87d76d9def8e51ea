"""Formatting for the cascade pages: percentages, key result values with their unit, bar geometry."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from core import numbers
from core.people import display_name
from objectives.models import KeyResult

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.63 -> "63 %" (German) / "63%" (English)."""
    return numbers.format_percent(value)


@register.filter
def bar(value) -> str:
    """0.625 -> "62.5": the width of a progress bar in an SVG with viewBox 0 0 100 … (attributes, not inline CSS)."""
    if value is None:
        return "0"
    return str(max(Decimal(0), min(Decimal(100), Decimal(value) * 100)).quantize(Decimal("0.1")))


@register.filter
def number(value) -> str:
    """Up to two decimals, grouped by the language: "1.234,5" / "1,234.5"."""
    return numbers.format_decimal(value, decimals=2)


@register.simple_tag
def kr_value(kr, value, currency: str = "EUR", format_number=number) -> str:
    """A key result value with its unit: "1.234", "45 %", "12.000 €", "138 Mio. €"; milestones read done / not
    done."""
    if kr.kind == KeyResult.Kind.MILESTONE:
        return _("done") if value is not None and Decimal(value) >= 1 else _("not done")
    if value is None:
        return "–"
    if kr.unit == KeyResult.Unit.CURRENCY:
        return money(value, currency, format_number)
    if kr.unit == KeyResult.Unit.PERCENT:
        return numbers.format_percent_points(value, decimals=2, min_decimals=0)
    return format_number(value)


CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}
MILLION, BILLION = Decimal(1_000_000), Decimal(1_000_000_000)


def money(value, currency: str, format_number=number) -> str:
    """An amount in the site's one money format ("12.000,00 €", core.numbers), millions and billions scaled so a
    key result reads "135,63 Mio. €" / "1,2 Mrd. €"."""
    sign = CURRENCY_SIGNS.get(currency, currency)
    amount = Decimal(value)
    if abs(amount) >= BILLION:
        return _("%(amount)s bn %(currency)s") % {"amount": format_number(amount / BILLION), "currency": sign}
    if abs(amount) >= MILLION:
        return _("%(amount)s m %(currency)s") % {"amount": format_number(amount / MILLION), "currency": sign}
    return numbers.format_money(amount, currency)


@register.filter
def person(user) -> str:
    return display_name(user)


@register.filter
def signed_pct(value) -> str:
    """+0.12 -> "+12 pp" (percentage points against the expected progress)."""
    if value is None:
        return ""
    points = round(Decimal(value) * 100)
    return f"{points:+d} pp"


@register.simple_tag(takes_context=True)
def cascade_rows(context, nodes):
    """The whole tree of ``nodes`` (objectives with their key results and child objectives) in one pass."""
    from objectives.cascade_rows import TreeRenderer  # cascade_rows renders with these tags: a cycle

    cycle, company, user = context.get("cycle"), context.get("company"), context.get("user")
    renderer = TreeRenderer(
        editable=bool(context.get("editable")),
        checkin_any=bool(context.get("checkin_any")),
        checkin_own=bool(context.get("checkin_own")),
        user_id=getattr(user, "pk", None),
        cycle_state=cycle.state if cycle is not None else "",
        currency=company.currency if company is not None else "EUR",
        detail_prefix=context.get("detail_prefix", ""),
    )
    slots = context.get("row_slots")
    return slots.hold(renderer.html(nodes)) if slots is not None else renderer.render(nodes)


@register.simple_tag
def carry_items(nodes):
    """The checkboxes of the carry-over dialog, one per objective (unfinished ones checked), in one pass."""
    from objectives.cascade_rows import carry_items_html  # cascade_rows renders with these tags: a cycle

    return carry_items_html(nodes)
