"""Reporting periods: calendar months, fiscal quarters and OKR cycles.

Quarters follow ``Company.fiscal_year_start_month``. A fiscal year is named after the calendar year it starts in:
with a fiscal year starting in April, "2026-Q1" is April–June 2026 and "2026-Q4" is January–March 2027.
Period boundaries are dates (``end`` inclusive); :meth:`Period.datetime_range` turns them into aware datetimes in
the project's time zone, end exclusive, which is what the KPI queries filter on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.safety import DATE_MIN, clamp_date
from objectives.models import Cycle

KINDS = ("month", "quarter", "cycle")


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive
    key: str
    label: str

    def datetime_range(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, day after end 00:00) as aware datetimes in the current time zone (within the date bounds
        of core.safety, so a cycle stored as 0001-01-01–9999-12-31 before they existed cannot overflow)."""
        tz = timezone.get_default_timezone()
        start = dt.datetime.combine(clamp_date(self.start), dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(clamp_date(self.end) + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    @property
    def cycle_id(self) -> int | None:
        if self.kind != "cycle":
            return None
        return int(self.key.removeprefix("cycle-"))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _month(on: dt.date) -> Period:
    start = on.replace(day=1)
    return Period(
        kind="month",
        start=start,
        end=_month_end(on.year, on.month),
        key=f"{on.year:04d}-{on.month:02d}",
        label=formats.date_format(start, "YEAR_MONTH_FORMAT"),
    )


def _quarter(on: dt.date, fiscal_start_month: int) -> Period:
    offset = (on.month - fiscal_start_month) % 12  # months since the fiscal year began
    quarter = offset // 3 + 1
    fy_start_year, fy_start_month = _add_months(on.year, on.month, -offset)
    q_year, q_month = _add_months(fy_start_year, fy_start_month, (quarter - 1) * 3)
    end_year, end_month = _add_months(q_year, q_month, 2)
    if fiscal_start_month == 1:
        label = _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": fy_start_year}
    else:
        label = _("Q%(quarter)s FY %(year)s/%(next)s") % {
            "quarter": quarter,
            "year": fy_start_year,
            "next": f"{(fy_start_year + 1) % 100:02d}",
        }
    return Period(
        kind="quarter",
        start=dt.date(q_year, q_month, 1),
        end=_month_end(end_year, end_month),
        key=f"{fy_start_year:04d}-Q{quarter}",
        label=label,
    )


def cycle_period(cycle) -> Period:
    """The period of an OKR cycle: its own start and end dates (clamped to the date bounds, see datetime_range)."""
    return Period(kind="cycle", start=clamp_date(cycle.start_date), end=clamp_date(cycle.end_date),
                  key=f"cycle-{cycle.pk}", label=cycle.name)  # fmt: skip


def _cycle_on(company, on: dt.date):
    """The most specific cycle covering ``on``: the one that started last (a quarter inside a year wins)."""
    return (
        Cycle.objects.filter(company=company, start_date__lte=on, end_date__gte=on)
        .order_by("-start_date", "end_date", "id")
        .first()
    )


def period_for(*, company, kind: str, on: dt.date) -> Period:
    """The period of ``kind`` containing ``on``. For ``cycle``: the most specific cycle covering the day
    (ValueError when no cycle covers it)."""
    if kind == "month":
        return _month(on)
    if kind == "quarter":
        return _quarter(on, company.fiscal_year_start_month)
    if kind == "cycle":
        cycle = _cycle_on(company, on)
        if cycle is None:
            raise ValueError(f"No cycle covers {on.isoformat()}.")
        return cycle_period(cycle)
    raise ValueError(f"Unknown period kind {kind!r}.")


def periods_between(*, company, kind: str, start: dt.date, end: dt.date) -> list[Period]:
    """Every period of ``kind`` that overlaps [start, end] (clamped to core.safety's date bounds), oldest
    first."""
    start, end = clamp_date(start), clamp_date(end)
    if end < start:
        return []
    if kind == "cycle":
        cycles = Cycle.objects.filter(company=company, start_date__lte=end, end_date__gte=start).order_by(
            "start_date", "end_date", "id"
        )
        return [cycle_period(c) for c in cycles]
    if kind not in KINDS:
        raise ValueError(f"Unknown period kind {kind!r}.")
    periods = []
    current = period_for(company=company, kind=kind, on=start)
    while current.start <= end:
        periods.append(current)
        current = period_for(company=company, kind=kind, on=current.end + dt.timedelta(days=1))
    return periods


def previous_period(period: Period, *, company) -> Period | None:
    """The period before ``period``: the previous month/quarter, or for a cycle the latest earlier cycle of the
    same kind (None when there is none)."""
    if period.kind in ("month", "quarter"):
        if period.start <= DATE_MIN:
            return None
        return period_for(company=company, kind=period.kind, on=period.start - dt.timedelta(days=1))

    cycle = Cycle.objects.filter(company=company, pk=period.cycle_id).only("kind", "start_date").first()
    if cycle is None:
        return None
    previous = (
        Cycle.objects.filter(company=company, kind=cycle.kind, end_date__lt=cycle.start_date)
        .order_by("-end_date", "-start_date", "-id")
        .first()
    )
    return cycle_period(previous) if previous else None


def localized_label(*, kind: str, key: str, start: dt.date, stored: str = "", fiscal_start_month: int = 1) -> str:
    """A period's name in the active language ("December 2026" / "Dezember 2026", "Q4 2026"), whatever language the
    refresh that stored it ran in; a cycle keeps its own name."""
    if kind == "month":
        return formats.date_format(start, "YEAR_MONTH_FORMAT")
    if kind == "quarter":
        return str(_quarter(start, fiscal_start_month).label)
    return stored or key


def short_range(start: dt.date, end: dt.date) -> str:
    """A short date range in the active language: "1–6 Nov 2026" / "1.–6. Nov 2026" (the days a running period is
    compared on)."""
    from django.utils.translation import get_language

    dot = "." if (get_language() or "").startswith("de") else ""

    def day(d: dt.date) -> str:
        return f"{d.day}{dot}"

    if start == end:
        return f"{day(end)} {formats.date_format(end, 'M Y')}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{day(start)}–{day(end)} {formats.date_format(end, 'M Y')}"
    if start.year == end.year:
        return f"{day(start)} {formats.date_format(start, 'M')} – {day(end)} {formats.date_format(end, 'M Y')}"
    return f"{day(start)} {formats.date_format(start, 'M Y')} – {day(end)} {formats.date_format(end, 'M Y')}"


def parse_period_key(*, company, key: str) -> Period:
    """The period for a key ("2026-03", "2026-Q1", "cycle-12"); ValueError for anything else or another
    company's cycle."""
    import re

    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(key)
        return _month(dt.date(year, month, 1))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        fy_year, quarter = int(m[1]), int(m[2])
        year, month = _add_months(fy_year, company.fiscal_year_start_month, (quarter - 1) * 3)
        return _quarter(dt.date(year, month, 1), company.fiscal_year_start_month)
    if m := re.fullmatch(r"cycle-(\d+)", key):
        cycle = Cycle.objects.filter(company=company, pk=int(m[1])).first()
        if cycle is None:
            raise ValueError(key)
        return cycle_period(cycle)
    raise ValueError(key)
