"""Record parsing: one raw record ({field: value as given}, a CSV row or an API item) into model values and
errors, with the values each kind derives (a converted lead's dates, a deal's status, a touchpoint's id)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import CrmKind, Opportunity
from .dates import _bounded, parse_datetime
from .presets import field_specs
from .values import ValueError_, _text, first_id, parse_bool, parse_decimal, parse_status, status_from_text


@dataclass
class ParseContext:
    """What parsing needs besides the row: the company's source classification (crm.sources) and the file's date
    order."""

    sources: Any  # crm.sources.Sources
    date_order: str | None = None  # DateOrder of the file's slash dates, None where they decide themselves


def parse_record(kind: str, raw: dict[str, Any], ctx: ParseContext) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Turn one raw record ({field: value as given}) into model values. Returns (values, errors); errors are
    (field, message) pairs. Fields missing from ``raw`` are not set (an upsert leaves them as they are)."""
    specs = field_specs(kind)
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name, raw_value in raw.items():
        spec = specs.get(name)
        if spec is None:
            errors.append((name, str(_("Unknown field."))))
            continue
        try:
            if spec.kind == "text":
                values[name] = _text(name, raw_value)
            elif spec.kind == "id_list":
                values[name] = _text(name, first_id(str(raw_value or "")))
            elif spec.kind == "datetime":
                if isinstance(raw_value, dt.datetime):
                    values[name] = _bounded(raw_value)
                else:
                    values[name] = parse_datetime(str(raw_value or ""), ctx.date_order)
            elif spec.kind == "decimal":
                values[name] = parse_decimal(raw_value if raw_value is not None else "")
            elif spec.kind == "bool":
                values[name] = parse_bool(raw_value)
            elif spec.kind == "status":
                values[name] = parse_status(str(raw_value or ""))
        except ValueError_ as exc:
            errors.append((name, str(exc)))
    failed = {name for name, _message in errors}
    for spec in specs.values():
        if spec.required and spec.name not in failed and values.get(spec.name) in (None, ""):
            errors.append((spec.name, str(_("This value is required."))))
    if errors:
        return values, errors
    if kind == CrmKind.LEADS:
        _derive_lead(values, ctx, errors)
    elif kind == CrmKind.OPPORTUNITIES:
        _derive_opportunity(values, ctx, errors)
    else:
        _derive_touchpoint(values)
    return values, errors


def _derive_lead(values: dict, ctx: ParseContext, errors: list) -> None:
    converted = values.pop("is_converted", None)
    converted_at = values.pop("converted_at", None)
    if converted:
        if converted_at is None:
            errors.append(("converted_at", str(_("A converted lead needs a conversion date."))))
            return
        if values.get("sql_at") is None:
            values["sql_at"] = converted_at
        if values.get("crm_opportunity_id") and values.get("opportunity_at") is None:
            values["opportunity_at"] = converted_at
    if "is_marketing_sourced" not in values and "channel" in values:
        values["is_marketing_sourced"] = ctx.sources.is_marketing_source(values["channel"])


def _derive_opportunity(values: dict, ctx: ParseContext, errors: list) -> None:
    is_closed = values.pop("is_closed", None)
    is_won = values.pop("is_won", None)
    if "status" not in values:
        if is_won is not None or is_closed is not None:
            values["status"] = (
                Opportunity.Status.WON
                if is_won
                else (Opportunity.Status.LOST if is_closed else Opportunity.Status.OPEN)
            )
        elif values.get("stage"):
            values["status"] = status_from_text(values["stage"])
        else:
            values["status"] = Opportunity.Status.OPEN
    if values["status"] == Opportunity.Status.OPEN:
        values["closed"] = None  # an open deal's close date is only the expected one
    else:
        closed = values.get("closed")
        if closed is None:
            errors.append(("closed", str(_("A won or lost opportunity needs a close date."))))
            return
        created = values["created"]
        if closed < created:
            if timezone.localtime(closed).date() == timezone.localtime(created).date():
                values["closed"] = created  # a close *date* on the creation day
            else:
                errors.append(("closed", str(_("The close date is before the creation date."))))
                return
    if values.get("amount") is not None and values["amount"] < 0:
        errors.append(("amount", str(_("The amount cannot be negative."))))
        return
    if values.get("amount") is not None:
        # Checked before rounding: quantize() refuses a number of more than 28 digits (InvalidOperation).
        if abs(values["amount"]) >= Decimal("1e12") or values["amount"].quantize(Decimal("0.01")) >= Decimal("1e12"):
            errors.append(("amount", str(_("The amount is too large."))))
            return
        values["amount"] = values["amount"].quantize(Decimal("0.01"))


def _derive_touchpoint(values: dict) -> None:
    if not values.get("external_id"):
        key = "|".join(
            [values["lead_external_id"], values["occurred"].isoformat(), values["channel"], values.get("campaign", "")]
        )
        values["external_id"] = "auto-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:32]
