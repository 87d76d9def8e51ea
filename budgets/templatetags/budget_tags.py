"""Money and share formatting for budget pages (locale-aware: 12.500,00 € in German, €12,500.00 in English)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


@register.filter
def money(value, currency: str = "EUR") -> str:
    if value is None or value == "":
        return "–"
    amount = number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency or "EUR", currency)
    if (get_language() or "de").startswith("de"):
        return f"{amount}\u00a0{symbol}"
    return f"{symbol}\u00a0{amount}" if len(symbol) > 1 else f"{symbol}{amount}"


@register.filter
def money0(value, currency: str = "EUR") -> str:
    """Whole amounts for KPI tiles."""
    if value is None or value == "":
        return "–"
    amount = number_format(Decimal(value).quantize(Decimal("1")), 0, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency or "EUR", currency)
    if (get_language() or "de").startswith("de"):
        return f"{amount}\u00a0{symbol}"
    return f"{symbol}{amount}"


@register.filter
def percent(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    number = number_format(Decimal(value) * 100, int(digits), use_l10n=True)
    return f"{number}\u00a0%" if (get_language() or "de").startswith("de") else f"{number}%"


@register.filter
def sub(value, other):
    return (value or Decimal(0)) - (other or Decimal(0))


@register.filter
def person(user) -> str:
    """A user's full name, else the username; "the system" for automatic entries."""
    if user is None:
        from django.utils.translation import gettext

        return gettext("the system")
    return user.get_full_name() or user.get_username()
