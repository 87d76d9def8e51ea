"""Money and share formatting for budget pages: core.numbers, the one format of the whole site (12.000,00 € in
German, €12,000.00 in English)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from core.people import display_name
from core.templatetags import formatting

register = template.Library()
register.filter("money", formatting.money)
register.filter("percent", formatting.percent)


@register.filter
def sub(value, other):
    return (value or Decimal(0)) - (other or Decimal(0))


@register.filter
def person(user) -> str:
    """A person's display name; "the system" for automatic entries."""
    if user is None:
        from django.utils.translation import gettext

        return gettext("the system")
    return display_name(user)
