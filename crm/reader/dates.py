"""Dates and moments as CRM exports write them (see the crm.reader docstring), a file's day/month order
(DateOrder, DateOrderScan), and the bounds every stored date keeps."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.safety import date_in_range, date_range_message

from .values import ValueError_

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ZONE_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_PG_MAX_OFFSET = dt.timedelta(hours=15, minutes=59)
# Day and month in either order, then the year: German "04.03.2026" (always day first), US and UK "3/4/2026",
# "03/04/2026" (the order is the file's, see DateOrderScan). A time may follow ("10:22", "9:14 AM", "09:14:05",
# after a space or ", " as Salesforce writes it), then a zone ("Z", "UTC", "+01:00", "+0100", "CET", "MESZ").
_DAY_MONTH = re.compile(
    r"^(\d{1,2})([./])(\d{1,2})\2(\d{4})"
    r"(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(Z|[A-Za-z]{3,4}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?$"
)
# ISO 8601 with what exports add: a space before the zone, a named zone, AM/PM ("2026-03-04 10:22 AM CET").
_ISO_LOOSE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
    r"(?:\s*(Z|[A-Za-z]{3,4}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?))?$"
)
_NUMERIC_ZONE = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
# Zone abbreviations CRM exports write (Salesforce and HubSpot use the user's zone), German ones included.
ZONE_ABBREVIATIONS = {
    "Z": 0, "UTC": 0, "GMT": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "MEZ": 60, "CEST": 120, "MESZ": 120,
    "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420,
}  # fmt: skip


class DateOrder:
    """How a file writes "3/4/2026": day first (UK, most of Europe) or month first (US). German dots are always day
    first and ISO is year-month-day, whatever the file's order."""

    DAY_FIRST = "dmy"
    MONTH_FIRST = "mdy"
    CHOICES = (DAY_FIRST, MONTH_FIRST)


class DateOrderScan:
    """Finds a file's date order from all its slash dates: a first part over 12 can only be a day ("13/2/2026"),
    a second part over 12 only a day too ("2/13/2026" is month first). ``result`` is "dmy" or "mdy" when the values
    decide, "ambiguous" when every value could be either (every part ≤ 12 and some day ≠ month), "conflict" when
    some values are day first and others month first, and None when no value depends on the order."""

    AMBIGUOUS = "ambiguous"
    CONFLICT = "conflict"

    def __init__(self) -> None:
        self.day_first: tuple[int, str, str] | None = None  # first example: (row, column, value)
        self.month_first: tuple[int, str, str] | None = None
        self.ambiguous: tuple[int, str, str] | None = None

    def add(self, value: str, row: int = 0, column: str = "") -> None:
        m = _DAY_MONTH.match(value.strip())
        if not m or m.group(2) != "/":
            return
        first, second = int(m.group(1)), int(m.group(3))
        if first > 12 and self.day_first is None:
            self.day_first = (row, column, value.strip())
        elif second > 12 and first <= 12 and self.month_first is None:
            self.month_first = (row, column, value.strip())
        elif first <= 12 and second <= 12 and first != second and self.ambiguous is None:
            self.ambiguous = (row, column, value.strip())

    @property
    def result(self) -> str | None:
        if self.day_first and self.month_first:
            return self.CONFLICT
        if self.day_first:
            return DateOrder.DAY_FIRST
        if self.month_first:
            return DateOrder.MONTH_FIRST
        return self.AMBIGUOUS if self.ambiguous else None


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    upper = text.upper()
    if upper in ZONE_ABBREVIATIONS:
        return dt.timezone(dt.timedelta(minutes=ZONE_ABBREVIATIONS[upper]))
    m = _NUMERIC_ZONE.match(upper)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 23 * 60 + 59:
        return None
    return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def _hour(hour: str | None, ampm: str | None) -> int:
    value = int(hour or 0)
    if ampm:
        if not 1 <= value <= 12:
            raise ValueError("hour")
        value = value % 12 + (12 if ampm.upper() == "P" else 0)
    return value


def _unreadable(value: str) -> ValueError_:
    return ValueError_(
        _("“%(value)s” is not a date we can read (use 2026-03-04, 2026-03-04 10:22, 04.03.2026 or 3/4/2026).")
        % {"value": value[:40]}
    )


def _from_parts(value, year, month, day, hour, minute, second, micro, ampm, zone_text) -> dt.datetime:
    zone = _zone(zone_text)
    if zone_text and zone is None:
        raise _unreadable(value)
    try:
        parsed = dt.datetime(
            int(year), int(month), int(day), _hour(hour, ampm), int(minute or 0), int(second or 0),
            int((micro or "0").ljust(6, "0")),
        )  # fmt: skip
    except ValueError as exc:
        raise ValueError_(_("“%(value)s” is not a valid date.") % {"value": value}) from exc
    return _aware(parsed.replace(tzinfo=zone) if zone else parsed)


def _aware(parsed: dt.datetime) -> dt.datetime:
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.get_default_timezone())
    elif abs(parsed.utcoffset()) > _PG_MAX_OFFSET:
        parsed = parsed.astimezone(dt.UTC)  # the same moment; PostgreSQL refuses offsets beyond ±15:59
    return _bounded(parsed)


def parse_datetime(value: str, order: str | None = None) -> dt.datetime | None:
    """A date or moment as CRM exports write it (see the module docstring). ``order`` is the file's order of
    slash dates (DateOrder); without it a slash date is read only where its parts decide ("13/2/2026")."""
    value = value.strip()
    if not value:
        return None
    m = _DAY_MONTH.match(value)
    if m:
        first, sep, second, year, hour, minute, second_s, ampm, zone_text = m.groups()
        if sep == "/":
            a, b = int(first), int(second)
            if order is None:
                if a > 12:
                    order = DateOrder.DAY_FIRST
                elif b > 12:
                    order = DateOrder.MONTH_FIRST
                elif a != b:
                    raise ValueError_(
                        _("“%(value)s” can be read day first or month first; choose the date order of the file.")
                        % {"value": value[:40]}
                    )
            day, month = (second, first) if order == DateOrder.MONTH_FIRST else (first, second)
        else:
            day, month = first, second
        return _from_parts(value, year, month, day, hour, minute, second_s, None, ampm, zone_text)
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    candidate = _ZONE_NO_COLON.sub(r"\1:\2", candidate) if ("T" in candidate or " " in candidate) else candidate
    try:
        if _ISO_DATE.match(candidate):
            parsed = dt.datetime.combine(dt.date.fromisoformat(candidate), dt.time.min)
        else:
            parsed = dt.datetime.fromisoformat(candidate)
    except ValueError:
        m = _ISO_LOOSE.match(value)
        if not m:
            raise _unreadable(value) from None
        year, month, day, hour, minute, second_s, micro, ampm, zone_text = m.groups()
        return _from_parts(value, year, month, day, hour, minute, second_s, micro, ampm, zone_text)
    return _aware(parsed)


def _bounded(parsed: dt.datetime) -> dt.datetime:
    """CRM dates lie within core.safety's bounds (a 0001 or 9999 date breaks every KPI period after it)."""
    if not date_in_range(parsed):
        raise ValueError_(date_range_message())
    return parsed
