"""The working-hours arithmetic of a clock case (sla.calendar) as SQL, so that PostgreSQL measures every case of a
query in the query itself: deadline, status, working hours taken and working hours overdue.

sla.calendar stays the reference (and the SQLite path); ``tests/sla/test_clock_sql.py`` checks this module against
it on random cases. A KPI refresh at a million leads measured ~45,000 cases a month in Python (about 70 µs each, and
as much again to read their timestamps into Python); here the board's tallies read two small columns per case.

How: the days of the calendar are laid out once per query as a table built from arrays passed as parameters (per day
the number of working days before it and whether it is one; and the working days in order). Every working day is
equally long (``day_start`` to ``day_end``, wall clock), so the working seconds from the start of ``first_day`` to a
moment t are

    cum(t) = before(day(t)) × length + works(day(t)) × clip(seconds of t's wall clock − day_start, 0, length)

and the working seconds between two moments are a difference of two such values, as sla.calendar counts them (first
and last day clipped, whole days between). A deadline N working hours after a start is the moment where cum reaches
cum(start) + N × 3600: on the ``ceil(target / length)``-th working day, at ``day_start`` plus the rest. Like
sla.calendar, a clock counts at most ``MAX_DAYS`` calendar days from the day it starts."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from .calendar import MAX_DAYS, WorkCalendar

# Days after the last start a query asks about that the arrays also cover: a deadline (sla.calendar looks for it
# within MAX_DAYS) and the MAX_DAYS a clock may count from it. A deadline beyond them comes back as NULL.
REACH_DAYS = 2 * MAX_DAYS


@lru_cache(maxsize=32)
def calendar_arrays(
    calendar: WorkCalendar, first_day: dt.date, last_day: dt.date
) -> tuple[list[int], list[int], list[dt.date]]:
    """Per day of first_day..last_day the working days before it and whether it is one (1/0); then the working days
    in order (see the module docstring)."""
    before, works, working_days = [], [], []
    day = first_day
    while day <= last_day:
        before.append(len(working_days))
        if calendar.is_working_day(day):
            working_days.append(day)
            works.append(1)
        else:
            works.append(0)
        day += dt.timedelta(days=1)
    return before, works, working_days


def _clip(local: str) -> str:
    """Working seconds of a working day up to the wall-clock moment ``local`` (a timestamp without zone)."""
    return f"LEAST(GREATEST(EXTRACT(EPOCH FROM ({local})::time) - k.day_start, 0), k.length)"


def measured(
    inner_sql: str,
    inner_params: tuple,
    columns: list[str],
    *,
    calendar: WorkCalendar,
    hours: int,
    start_column: str,
    stop_columns: list[str],
    at: dt.datetime,
    first_day: dt.date,
    last_day: dt.date,
) -> tuple[str, list]:
    """SQL and parameters that select the rows of ``inner_sql`` (whose columns are ``columns``, in order; the first
    is the key) with more: ``stopped_at`` (the first stop), ``deadline`` (NULL when the calendar has no such moment
    within MAX_DAYS), ``status`` (met, breached, pending; NULL without a deadline), ``taken_seconds`` (NULL while
    the clock runs) and ``overdue_seconds`` (past the deadline, until the stop or ``at``), ordered by start and key.

    Every start must lie in first_day..last_day (local days); stops and ``at`` may lie anywhere. The days are
    tables joined by date (a large array subscripted per row is copied per access: ten times slower)."""
    before, works, working_days = calendar_arrays(calendar, first_day, last_day + dt.timedelta(days=REACH_DAYS))
    day_start = calendar.day_start.hour * 3600 + calendar.day_start.minute * 60 + calendar.day_start.second
    day_end = calendar.day_end.hour * 3600 + calendar.day_end.minute * 60 + calendar.day_end.second
    started = f"c.{start_column}"
    stopped = f"LEAST({', '.join(f'c.{name}' for name in stop_columns)})"
    last = MAX_DAYS - 1
    overdue = f"dov.before * k.length + dov.works * {_clip('e.overdue_local')} - e.target_cum"
    # Built from our own column names and expressions; every value is a parameter.
    sql = f"""
        WITH k AS (
            SELECT %s::int[] AS before, %s::int[] AS works, %s::date[] AS working_days, %s::date AS first_day,
                   %s::text AS tz, %s::float8 AS day_start, %s::float8 AS length, %s::float8 AS hours,
                   %s::timestamptz AS at
        ), days AS (
            SELECT k.first_day + (t.n - 1)::int AS day, t.before, t.works
            FROM k, unnest(k.before, k.works) WITH ORDINALITY AS t(before, works, n)
        ), workdays AS (
            SELECT (w.n - 1)::int AS ordinal, w.day FROM k, unnest(k.working_days) WITH ORDINALITY AS w(day, n)
        ), c AS (
            SELECT c.*, {stopped} AS stopped_at, ({started} AT TIME ZONE k.tz) AS start_local
            FROM ({inner_sql}) AS c({", ".join(columns)}) CROSS JOIN k
        ), s AS (
            SELECT c.*, d.before * k.length + d.works * {_clip("c.start_local")} AS start_cum
            FROM c CROSS JOIN k JOIN days AS d ON d.day = c.start_local::date
        ), t AS (
            SELECT s.*, s.start_cum + k.hours * 3600 AS target_cum,
                   CEIL((s.start_cum + k.hours * 3600) / k.length)::int - 1 AS ordinal
            FROM s CROSS JOIN k
        ), d AS (
            SELECT t.*, w.day AS deadline_day,
                   (w.day + make_interval(secs => k.day_start + t.target_cum - t.ordinal * k.length))
                       AT TIME ZONE k.tz AS deadline
            FROM t CROSS JOIN k LEFT JOIN workdays AS w ON w.ordinal = t.ordinal
        ), e AS (
            SELECT d.*,
                   CASE WHEN d.stopped_at IS NOT NULL THEN CASE WHEN d.stopped_at <= d.deadline THEN 'met'
                                                                ELSE 'breached' END
                        WHEN k.at > d.deadline THEN 'breached'
                        WHEN d.deadline IS NOT NULL THEN 'pending' END AS status,
                   LEAST(d.stopped_at AT TIME ZONE k.tz, (d.start_local::date + {last} + 1)::timestamp) AS taken_local,
                   LEAST(COALESCE(d.stopped_at, k.at) AT TIME ZONE k.tz, (d.deadline_day + {last} + 1)::timestamp)
                       AS overdue_local
            FROM d CROSS JOIN k
        )
        SELECT e.*,
               CASE WHEN e.stopped_at IS NULL THEN NULL
                    WHEN e.stopped_at > e.{start_column}
                    THEN FLOOR(dt.before * k.length + dt.works * {_clip("e.taken_local")} - e.start_cum)
                    ELSE 0 END AS taken_seconds,
               CASE WHEN COALESCE(e.stopped_at, k.at) > e.deadline
                    THEN GREATEST(FLOOR({overdue}), 0)
                    ELSE 0 END AS overdue_seconds
        FROM e CROSS JOIN k
        LEFT JOIN days AS dt ON dt.day = e.taken_local::date
        LEFT JOIN days AS dov ON dov.day = e.overdue_local::date
    """  # noqa: S608
    params = [before, works, working_days, first_day, calendar.time_zone, day_start, day_end - day_start, hours, at]
    return sql, [*params, *inner_params]
