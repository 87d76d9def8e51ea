"""Read side of the handover SLAs, shared by the SLA pages, the board KPIs (reporting.kpis) and the weekly review.

How a case is measured (the README's "Handover SLAs" states the same):

- **MQL → response** (rule ``mql_response``): the clock starts when the lead became an MQL and stops at the first
  of: accepted by sales (SAL date), rejected by sales, disqualified, recycled to marketing.
- **SAL → first contact** (rule ``sal_first_contact``): the clock starts when sales accepted the lead (SAL date)
  and stops at the first of: first sales contact, SQL, opportunity, customer, disqualified (reaching a later stage
  means sales has been in touch).
- The clock counts working hours of the company's calendar (sla.calendar). A case **meets** the rule when the
  clock stopped within the rule's hours; it is **breached** when it stopped later, or has not stopped and the
  deadline has passed (an **open breach**); it is **pending** while it runs within the deadline (not counted).
- **Compliance** of a rule in a period = met ÷ (met + breached) × 100 over the cases whose clock started in the
  period (cohort by start).
- **Lead volume** (rule ``lead_volume``): per month, the leads reaching the company's qualified stage in each focus
  segment (the stage's date, else a later stage's date); a month meets the rule in a segment with at least the
  rule's number; compliance = segments met ÷ focus segments × 100. A running month is not judged yet.

Query counts are fixed: one query for the calendar, one for the rules, one per clock rule and period range, one
grouped query for the volume. The working-hours arithmetic runs in that query on PostgreSQL (sla.clock_sql, the
holiday calendar passed in as a table of days) and per case in Python (sla.calendar, the reference) elsewhere.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.tenancy import for_company
from crm.models import Lead

from . import clock_sql
from .calendar import WorkCalendar
from .leads import reporting_choices
from .models import DEFAULT_RULES, SlaCalendar, SlaRule

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
OPEN_BREACH_LOOKBACK_DAYS = 90
STAGE_FIELDS = ["mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at"]

# Per clock rule: the date that starts the clock and the dates of which the first stops it.
CLOCKS: dict[str, tuple[str, tuple[str, ...]]] = {
    SlaRule.Kind.MQL_RESPONSE: ("mql_at", ("sal_at", "rejected_at", "disqualified_at", "recycled_at")),
    SlaRule.Kind.SAL_FIRST_CONTACT: (
        "sal_at",
        ("first_contact_at", "sql_at", "opportunity_at", "customer_at", "disqualified_at"),
    ),
}

MET, BREACHED, PENDING = "met", "breached", "pending"


# ------------------------------------------------------------------------------------------------ calendar, rules


def sla_calendar(company) -> SlaCalendar:
    """The company's saved calendar, else unsaved defaults (reading never writes)."""
    found = SlaCalendar.objects.for_company(company).first()
    return found if found is not None else SlaCalendar(company=company)


def work_calendar(calendar: SlaCalendar) -> WorkCalendar:
    return WorkCalendar(
        time_zone=calendar.time_zone,
        country=calendar.country,
        subdivision=calendar.subdivision,
        day_start=calendar.day_start,
        day_end=calendar.day_end,
    )


def sla_rules(company) -> list[SlaRule]:
    """Every rule kind in a fixed order: the saved rule, else an unsaved one with the defaults."""
    saved = {rule.kind: rule for rule in SlaRule.objects.for_company(company)}
    return [
        saved.get(kind) or SlaRule(company=company, kind=kind, **DEFAULT_RULES[kind]) for kind in SlaRule.Kind.values
    ]


# ------------------------------------------------------------------------------------------------------ clock cases


@dataclass
class ClockCase:
    lead_id: int
    external_id: str
    owner: str
    segment: str
    started_at: dt.datetime
    deadline: dt.datetime
    stopped_at: dt.datetime | None
    status: str  # met | breached | pending
    hours_taken: float | None  # working hours from start to stop (None while the clock runs)
    hours_overdue: float  # working hours past the deadline (until the stop, or until now)


