"""Working hours against hand-computed fixtures: weekends, public holidays (national and regional), time zones,
clocks started outside working hours, a daylight-saving change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import WorkCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
GERMANY = WorkCalendar(time_zone="Europe/Berlin", country="DE")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_mql_on_friday_afternoon_before_whit_monday():
    # Fri 22 May 2026 16:00: 1 h on Friday, the weekend and Whit Monday (25 May) off, then 8 h a day:
    # Tue 8 (9), Wed 8 (17), Thu 7 more -> Thu 28 May 16:00 Berlin.
    assert GERMANY.holiday_name(dt.date(2026, 5, 25))
    assert GERMANY.deadline(berlin(2026, 5, 22, 16, 0), 24) == berlin(2026, 5, 28, 16, 0)
    # answered Tue 26 May 10:30: 1 h Friday + 1.5 h Tuesday
    assert GERMANY.working_hours(berlin(2026, 5, 22, 16, 0), berlin(2026, 5, 26, 10, 30)) == 2.5


def test_a_weekend_without_holiday_counts_nothing():
    assert GERMANY.working_hours(berlin(2026, 5, 15, 16, 0), berlin(2026, 5, 18, 10, 0)) == 2.0
    assert GERMANY.working_hours(berlin(2026, 5, 16, 10, 0), berlin(2026, 5, 17, 18, 0)) == 0


def test_the_same_moment_in_utc_gives_the_same_answer():
    start = dt.datetime(2026, 5, 22, 14, 0, tzinfo=dt.UTC)  # 16:00 in Berlin (CEST)
    assert GERMANY.deadline(start, 24) == dt.datetime(2026, 5, 28, 14, 0, tzinfo=dt.UTC)


def test_the_company_time_zone_and_country_decide():
    # 14:00 UTC on Friday is 10:00 in New York: 7 h on Friday; Memorial Day (25 May 2026) off; Tue 8 (15),
    # Wed 8 (23), Thu 1 -> Thu 28 May 10:00 New York = 14:00 UTC.
    us = WorkCalendar(time_zone="America/New_York", country="US")
    start = dt.datetime(2026, 5, 22, 14, 0, tzinfo=dt.UTC)
    assert us.deadline(start, 24) == dt.datetime(2026, 5, 28, 10, 0, tzinfo=NEW_YORK)
    assert us.deadline(start, 24) == dt.datetime(2026, 5, 28, 14, 0, tzinfo=dt.UTC)


def test_a_regional_holiday_counts_only_in_its_region():
    # Corpus Christi (Thu 4 June 2026) is a holiday in Bavaria, not in Hamburg.
    start = berlin(2026, 6, 3, 16, 0)
    assert WorkCalendar(time_zone="Europe/Berlin", country="DE", subdivision="HH").deadline(start, 8) == berlin(
        2026, 6, 4, 16, 0
    )
    assert WorkCalendar(time_zone="Europe/Berlin", country="DE", subdivision="BY").deadline(start, 8) == berlin(
        2026, 6, 5, 16, 0
    )


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        (berlin(2026, 5, 26, 7, 0), 2, berlin(2026, 5, 26, 11, 0)),  # before opening: from 9:00
        (berlin(2026, 5, 26, 18, 0), 2, berlin(2026, 5, 27, 11, 0)),  # after closing: next morning
        (berlin(2026, 5, 23, 12, 0), 8, berlin(2026, 5, 26, 17, 0)),  # Saturday before Whit Monday
        (berlin(2026, 5, 26, 9, 0), 8, berlin(2026, 5, 26, 17, 0)),  # exactly one working day
    ],
)
def test_clocks_outside_working_hours(start, hours, deadline):
    assert GERMANY.deadline(start, hours) == deadline


def test_daylight_saving_change_over_a_weekend():
    # Clocks go forward on Sun 29 March 2026; the working day stays 9-17 local time.
    assert GERMANY.working_hours(berlin(2026, 3, 27, 16, 0), berlin(2026, 3, 30, 10, 0)) == 2.0
    assert GERMANY.deadline(berlin(2026, 3, 27, 16, 0), 2) == berlin(2026, 3, 30, 10, 0)


def test_custom_working_day():
    early = WorkCalendar(time_zone="Europe/Berlin", country="DE", day_start=dt.time(8), day_end=dt.time(12, 30))
    assert early.working_hours(berlin(2026, 5, 26, 0, 0), berlin(2026, 5, 27, 0, 0)) == 4.5


def test_long_intervals_count_like_the_day_by_day_walk():
    """working_seconds counts whole days by month; it must give what the day-by-day walk gives, for any interval
    (weekends, Bavarian holidays, daylight-saving changes, month and year ends), and stop after MAX_DAYS alike."""
    import random

    from sla.calendar import MAX_DAYS, WorkCalendar

    calendar = WorkCalendar("Europe/Berlin", "DE", "BY", dt.time(8, 30), dt.time(17, 15))
    zone = calendar.tz

    def walk(start, end):
        first = start.astimezone(zone).date()
        last = min(end.astimezone(zone).date(), first + dt.timedelta(days=MAX_DAYS - 1))
        return int(calendar._clipped_seconds(start, end, first, last)) if end > start else 0

    rng = random.Random(7)
    base = dt.datetime(2025, 1, 1, tzinfo=zone)
    for _ in range(300):
        start = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
        end = start + dt.timedelta(minutes=rng.choice([rng.randrange(0, 60 * 24 * 5), rng.randrange(0, 60 * 24 * 400)]))
        assert calendar.working_seconds(start, end) == walk(start, end), (start, end)
    far = base + dt.timedelta(days=MAX_DAYS + 40)
    assert calendar.working_seconds(base, far) == walk(base, far)
