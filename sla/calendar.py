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
        """Working seconds in [start, end); 0 when end is not after start."""
        if end <= start:
            return 0
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        total = 0.0
        steps = 0
        while day <= last and steps < MAX_DAYS:
            hours = self.window(day)
            if hours is not None:
                lo, hi = max(hours[0], start), min(hours[1], end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
            steps += 1
        return int(total)

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
