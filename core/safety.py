"""Hostile input, handled one way everywhere: date bounds, text that a database or a screen cannot take, titles,
ids from query strings, download file names and redirect targets.

Every form field, serializer field, import parser and view that takes one of these from a user goes through the
helpers here, so a rule (e.g. "dates lie between 1990 and 2100") is written once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# --------------------------------------------------------------------------------------------------- dates

DATE_MIN = dt.date(1990, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
DATE_RANGE_CODE = "date_out_of_range"


def date_range_message() -> str:
    return _("Enter a date between %(min)s and %(max)s.") % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}


def date_in_range(value: dt.date | dt.datetime) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    return DATE_MIN <= day <= DATE_MAX


def validate_date_in_range(value: dt.date | dt.datetime | None) -> None:
    """The validator behind every user-entered date (forms, serializers, imports, services)."""
    if value is not None and not date_in_range(value):
        raise ValidationError(date_range_message(), code=DATE_RANGE_CODE)


def validate_dates_in_range(**dates) -> None:
    """For models' clean(): every given date field within the bounds, else a ValidationError per field."""
    errors = {
        name: [date_range_message()]
        for name, value in dates.items()
        if isinstance(value, dt.date) and not date_in_range(value)
    }
    if errors:
        raise ValidationError(errors, code=DATE_RANGE_CODE)


def clamp_date(value: dt.date) -> dt.date:
    """Keep date arithmetic (periods, months) away from year 1 and 9999 for data stored before the bounds."""
    return min(max(value, DATE_MIN), DATE_MAX)


class BoundedDateField(forms.DateField):
    """A form date between DATE_MIN and DATE_MAX (the browser's date picker gets the same bounds)."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.DateInput) and widget.input_type == "date":
            attrs.update({"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})
        return attrs


class BoundedDateSerializerField(serializers.DateField):
    """An API date between DATE_MIN and DATE_MAX (the same validator and message as the form field)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", []).append(validate_date_in_range)
        kwargs.setdefault("help_text", f"{DATE_MIN.isoformat()} … {DATE_MAX.isoformat()}")
        super().__init__(**kwargs)


class BoundedDateTimeSerializerField(serializers.DateTimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("validators", []).append(validate_date_in_range)
        super().__init__(**kwargs)


# ---------------------------------------------------------------------------------------------------- text

NUL_MESSAGE = _("Null characters are not allowed.")
SURROGATE_MESSAGE = _("Unpaired surrogate characters (U+D800–U+DFFF) are not allowed.")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (PostgreSQL refuses NUL and unpaired surrogates), or None."""
    if "\x00" in value:
        return str(NUL_MESSAGE)
    if _SURROGATE.search(value):
        return str(SURROGATE_MESSAGE)
    return None


# Bidirectional embedding/override/isolate controls: they reorder how a title reads ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Line breaks, tabs and other C0 controls have no place in a one-line title (and would break headers and CSVs).
_CONTROLS = re.compile("[\x00-\x1f\x7f]+")
# Characters that render as nothing: a title made only of these (and spaces) is blank.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e\\s]")
BLANK_TITLE_MESSAGE = _("Enter a title (it must not be blank).")


def normalise_title(value: str) -> str:
    """Titles and names: bidi controls removed, control characters made spaces, surrounding space stripped; blank
    after that (nothing but spaces and zero-width characters) is refused."""
    text = _CONTROLS.sub(" ", _BIDI_CONTROLS.sub("", value or "")).strip()
    if not _INVISIBLE.sub("", text):
        raise ValidationError(BLANK_TITLE_MESSAGE, code="blank")
    return text


class TitleField(models.CharField):
    """A title or name: every ``full_clean()`` (which every service runs, and the admin) normalises it with
    normalise_title. Queries are untouched (not to_python: CharField runs that for every lookup value).

    Deconstructs as a plain CharField, so migrations do not depend on where this module lives."""

    def clean(self, value, model_instance):
        value = super().clean(value, model_instance)
        return normalise_title(value) if isinstance(value, str) else value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


# ---------------------------------------------------------------------------------------------- ids in queries

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """An object id from a query string or form: ASCII digits only (``str.isdigit`` and ``int`` accept "²" and
    "١٢"), within the database's id range."""

    default_error_messages = {"invalid": _("Enter a whole number (digits 0–9).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _ASCII_DIGITS.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class IdSerializerField(serializers.IntegerField):
    """The API's id parameter: the same ASCII-only rule as IdField."""

    default_error_messages = {"invalid": _("Enter a whole number (digits 0–9).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not _ASCII_DIGITS.fullmatch(str(data).strip()):
            self.fail("invalid")
        return super().to_internal_value(str(data).strip())


def parse_id(raw) -> int | None:
    """The id in ``raw`` when it is one (ASCII digits in range), else None: for lenient page parameters."""
    text = str(raw or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def clean_query(form_class: type[forms.Form], data) -> dict:
    """Validate a page's query parameters with a form; a bad one raises ValidationError naming the parameter and
    the reason (DomainErrorMiddleware answers 400)."""
    form = form_class(data)
    if form.is_valid():
        return form.cleaned_data
    raise ValidationError(
        {name: [f"{name}: {message}" for message in messages] for name, messages in form.errors.items()}
    )


# ------------------------------------------------------------------------------------------- download file names

_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f/\\"\';:*?<>|]+')
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def attachment_header(filename: str) -> str:
    """The Content-Disposition of every download: ``attachment`` with an ASCII fallback name and, when the name
    is not plain ASCII, the RFC 6266/5987 ``filename*`` form. Control characters (CR/LF), quotes, semicolons and
    path separators never reach the header, so a cycle named ``x";filename*=UTF-8''evil.html`` stays one name."""
    name = _UNSAFE_IN_NAME.sub("-", unicodedata.normalize("NFC", filename)).strip(" .-") or "download"
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _NOT_ASCII_SAFE.sub("-", ascii_stem).strip("-.")[:150] or "download"
    ascii_ext = _NOT_ASCII_SAFE.sub("", extension)[:10]
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    if fallback == name:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name[:200], safe='')}"


# ------------------------------------------------------------------------------------------------ redirect targets


def safe_redirect_target(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """``candidate`` when it is a URL on this site (no other host, no scheme change, https in production, no
    control characters), else ``fallback``. Every view that redirects to a user-supplied ``next`` uses this."""
    target = (candidate or "").strip()
    if not target or any(unicodedata.category(ch)[0] == "C" for ch in target):
        return fallback
    if "/" not in target:  # redirect() would take "²" or "home" for a view name
        return fallback
    allowed = url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure() or not settings.DEBUG,
    )
    return target if allowed else fallback
