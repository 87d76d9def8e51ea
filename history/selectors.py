"""Reads of the change history that the page, the API and other apps share."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet

from .models import ChangeRecord
from .tracking import TRACKED


def type_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (_model, label) in TRACKED.items()]


def history_for(*, company, kind: str = "", object_id: int | None = None) -> QuerySet:
    """The company's change records, newest first, optionally of one type and one object (constant queries)."""
    records = ChangeRecord.objects.for_company(company).select_related("actor", "content_type")
    if kind in TRACKED:
        model, _label = TRACKED[kind]
        records = records.filter(
            content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name
        )
        if object_id is not None:
            records = records.filter(object_id=object_id)
    return records.order_by("-at", "-id")


def type_key(record) -> str:
    return record.content_type.model


def type_label(record) -> str:
    entry = TRACKED.get(record.content_type.model)
    return str(entry[1]) if entry else record.content_type.model


def field_label(record, name: str) -> str:
    """The field's name as the forms show it ("CMO approval limit", not "cmo_approval_limit"); no query."""
    model = record.content_type.model_class()
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    label = str(getattr(field, "verbose_name", "") or name)
    return label[:1].upper() + label[1:]
