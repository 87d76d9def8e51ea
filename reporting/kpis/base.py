"""What every board KPI is built from: the result and definition types, the company's reporting settings,
the one rule of "reached a funnel stage", and the small helpers the KPI families share."""

from __future__ import annotations

import bisect
import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Min, Q
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from budgets.selectors import spend_total
from crm.models import Lead, Opportunity
from objectives.models import Cycle

from ..models import KpiBinding, ReportingSettings
from ..periods import Period, _cycle_on

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


# Lifecycle stages in funnel order; reaching a later stage implies having passed the earlier ones.
STAGE_FIELDS = ["mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at"]


@dataclass
class KpiResult:
    key: str
    value: Decimal | None
    target: Decimal | None
    unit: str  # "currency" | "percent" | "number" | "days"
    breakdown: dict = field(default_factory=dict)  # JSON-serialisable: str/number values, Decimals as str


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str | Promise
    unit: str
    higher_is_better: bool
    compute: Callable[..., KpiResult]
    description: str | Promise = ""
    # "sum": adds up over time (amounts, counts): period targets are pro-rated by days (reporting.targets);
    # "rate": a rate or ratio: every period of a cycle has the cycle's target.
    aggregation: str = "rate"


def reporting_settings(company) -> ReportingSettings:
    """The company's reporting settings; unsaved defaults when it has none yet (reading never writes)."""
    found = ReportingSettings.objects.filter(company=company).first()
    return found if found is not None else ReportingSettings(company=company)


def stage_reached_at(stage: str):
    """When a lead reached ``stage`` ("mql"/"sal"/"sql"/"opportunity"/"customer") by its stage dates: the stage's
    own date, else the date of the next later stage it has (a lead that went straight to SQL counts as MQL and SAL
    on that date). Part (a) of :data:`REACHED_DEFINITION`; :func:`qualified_counts` adds part (b)."""
    names = STAGE_FIELDS[STAGE_FIELDS.index(f"{stage}_at") :]
    return Coalesce(*names) if len(names) > 1 else F(names[0])


# The ONE definition of "reached a funnel stage" (and so of "qualified"), used by every KPI — cost per qualified
# lead, qualified leads in focus segments and their growth count leads reaching the stage IN a period, the funnel
# counts the leads of a cohort that reached it BY NOW, all with this rule. The board's "How is this computed?"
# states the same text.
REACHED_DEFINITION = _(
    "A lead reaches a funnel stage (MQL, SAL, SQL, opportunity) (a) on that stage's date, else on the date of the "
    "next later stage it has (a lead that went straight to SQL was also MQL and SAL then); (b) a lead without any "
    "stage date that has an opportunity reaches every stage up to “opportunity” when its first opportunity was "
    "created; it is won when it has a customer date or a won opportunity. “Qualified” is the company's qualified "
    "stage (MQL unless set to SAL or SQL)."
)


def _undated_leads_reaching(company, start: dt.datetime, end: dt.datetime):
    """Part (b) of :data:`REACHED_DEFINITION`: the leads without any stage date whose first opportunity was created
    in [start, end). The opportunities are grouped by lead first and only the few leads whose first one falls in
    the period are looked up by key — joining every undated lead to the opportunities before grouping cost 0.45 s
    per period at a million leads (a KPI refresh asks ~90 times)."""
    first_in_period = (
        Opportunity.objects.filter(company=company, lead__isnull=False)
        .values("lead_id")
        .annotate(first=Min("created"))
        .filter(first__gte=start, first__lt=end)
        .values("lead_id")
    )
    return Lead.objects.filter(company=company, pk__in=first_in_period, **_without_stage_dates())


def _without_stage_dates(prefix: str = "") -> dict[str, bool]:
    return {f"{prefix}{name}__isnull": True for name in STAGE_FIELDS}


