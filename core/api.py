"""Cross-cutting API code: the one exception handler, the JSON parser and the id filter every endpoint uses."""

from __future__ import annotations

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.people import display_name

from .errors import DomainError, concurrency_conflict, error_detail, error_status
from .safety import IdField, text_problem


def validation_error_dict(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        data = {}
        for field, errors in exc.message_dict.items():
            data["non_field_errors" if field == NON_FIELD_ERRORS else field] = errors
        return data
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """Map Django ValidationError → 400 with field errors, DomainError → its status, a deadlock or serialization
    failure → 409 with a retry message; the rest as DRF does."""
    if isinstance(exc, DjangoValidationError):
        return Response({**validation_error_dict(exc), **error_detail(exc)}, status=error_status(exc))
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    conflict = concurrency_conflict(exc)
    if conflict is not None:
        return Response(conflict.as_dict(), status=conflict.status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, serializers.ValidationError) and isinstance(response.data, dict):
        # A serializer's field errors get the same summary keys as a service's ValidationError.
        field, messages = next(iter(response.data.items()), (None, []))
        first = messages[0] if isinstance(messages, list) and messages else messages
        code = getattr(first, "code", None) or "invalid"
        response.data = {
            **response.data,
            "detail": str(first) if not isinstance(first, dict | list) else str(exc.default_detail),
            "field": None if field in (None, "non_field_errors") else field,
            "code": code,
        }
    return response


@extend_schema_field({"type": "string", "nullable": True})
class PersonField(serializers.ReadOnlyField):
    """A person as every API names them: core.people.display_name (full name, else username, else e-mail);
    null for nobody."""

    def to_representation(self, value):
        return display_name(value) or None

    def get_attribute(self, instance):
        try:
            return super().get_attribute(instance)
        except (AttributeError, KeyError):  # pragma: no cover - a missing relation reads as nobody
            return None


class IdFilter(django_filters.NumberFilter):
    """A filter on an id: ASCII digits in the database's id range, else 400 (a float, a 40-digit number or "²"
    would reach the database and fail there with a 500)."""

    field_class = IdField


# Deeper JSON is refused before anything reads it: Python's parser raises RecursionError near 1,000 levels (a 500
# before), and no request of this API nests more than a handful.
MAX_JSON_DEPTH = 64


class SafeJSONParser(JSONParser):
    """The API's JSON parser: refuses nesting deeper than MAX_JSON_DEPTH with 400 "JSON nested too deeply", and
    strings (values or keys) that PostgreSQL cannot store (NUL, unpaired surrogates from "\\ud800" escapes) with
    400 naming the field (its path, e.g. ``0.external_id``) and the reason."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_too_deep()) from exc
        _check_json(data)
        return data


def _too_deep() -> str:
    return _("JSON nested too deeply (more than %(depth)d levels).") % {"depth": MAX_JSON_DEPTH}


def _check_json(data) -> None:
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ParseError(_too_deep())
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)):
                    raise serializers.ValidationError({_printable(child): [problem]})
                stack.append((item, child, depth + 1))
        elif isinstance(value, str) and (problem := text_problem(value)):
            raise serializers.ValidationError({_printable(path) or "non_field_errors": [problem]})


def _printable(path: str) -> str:
    return path.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
