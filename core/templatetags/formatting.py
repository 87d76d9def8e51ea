"""Template filters of core.numbers: ``{% load formatting %}`` then ``{{ amount|money:company.currency }}``,
``{{ share|percent }}``, ``{{ points|percent_points }}``, ``{{ value|decimal }}``."""

from __future__ import annotations

from django import template

from core import numbers
from core.people import display_name

register = template.Library()


@register.filter
def money(value, currency: str = "EUR") -> str:
    return numbers.format_money(value, currency)


@register.filter
def percent(value, digits: int = 0) -> str:
    return numbers.format_percent(value, decimals=int(digits))


@register.filter
def percent_points(value, digits: int = 0) -> str:
    """A value already in percent (0–100), e.g. a progress bar's: "45 %" (de) / "45%" (en)."""
    return numbers.format_percent_points(value, decimals=int(digits))


@register.filter
def decimal(value, digits: int = 2) -> str:
    return numbers.format_decimal(value, decimals=int(digits))


@register.filter
def person(user) -> str:
    return display_name(user)
