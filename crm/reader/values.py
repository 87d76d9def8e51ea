"""Parsers of single values other than dates: numbers, booleans, deal status, id lists and text cells. Each raises
ValueError_ with a translated message for a value it cannot read."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from core import numbers
from core.safety import text_problem

from ..models import Opportunity

MAX_TEXT = {"external_id": 64, "lead_external_id": 64, "crm_opportunity_id": 64}
DEFAULT_TEXT_MAX = 120
LONG_TEXT_FIELDS = {"campaign": 200, "rejection_reason": 200}

# Stage names (HubSpot "closedwon", Salesforce "Closed Won", German "Gewonnen") ending like this close a deal.
WON_ENDINGS = ("won", "gewonnen")
LOST_ENDINGS = ("lost", "verloren")
TRUE_WORDS = {"true", "yes", "ja", "1", "x", "wahr", "y", "j"}
FALSE_WORDS = {"false", "no", "nein", "0", "falsch", "n", ""}


class ValueError_(ValueError):
    """A value that cannot be read; the message says why (translated)."""


def parse_decimal(value: str | int | float | Decimal) -> Decimal | None:
    """An amount cell (core.numbers reads "1.234,56" and "1,234.56" alike, like every import). Amounts have cents at
    most, so a lone group of three digits is a thousands group: "€ 12.000" and "4,500" are 12000 and 4500."""
    try:
        return numbers.parse_file_decimal(value, max_decimals=2)
    except numbers.NumberError as exc:
        raise ValueError_(str(exc)) from None


def parse_bool(value: str | bool | int | None) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    word = str(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError_(_("“%(value)s” is not yes or no.") % {"value": str(value)[:40]})


def status_from_text(value: str) -> str:
    word = re.sub(r"[\s_\-]+", "", value.strip().casefold())
    if word.endswith(WON_ENDINGS):
        return Opportunity.Status.WON
    if word.endswith(LOST_ENDINGS):
        return Opportunity.Status.LOST
    return Opportunity.Status.OPEN


def parse_status(value: str) -> str:
    word = re.sub(r"[\s_\-]+", "", value.strip().casefold())
    if word in {"", "open", "offen"}:
        return Opportunity.Status.OPEN
    status = status_from_text(value)
    if status == Opportunity.Status.OPEN:
        raise ValueError_(_("“%(value)s” is not open, won or lost.") % {"value": value[:40]})
    return status


def first_id(value: str) -> str:
    return re.split(r"[;,|\s]+", value.strip())[0] if value.strip() else ""


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if problem := text_problem(text):
        raise ValueError_(problem)
    limit = MAX_TEXT.get(name) or LONG_TEXT_FIELDS.get(name) or DEFAULT_TEXT_MAX
    if len(text) > limit:
        raise ValueError_(_("Longer than %(limit)s characters.") % {"limit": limit})
    return text
