"""Working hours: how many of them lie between two moments, and when a clock of N working hours runs out.

A working day is a weekday (Monday to Friday) that is no public holiday of the company's country and region (the
maintained ``holidays`` library, e.g. ``DE`` with region ``BY``), from ``day_start`` to ``day_end`` in the
company's time zone. The days are laid out in local time, so a daylight-saving change does not shift them.
Pure functions of the calendar: no queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = frozenset({0, 1, 2, 3, 4})
MAX_DAYS = 3660  # a clock never runs longer than ten years of calendar days (guards a runaway loop)


@lru_cache(maxsize=64)
def _country_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    """One holiday table per region and process: building one takes about half a second (the library computes
    each year's dates on first use), a page needs it on every request."""
    return holidays.country_holidays(country, subdiv=subdivision or None)


@dataclass(frozen=True)
class WorkCalendar:
    time_zone: str
    country: str
    subdivision: str = ""
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    workdays: frozenset[int] = field(default=WEEKDAYS)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        # Years are filled in lazily by the library as dates are looked up.
        return _country_holidays(self.country, self.subdivision)

    @cached_property
    def _working_days(self) -> dict[dt.date, bool]:
        return {}

    def is_working_day(self, day: dt.date) -> bool:
        known = self._working_days.get(day)
        if known is None:  # the holiday lookup is the slow part of a clock: once per day and calendar
            known = self._working_days[day] = day.weekday() in self.workdays and day not in self._holidays
        return known

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day)

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working hours of ``day`` as two aware moments, or None on a day off."""
        if not self.is_working_day(day):
            return None
        return (
            dt.datetime.combine(day, self.day_start, tzinfo=self.tz),
            dt.datetime.combine(day, self.day_end, tzinfo=self.tz),
        )

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds in [start, end); 0 when end is not after start. The first and the last day are clipped
        to the interval; the whole days between count as many working days as they hold (counted per month and
        kept), so an overdue clock of months costs no more than one of days."""
        if end <= start:
            return 0
        first = start.astimezone(self.tz).date()
        last = min(end.astimezone(self.tz).date(), first + dt.timedelta(days=MAX_DAYS - 1))
        if (last - first).days < 3:
            return int(self._clipped_seconds(start, end, first, last))
        whole = self._working_day_count(first + dt.timedelta(days=1), last - dt.timedelta(days=1))
        ends = self._clipped_seconds(start, end, first, first) + self._clipped_seconds(start, end, last, last)
        return int(ends + whole * self._day_seconds)

    def _clipped_seconds(self, start: dt.datetime, end: dt.datetime, first: dt.date, last: dt.date) -> float:
        """Working seconds of the days first..last within [start, end), day by day."""
        total = 0.0
        day = first
        while day <= last:
            hours = self.window(day)
            if hours is not None:
                lo, hi = max(hours[0], start), min(hours[1], end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return total

    @cached_property
    def _day_seconds(self) -> float:
        # As window() measures a day: wall-clock hours (a daylight-saving change falls outside working hours).
        day = dt.date(2001, 1, 1)
        return (dt.datetime.combine(day, self.day_end) - dt.datetime.combine(day, self.day_start)).total_seconds()

    @cached_property
    def _month_counts(self) -> dict[tuple[int, int], int]:
        return {}

    def _month_count(self, year: int, month: int) -> int:
        key = (year, month)
        if key not in self._month_counts:
            day = dt.date(year, month, 1)
            following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            self._month_counts[key] = sum(
                self.is_working_day(day + dt.timedelta(days=n)) for n in range((following - day).days)
            )
        return self._month_counts[key]

    def _count_to(self, day: dt.date) -> int:
        """Working days from the first of ``day``'s month up to and including ``day``."""
        return sum(self.is_working_day(day.replace(day=n)) for n in range(1, day.day + 1))

    def _working_day_count(self, first: dt.date, last: dt.date) -> int:
        """How many working days first..last (inclusive) holds: the whole months between from a kept count per
        month, the two partial months by day."""
        if last < first:
            return 0
        if (first.year, first.month) == (last.year, last.month):
            return self._count_to(last) - self._count_to(first) + self.is_working_day(first)
        count = self._month_count(first.year, first.month) - self._count_to(first) + self.is_working_day(first)
        year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
        while (year, month) < (last.year, last.month):
            count += self._month_count(year, month)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return count + self._count_to(last)

    def working_hours(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.working_seconds(start, end) / 3600

    def deadline(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` working hours after ``start`` (a clock started outside working hours begins at the
        next working day's start)."""
        remaining = hours * 3600
        day = start.astimezone(self.tz).date()
        for _step in range(MAX_DAYS):
            window = self.window(day)
            if window is not None:
                lo, hi = max(window[0], start), window[1]
                if hi > lo:
                    available = (hi - lo).total_seconds()
                    if remaining <= available:
                        return lo + dt.timedelta(seconds=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
        return start + dt.timedelta(days=MAX_DAYS)