def _case(calendar: WorkCalendar, rule: SlaRule, row: dict, start_field: str, stops: tuple, at: dt.datetime):
    """One case measured in Python by sla.calendar (the reference; SQLite, and what PostgreSQL cannot place)."""
    started = row[start_field]
    stop_times = [row[name] for name in stops if row[name] is not None]
    stopped = min(stop_times) if stop_times else None
    deadline = calendar.deadline(started, rule.hours)
    if stopped is not None:
        taken = calendar.working_hours(started, stopped) if stopped > started else 0.0
        overdue = calendar.working_hours(deadline, stopped) if stopped > deadline else 0.0
    else:
        taken = None
        overdue = calendar.working_hours(deadline, at) if at > deadline else 0.0
    return _clock_case(row, started, deadline, stopped, taken, overdue, at)


def _clock_case(row: dict, started, deadline, stopped, taken, overdue, at) -> ClockCase:
    if stopped is not None:
        status = MET if stopped <= deadline else BREACHED
    else:
        status = BREACHED if at > deadline else PENDING
    return ClockCase(
        lead_id=row["pk"],
        external_id=row["external_id"],
        owner=row["owner"],
        segment=row["segment"],
        started_at=started,
        deadline=deadline,
        stopped_at=stopped,
        status=status,
        hours_taken=taken,
        hours_overdue=overdue,
    )


def _clock_query(rows, calendar: WorkCalendar, rule: SlaRule, start_field: str, stops: tuple, at, first, last):
    """sla.clock_sql's measuring query around ``rows`` (the case columns); every start lies in [first, last]."""
    columns = ["pk", "external_id", "owner", "segment", start_field, *stops]
    inner_sql, inner_params = rows.values_list(*columns).query.sql_with_params()
    return clock_sql.measured(
        inner_sql,
        inner_params,
        columns,
        calendar=calendar,
        hours=rule.hours,
        start_column=start_field,
        stop_columns=list(stops),
        at=at,
        first_day=first.astimezone(calendar.tz).date(),
        last_day=last.astimezone(calendar.tz).date(),
    )