def qualified_counts(company, period: Period, *, stage: str, segments: list[str] | None = None) -> dict[str, int]:
    """Leads reaching ``stage`` in ``period`` per segment, by :data:`REACHED_DEFINITION`: (a) by their stage dates
    (an expression index per stage, issue 7) plus (b) leads without stage dates by their first opportunity — two
    disjoint sets, two grouped queries (inside :func:`refresh_memo`, part (b) comes from the memo's one query)."""
    start, end = period.datetime_range()
    dated = Lead.objects.filter(company=company).annotate(q=stage_reached_at(stage)).filter(q__gte=start, q__lt=end)
    if segments:
        dated = dated.filter(segment__in=segments)
    counts = _per_segment(dated)
    for segment, n in _undated_counts(company, start, end, segments).items():
        counts[segment] = counts.get(segment, 0) + n
    return counts


def _per_segment(leads) -> dict[str, int]:
    return dict(leads.order_by().values_list("segment").annotate(n=Count("id")).values_list("segment", "n"))


def _undated_counts(company, start: dt.datetime, end: dt.datetime, segments: list[str] | None) -> dict[str, int]:
    memo = memoized(("reached", company.pk), lambda: _undated_firsts(company))
    if memo is None:
        rows = _undated_leads_reaching(company, start, end)
        if segments:
            rows = rows.filter(segment__in=segments)
        return _per_segment(rows)
    counts = {}
    for segment, firsts in memo.items():
        if segments and segment not in segments:
            continue
        n = bisect.bisect_left(firsts, end) - bisect.bisect_left(firsts, start)
        if n:
            counts[segment] = n
    return counts


def _undated_firsts(company) -> dict[str, list[dt.datetime]]:
    """Per segment the sorted first-opportunity moments of the leads without any stage date (part (b) of
    :data:`REACHED_DEFINITION`, for every period at once). One query."""
    firsts: dict[str, list[dt.datetime]] = {}
    rows = (
        Opportunity.objects.filter(company=company, lead__isnull=False, **_without_stage_dates("lead__"))
        .values("lead_id")
        .annotate(first=Min("created"))
        .values_list("lead__segment", "first")
        .order_by("first")
    )  # fmt: skip
    for segment, first in rows:
        firsts.setdefault(segment, []).append(first)
    return firsts


_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kpi_refresh_memo", default=None)


@contextmanager
def refresh_memo() -> Iterator[None]:
    """Within the block (a KPI refresh: the same questions for every period over the same data) what
    :func:`memoized` is asked for is read once per company instead of once per question: the leads that reached the
    qualified stage by their first opportunity (~90 questions, a million leads: 0.45 s each), the opportunities
    with their marketing influence (reporting.kpis.pipeline, 36 questions)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: tuple, build: Callable):
    """Inside :func:`refresh_memo`: what ``build()`` returned the first time ``key`` was asked for. Outside: None (the
    caller asks the database for its one period)."""
    memo = _memo.get()
    if memo is None:
        return None
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _in(lookup: str, period: Period) -> Q:
    start, end = period.datetime_range()
    return Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end})


def _pct(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _s(value) -> str | None:
    """Decimals go into breakdowns as strings."""
    return None if value is None else str(value)


def kpi_target(*, company, key: str) -> Decimal | None:
    """The target of KPI ``key``: the target value of the key result bound to it (the one in the latest cycle
    when several are), or None when no key result tracks the KPI."""
    return (
        KpiBinding.objects.filter(company=company, kpi_key=key)
        .order_by("-key_result__objective__cycle__start_date", "-id")
        .values_list("key_result__target_value", flat=True)
        .first()
    )


def _result(company, key: str, value, breakdown: dict) -> KpiResult:
    """A result without its target: :func:`compute_kpis` adds the period's target (reporting.targets)."""
    # The registry (read through the package: kpis.KPIS is the one list) imports the KPI families, which call this:
    # read at call time, a cycle at import time.
    from .. import kpis

    definition = kpis.KPIS[key]
    return KpiResult(key=key, value=value, target=None, unit=definition.unit, breakdown=breakdown)


def _spend_total(*, company, start: dt.date, end: dt.date) -> Decimal:
    """Actual marketing spend booked between ``start`` and ``end`` (inclusive), as the budgets area defines it."""
    return Decimal(spend_total(company=company, start=start, end=end) or 0)


def _covering_cycle(company, period: Period):
    if period.kind == "cycle":
        return Cycle.objects.filter(company=company, pk=period.cycle_id).first()
    return _cycle_on(company, period.end) or _cycle_on(company, period.start)
