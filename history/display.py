"""The history's before/after values as people read them: a linked object by its name ("Q3: Pipeline +20 %", not
"17"), a choice by its label ("Approved", not "approved"), yes/no, numbers and dates in the reader's language.

The records keep the raw values (ids, choice keys, ISO dates) so the API and exports stay exact; only the page
turns them into words. Names of linked objects are read once per page: one query per linked model on the page,
whatever the number of rows, and only among the reader's company's rows (an id that is gone shows as "#17").
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import pgettext

from core.numbers import format_decimal
from core.people import display_name

from .selectors import field_label


def _field(record, name: str):
    model = record.content_type.model_class()
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _names(company, wanted: dict[type[models.Model], set]) -> dict[tuple[type[models.Model], object], str]:
    """``{(model, id): name}`` for every id wanted, one query per model, limited to the company's rows: people by
    their display name, the company itself, and rows of models with a company; nothing of another company."""
    names: dict[tuple[type[models.Model], object], str] = {}
    for model, ids in wanted.items():
        rows = model._base_manager.filter(pk__in=ids)
        is_user = model._meta.label_lower == get_user_model()._meta.label_lower
        if model is type(company):
            rows = rows.filter(pk=company.pk)
        elif any(f.name == "company" for f in model._meta.concrete_fields):
            rows = rows.filter(company=company)
        elif not is_user:
            continue  # no company of its own to check the rows against: the ids stay ids
        for obj in rows:
            names[(model, obj.pk)] = display_name(obj) if is_user else str(obj)
    return names


def _plain(field, value):
    """A stored value that is not a link, in the reader's words."""
    if value is None or value == "":
        return None
    if field is None:
        return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return pgettext("history value", "yes") if value else pgettext("history value", "no")
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(str(value))
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else value
    if isinstance(field, models.DateField):
        day = parse_date(str(value))
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else value
    if isinstance(field, models.DecimalField | models.FloatField):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return value
        return format_decimal(number, decimals=max(-number.as_tuple().exponent, 0) if number.is_finite() else 0)
    if isinstance(field, models.IntegerField) and isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, decimals=0)
    return value


def readable_changes(records, company) -> list[list[tuple[str, object, object]]]:
    """Per record, its changes as ``(field label, before, after)`` sorted by label; None where a value is empty."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for record in records:
        for name, values in record.changes.items():
            field = _field(record, name)
            if isinstance(field, models.ForeignKey):
                wanted[field.related_model].update(v for v in values if v not in (None, ""))
    names = _names(company, wanted)
    out = []
    for record in records:
        rows = []
        for name, values in record.changes.items():
            field = _field(record, name)
            shown = []
            for value in values:
                if isinstance(field, models.ForeignKey) and value not in (None, ""):
                    shown.append(names.get((field.related_model, value), f"#{value}"))
                else:
                    shown.append(_plain(field, value))
            rows.append((field_label(record, name), *shown))
        out.append(sorted(rows, key=lambda row: row[0]))
    return out