def _measured_cases(
    rows, calendar: WorkCalendar, rule: SlaRule, start_field: str, stops: tuple, at: dt.datetime, first, last
) -> list[ClockCase]:
    """The cases of ``rows`` (a values() queryset of the case columns, ordered by start and key) measured at ``at``;
    every start lies in [first, last]. On PostgreSQL the working-hours arithmetic runs in the query
    (sla.clock_sql), else per case in Python."""
    if connection.vendor != "postgresql":
        return [_case(calendar, rule, row, start_field, stops, at) for row in rows]
    sql, params = _clock_query(rows, calendar, rule, start_field, stops, at, first, last)
    cases = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS cases ORDER BY {start_field}, pk", params)  # noqa: S608
        names = [column.name for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            if row["status"] is None:  # no deadline within MAX_DAYS: the calendar says what it is
                cases.append(_case(calendar, rule, row, start_field, stops, at))
                continue
            taken = row["taken_seconds"]
            cases.append(
                _clock_case(
                    row,
                    row[start_field],
                    row["deadline"],
                    row["stopped_at"],
                    None if taken is None else int(taken) / 3600,
                    int(row["overdue_seconds"]) / 3600,
                    at,
                )
            )
    return cases


def clock_cases(
    company, rule: SlaRule, *, start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, at: dt.datetime
) -> list[ClockCase]:
    """The cases of a clock rule whose clock started in [start, end), measured at ``at``. One query."""
    start_field, stops = CLOCKS[rule.kind]
    rows = (
        for_company(Lead, company)
        .filter(**{f"{start_field}__gte": start, f"{start_field}__lt": end})
        .order_by(start_field, "pk")
        .values("pk", "external_id", "owner", "segment", start_field, *stops)
    )
    return _measured_cases(rows, calendar, rule, start_field, stops, at, start, end)


@dataclass
class Tally:
    met: int = 0
    breached: int = 0
    pending: int = 0
    unanswered: int = 0  # clocks still running (pending, or breached and still waiting)
    hours: list[float] = field(default_factory=list)  # working hours taken by the stopped cases

    def add(self, case: ClockCase) -> None:
        self.count(case.status, case.hours_taken)

    def count(self, status: str, hours_taken: float | None) -> None:
        """One case by its status and the working hours it took (None while its clock runs)."""
        if status == MET:
            self.met += 1
        elif status == BREACHED:
            self.breached += 1
        else:
            self.pending += 1
        if hours_taken is not None:
            self.hours.append(hours_taken)
        else:
            self.unanswered += 1

    @classmethod
    def merged(cls, tallies) -> Tally:
        """One tally of the cases of several (disjoint) tallies."""
        total = cls()
        for tally in tallies:
            total.met += tally.met
            total.breached += tally.breached
            total.pending += tally.pending
            total.unanswered += tally.unanswered
            total.hours.extend(tally.hours)
        return total

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> Decimal | None:
        if not self.judged:
            return None
        return (Decimal(self.met) * HUNDRED / Decimal(self.judged)).quantize(CENT)

    @property
    def median_hours(self) -> Decimal | None:
        if not self.hours:
            return None
        return Decimal(str(statistics.median(self.hours))).quantize(CENT)


def clock_summary(company, *, start: dt.datetime, end: dt.datetime, at: dt.datetime | None = None) -> dict:
    """What the board KPIs need for one period: per clock rule (active or not) its tally. Three queries plus one
    per clock rule. Inside :func:`clock_memo` (a KPI refresh) a period of whole months is put together from the
    tallies of its months, each computed once, at the memo's one moment."""
    memo = _memo.get()
    if memo is None:
        return _clock_summary(company, start=start, end=end, at=at or timezone.now())
    months = _whole_months(start, end)
    if not months:
        return memo.summary(company, start, end)
    parts = [memo.summary(company, month_start, month_end) for month_start, month_end in months]
    return {kind: {"rule": parts[0][kind]["rule"], "tally": Tally.merged(p[kind]["tally"] for p in parts)}
            for kind in CLOCKS}  # fmt: skip


def _clock_summary(company, *, start: dt.datetime, end: dt.datetime, at: dt.datetime) -> dict:
    calendar = work_calendar(sla_calendar(company))
    rules = {rule.kind: rule for rule in sla_rules(company)}
    return {
        kind: {
            "rule": rules[kind],
            "tally": clock_tally(company, rules[kind], start=start, end=end, calendar=calendar, at=at),
        }
        for kind in CLOCKS
    }


def clock_tally(
    company, rule: SlaRule, *, start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, at: dt.datetime
) -> Tally:
    """The tally of :func:`clock_cases` (the same cases), reading only each case's status and hours. One query."""
    if connection.vendor != "postgresql":
        return _tally(clock_cases(company, rule, start=start, end=end, calendar=calendar, at=at))
    start_field, stops = CLOCKS[rule.kind]
    rows = for_company(Lead, company).filter(**{f"{start_field}__gte": start, f"{start_field}__lt": end})
    sql, params = _clock_query(rows, calendar, rule, start_field, stops, at, start, end)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, taken_seconds FROM ({sql}) AS cases", params)  # noqa: S608
        measured = cursor.fetchall()
    if any(status is None for status, _taken in measured):  # a case without a deadline: measure them all in Python
        return _tally(clock_cases(company, rule, start=start, end=end, calendar=calendar, at=at))
    tally = Tally()
    for status, taken in measured:
        tally.count(status, None if taken is None else int(taken) / 3600)
    return tally


def _tally(cases) -> Tally:
    tally = Tally()
    for case in cases:
        tally.add(case)
    return tally


class _Memo:
    """The tallies computed during one KPI refresh, by (company, start, end), all at one moment."""

    def __init__(self, at: dt.datetime):
        self.at = at
        self.tallies: dict[tuple, dict] = {}

    def summary(self, company, start: dt.datetime, end: dt.datetime) -> dict:
        key = (company.pk, start, end)
        if key not in self.tallies:
            self.tallies[key] = _clock_summary(company, start=start, end=end, at=self.at)
        return self.tallies[key]


_memo: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("sla_clock_memo", default=None)


@contextmanager
def clock_memo(at: dt.datetime | None = None) -> Iterator[None]:
    """Within the block, :func:`clock_summary` measures every case at one moment and computes each month once: a KPI
    refresh asks for months, quarters and cycles that overlap (a million leads: each case once instead of once per
    period and KPI)."""
    token = _memo.set(_Memo(at or timezone.now()))
    try:
        yield
    finally:
        _memo.reset(token)


def _whole_months(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) as its calendar months (in start's time zone), or [] when it is not made of whole months."""
    local = timezone.localtime(start)
    if (local.day, local.hour, local.minute, local.second, local.microsecond) != (1, 0, 0, 0, 0):
        return []
    months = []
    cursor = local
    while cursor < end:
        following = (cursor.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        following = timezone.make_aware(following.replace(tzinfo=None), cursor.tzinfo)
        months.append((cursor, following))
        cursor = following
    return months if cursor == end and len(months) > 1 else []


# ------------------------------------------------------------------------------------------------------ periods


@dataclass(frozen=True)
class Month:
    start: dt.datetime  # aware, company time zone
    end: dt.datetime  # exclusive

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def first_day(self) -> dt.date:
        return self.start.date()


def recent_months(calendar: WorkCalendar, *, count: int, at: dt.datetime) -> list[Month]:
    """The ``count`` calendar months up to and including the one of ``at``, oldest first, in the company's zone."""
    local = at.astimezone(calendar.tz)
    year, month = local.year, local.month
    months = []
    for _i in range(count):
        start = dt.datetime(year, month, 1, tzinfo=calendar.tz)
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        months.append(Month(start=start, end=dt.datetime(next_year, next_month, 1, tzinfo=calendar.tz)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def _reached(stage: str):
    names = STAGE_FIELDS[STAGE_FIELDS.index(f"{stage}_at") :]
    return Coalesce(*names)


def volume_counts(company, *, stage: str, segments: list[str], start: dt.datetime, end: dt.datetime, tz) -> dict:
    """{(month key, segment): leads reaching ``stage`` in that month} for the focus segments. One grouped query."""
    if not segments:
        return {}
    rows = (
        for_company(Lead, company)
        .filter(segment__in=segments)
        .annotate(reached=_reached(stage))
        .filter(reached__gte=start, reached__lt=end)
        .annotate(month=TruncMonth("reached", tzinfo=tz))
        .values("month", "segment")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(f"{row['month'].astimezone(tz):%Y-%m}", row["segment"]): row["n"] for row in rows}


@dataclass
class Cell:
    month: Month
    tally: Tally | None = None  # clock rules
    segments: dict[str, int] | None = None  # volume rule: qualified leads per focus segment
    segments_met: int = 0
    running: bool = False

    @property
    def percent(self) -> Decimal | None:
        if self.tally is not None:
            return self.tally.percent
        if self.running or not self.segments:
            return None
        return (Decimal(self.segments_met) * HUNDRED / Decimal(len(self.segments))).quantize(CENT)


@dataclass
class RuleRow:
    rule: SlaRule
    cells: list[Cell]

    def meets_target(self, cell: Cell) -> bool | None:
        percent = cell.percent
        return None if percent is None else percent >= self.rule.target_percent


def compliance_table(company, *, months: int = 6, at: dt.datetime | None = None) -> dict:
    """Compliance of every active rule per month for the last ``months`` months (the current one included)."""
    at = at or timezone.now()
    saved_calendar = sla_calendar(company)
    calendar = work_calendar(saved_calendar)
    periods = recent_months(calendar, count=months, at=at)
    start, end = periods[0].start, periods[-1].end
    stage, segments = reporting_choices(company)
    rows = []
    for rule in sla_rules(company):
        if not rule.is_active:
            continue
        cells = {month.key: Cell(month=month) for month in periods}
        if rule.is_clock:
            for cell in cells.values():
                cell.tally = Tally()
            for case in clock_cases(company, rule, start=start, end=end, calendar=calendar, at=at):
                cells[f"{case.started_at.astimezone(calendar.tz):%Y-%m}"].tally.add(case)
        else:
            counts = volume_counts(company, stage=stage, segments=segments, start=start, end=end, tz=calendar.tz)
            for key, cell in cells.items():
                cell.segments = {segment: counts.get((key, segment), 0) for segment in segments}
                cell.segments_met = sum(1 for n in cell.segments.values() if n >= rule.monthly_leads)
                cell.running = cell.month.end > at
        rows.append(RuleRow(rule=rule, cells=list(cells.values())))
    return {
        "calendar": saved_calendar,
        "months": periods,
        "rows": rows,
        "qualified_stage": stage,
        "segments": segments,
    }


# ------------------------------------------------------------------------------------------------- open breaches


@dataclass(frozen=True)
class Breach:
    lead_id: int
    external_id: str
    owner: str
    segment: str
    rule_kind: str
    rule_label: str
    started_at: dt.datetime
    deadline: dt.datetime
    hours_overdue: Decimal  # working hours past the deadline


def open_breaches(
    company, *, at: dt.datetime | None = None, since: dt.datetime | None = None, limit: int | None = None
) -> list[Breach]:
    """Cases of the active clock rules whose deadline has passed at ``at`` (default now) while the clock still
    runs: the lead, its owner, the rule, and how many working hours it is overdue — most overdue first.

    Only clocks started since ``since`` (default: 90 days before ``at``) count, so a CRM's ancient unworked leads
    do not fill the list forever. Queries: calendar, rules, one per active clock rule.
    """
    at = at or timezone.now()
    since = since or at - dt.timedelta(days=OPEN_BREACH_LOOKBACK_DAYS)
    calendar = work_calendar(sla_calendar(company))
    breaches = []
    for rule in sla_rules(company):
        if not rule.is_active or not rule.is_clock:
            continue
        start_field, stops = CLOCKS[rule.kind]
        # Only clocks that still run, and whose start is at least the rule's hours back (none younger can be late).
        rows = (
            Lead.objects.filter(
                company=company,
                **{f"{start_field}__gte": since, f"{start_field}__lt": at},
                **{f"{name}__isnull": True for name in stops},
            )
            .order_by(start_field, "pk")
            .values("pk", "external_id", "owner", "segment", start_field, *stops)
        )
        for case in _measured_cases(rows, calendar, rule, start_field, stops, at, since, at):
            if case.status != BREACHED:
                continue
            breaches.append(
                Breach(
                    lead_id=case.lead_id,
                    external_id=case.external_id,
                    owner=case.owner,
                    segment=case.segment,
                    rule_kind=rule.kind,
                    rule_label=str(rule.get_kind_display()),
                    started_at=case.started_at,
                    deadline=case.deadline,
                    hours_overdue=Decimal(str(case.hours_overdue)).quantize(Decimal("0.1")),
                )
            )
    breaches.sort(key=lambda b: (-b.hours_overdue, b.started_at, b.lead_id))
    return breaches[:limit] if limit is not None else breaches


# ------------------------------------------------------------------------------------------------ feedback loop

NO_REASON = ""


def rejection_feedback(company, *, start: dt.datetime, end: dt.datetime, limit: int = 200) -> dict:
    """The leads sales rejected or recycled in [start, end): the reason mix (grouped in the database) and the
    latest ``limit`` leads with owner, reason and dates. Two queries."""
    leads = Lead.objects.filter(
        Q(company=company)
        & (Q(rejected_at__gte=start, rejected_at__lt=end) | Q(recycled_at__gte=start, recycled_at__lt=end))
    )
    mix = list(
        leads.values("rejection_reason")
        .annotate(
            n=Count("pk"),
            rejected=Count("pk", filter=Q(rejected_at__gte=start, rejected_at__lt=end)),
            recycled=Count("pk", filter=Q(recycled_at__gte=start, recycled_at__lt=end)),
        )
        .order_by("-n", "rejection_reason")
    )
    total = sum(row["n"] for row in mix)
    for row in mix:
        row["percent"] = (Decimal(row["n"]) * HUNDRED / Decimal(total)).quantize(Decimal("0.1")) if total else None
    rows = list(
        leads.annotate(when=Coalesce("rejected_at", "recycled_at"))
        .order_by("-when", "-pk")
        .values(
            "pk", "external_id", "owner", "segment", "channel", "mql_at", "rejected_at", "recycled_at",
            "rejection_reason",
        )[:limit]
    )  # fmt: skip
    return {"mix": mix, "total": total, "leads": rows, "limit": limit}
