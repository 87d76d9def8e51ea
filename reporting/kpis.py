"""The board KPIs: one definition per KPI, each computed in the database for one company and one period.

Every ``compute`` function runs a fixed number of aggregate queries (Count/Sum/Avg with filters, Exists
subqueries) whatever the amount of data — no Python loop over leads or opportunities. Its docstring states the
formula and where the definition comes from. Percentages are in percent (12.50 = 12.5 %), money in the company's
currency with two decimals.

The choices behind the numbers are company settings (:class:`reporting.models.ReportingSettings`): which stage
counts as "qualified" (default MQL), the focus segments, the lead sources that count as sales-sourced.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetLine
from budgets.selectors import spend_total
from objectives.models import Cycle, Initiative, KeyResult, key_result_progress
from objectives.services.cascade import check_in_create
from sla.models import SlaRule
from sla.selectors import clock_summary

from .models import KpiBinding, Lead, Opportunity, ReportingSettings
from .periods import Period, _cycle_on, cycle_period

logger = logging.getLogger(__name__)

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


# ---------------------------------------------------------------------------------------------------------- helpers


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
    """Part (b) of :data:`REACHED_DEFINITION`: ids of leads without any stage date whose first opportunity was
    created in [start, end). One grouped subquery over the opportunities (no loop over leads)."""
    return (
        Opportunity.objects.filter(
            company=company,
            lead__isnull=False,
            **{f"lead__{name}__isnull": True for name in STAGE_FIELDS},
        )
        .values("lead_id")
        .annotate(first=Min("created"))
        .filter(first__gte=start, first__lt=end)
        .values("lead_id")
    )


def qualified_counts(company, period: Period, *, stage: str, segments: list[str] | None = None) -> dict[str, int]:
    """Leads reaching ``stage`` in ``period`` per segment, by :data:`REACHED_DEFINITION`: (a) by their stage dates
    (an expression index per stage, issue 7) plus (b) leads without stage dates by their first opportunity — two
    disjoint sets, two grouped queries."""
    start, end = period.datetime_range()
    dated = Lead.objects.filter(company=company).annotate(q=stage_reached_at(stage)).filter(q__gte=start, q__lt=end)
    undated = Lead.objects.filter(company=company, pk__in=_undated_leads_reaching(company, start, end))
    counts: dict[str, int] = {}
    for rows in (dated, undated):
        if segments:
            rows = rows.filter(segment__in=segments)
        for segment, n in rows.order_by().values_list("segment").annotate(n=Count("id")).values_list("segment", "n"):
            counts[segment] = counts.get(segment, 0) + n
    return counts


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
    definition = KPIS[key]
    return KpiResult(key=key, value=value, target=None, unit=definition.unit, breakdown=breakdown)


def _spend_total(*, company, start: dt.date, end: dt.date) -> Decimal:
    """Actual marketing spend booked between ``start`` and ``end`` (inclusive), as the budgets area defines it."""
    return Decimal(spend_total(company=company, start=start, end=end) or 0)


def _covering_cycle(company, period: Period):
    if period.kind == "cycle":
        return Cycle.objects.filter(company=company, pk=period.cycle_id).first()
    return _cycle_on(company, period.end) or _cycle_on(company, period.start)


# ------------------------------------------------------------------------------------------------------------- KPIs


def pipeline_contribution(company, period: Period) -> KpiResult:
    """Marketing contribution to pipeline.

    Formula: Σ amount of marketing-sourced opportunities created in the period; share = that sum ÷ Σ amount of all
    opportunities created in the period × 100. An opportunity is marketing-sourced when its lead's channel (or its
    own lead source) is not one of the company's sales sources (set at import, overridable per row in the API).
    Source: "marketing-sourced pipeline" as defined by SiriusDecisions/Forrester and issue 6.
    """
    totals = Opportunity.objects.filter(Q(company=company) & _in("created", period)).aggregate(
        total=Sum("amount"),
        marketing=Sum("amount", filter=Q(is_marketing_sourced=True)),
        count=Count("id"),
        marketing_count=Count("id", filter=Q(is_marketing_sourced=True)),
    )
    total, marketing = _money(totals["total"]), _money(totals["marketing"])
    breakdown = {
        "marketing_amount": _s(marketing),
        "total_amount": _s(total),
        "share_percent": _s(_pct(marketing, total)),
        "opportunities": totals["count"],
        "marketing_opportunities": totals["marketing_count"],
    }
    return _result(company, "pipeline_contribution", marketing, breakdown)


def _marketing_touch_before_creation(company):
    """EXISTS a touchpoint of the opportunity's lead, at or before the opportunity's creation, whose channel is
    marketing (not one of the company's sales or "other" sources: ReportingSettings.source_class)."""
    from .models import Touchpoint

    settings = reporting_settings(company)
    not_marketing = [s.casefold() for s in settings.sales_source_list + settings.other_source_list]
    touches = (
        Touchpoint.objects.filter(company=company, lead=OuterRef("lead"), occurred__lte=OuterRef("created"))
        .annotate(folded=Lower("channel"))
        .exclude(folded__in=not_marketing)
    )
    return Exists(touches)


def marketing_influenced_pipeline(company, period: Period) -> KpiResult:
    """Marketing-influenced pipeline.

    Formula: Σ amount of the opportunities created in the period whose lead had at least one marketing touch at or
    before the opportunity's creation (a touchpoint whose channel is neither a sales nor an "other" source of the
    company's source classification); share = that sum ÷ Σ amount of all opportunities created in the period ×
    100. Unlike the sourced pipeline, an opportunity that sales sourced but marketing touched counts too.
    Source: "marketing-influenced pipeline" (Forrester/SiriusDecisions; HubSpot and Salesforce reports).
    """
    influenced = Q(touched=True)
    totals = (
        Opportunity.objects.filter(Q(company=company) & _in("created", period))
        .annotate(touched=_marketing_touch_before_creation(company))
        .aggregate(
            total=Sum("amount"),
            influenced=Sum("amount", filter=influenced),
            count=Count("id"),
            influenced_count=Count("id", filter=influenced),
        )
    )
    total, amount = _money(totals["total"]), _money(totals["influenced"])
    breakdown = {
        "influenced_amount": _s(amount),
        "total_amount": _s(total),
        "share_percent": _s(_pct(amount, total)),
        "opportunities": totals["count"],
        "influenced_opportunities": totals["influenced_count"],
    }
    return _result(company, "marketing_influenced_pipeline", amount, breakdown)


def marketing_influenced_revenue(company, period: Period) -> KpiResult:
    """Marketing-influenced revenue.

    Formula: Σ amount of the opportunities won (closed as won) in the period whose lead had at least one marketing
    touch at or before the opportunity's creation (as for the influenced pipeline); share = that sum ÷ Σ amount of
    all opportunities won in the period × 100. Source: "marketing-influenced revenue" (Forrester/SiriusDecisions).
    """
    start, end = period.datetime_range()
    influenced = Q(touched=True)
    totals = (
        Opportunity.objects.filter(company=company, status=Opportunity.Status.WON, closed__gte=start, closed__lt=end)
        .annotate(touched=_marketing_touch_before_creation(company))
        .aggregate(
            total=Sum("amount"),
            influenced=Sum("amount", filter=influenced),
            count=Count("id"),
            influenced_count=Count("id", filter=influenced),
        )
    )
    total, amount = _money(totals["total"]), _money(totals["influenced"])
    breakdown = {
        "influenced_amount": _s(amount),
        "total_amount": _s(total),
        "share_percent": _s(_pct(amount, total)),
        "won_opportunities": totals["count"],
        "influenced_opportunities": totals["influenced_count"],
    }
    return _result(company, "marketing_influenced_revenue", amount, breakdown)


def cost_per_qualified_lead(company, period: Period) -> KpiResult:
    """Cost per qualified lead (CPL-Q).

    Formula: actual marketing spend booked in the period (Σ SpendEntry.amount by booking date) ÷ number of leads
    that reached the company's qualified stage (setting: MQL, SAL or SQL; default MQL) in the period, by
    :data:`REACHED_DEFINITION` — a stage's date, else a later stage's date, else (no stage date at all) the first
    opportunity's creation, exactly as the funnel counts. No qualified leads or no spend booked in the period: no
    value. Source: cost per lead (CPL) restricted to qualified leads, issue 6.
    """
    settings = reporting_settings(company)
    spend = _money(_spend_total(company=company, start=period.start, end=period.end))
    qualified = sum(qualified_counts(company, period, stage=settings.qualified_stage).values())
    # No spend booked at all means the spend data is missing, not that leads were free: no value then either.
    value = (spend / qualified).quantize(CENT) if qualified and spend else None
    breakdown = {"spend": _s(spend), "qualified_leads": qualified, "qualified_stage": settings.qualified_stage}
    return _result(company, "cost_per_qualified_lead", value, breakdown)


def _funnel_annotations(company):
    # Uncorrelated "id IN (lead ids of the company's opportunities)" instead of a correlated EXISTS per lead: PostgreSQL
    # evaluates it once as a hashed subplan, where EXISTS probed the opportunities once per cohort lead (issue 7: the
    # funnel of 1,000,000 leads went from minutes to seconds). Same truth value: a lead "has an opportunity" iff its id
    # is among the opportunities' lead ids.
    opportunities = Opportunity.objects.filter(company=company, lead__isnull=False)
    return {
        "has_opp": Q(pk__in=opportunities.values("lead_id")),
        "has_won": Q(pk__in=opportunities.filter(status=Opportunity.Status.WON).values("lead_id")),
    }


def funnel_conversion(company, period: Period) -> KpiResult:
    """Funnel conversion lead → MQL → SAL → SQL → opportunity → won, by cohort.

    Formula: cohort = the leads created in the period; per stage, the leads of the cohort that reached it (by now):
    a stage counts as reached when its date or a later stage's date is set; "opportunity" also when the lead has an
    opportunity, "won" when it became a customer or has a won opportunity. Step rate = stage ÷ previous stage × 100;
    value = won ÷ leads × 100 (overall lead-to-won rate of the cohort). Source: the demand waterfall
    (SiriusDecisions) with the stages of issue 6.
    """
    annotations = _funnel_annotations(company)
    has_opp, has_won = annotations["has_opp"], annotations["has_won"]
    # The stages nest (won ⊂ opportunity ⊂ SQL ⊂ SAL ⊂ MQL: a won opportunity is an opportunity, a customer date
    # counts for every earlier stage), so each lead gets the furthest stage it reached — one CASE, evaluated once
    # per lead with two hashed subplans — and the leads are counted per stage reached in one GROUP BY. Counting
    # each stage with its own FILTER repeated the opportunity subplans five times (twice the floor's time).
    furthest = Case(
        When(Q(customer_at__isnull=False) | has_won, then=Value(5)),
        When(Q(opportunity_at__isnull=False) | has_opp, then=Value(4)),
        When(sql_at__isnull=False, then=Value(3)),
        When(sal_at__isnull=False, then=Value(2)),
        When(mql_at__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    reached = ["mql", "sal", "sql", "opportunity", "won"]
    groups = (
        Lead.objects.filter(Q(company=company) & _in("created", period))
        .annotate(furthest=furthest)
        .values("furthest")
        .annotate(n=Count("id"), disqualified=Count("id", filter=Q(disqualified_at__isnull=False)))
        .order_by()
    )
    counts = dict.fromkeys(["leads", "disqualified", *reached], 0)
    for group in groups:
        counts["leads"] += group["n"]
        counts["disqualified"] += group["disqualified"]
        for level, stage in enumerate(reached, start=1):
            if group["furthest"] >= level:
                counts[stage] += group["n"]
    breakdown: dict = {stage: counts[stage] for stage in ["leads", *reached]}
    breakdown["disqualified"] = counts["disqualified"]
    steps = ["leads", "mql", "sal", "sql", "opportunity", "won"]
    for before, after in pairwise(steps):
        breakdown[f"rate_{before}_{after}"] = _s(_pct(counts[after], counts[before]))
    value = _pct(counts["won"], counts["leads"])
    return _result(company, "funnel_conversion", value, breakdown)


VELOCITY_WINDOW_DAYS = 365


def pipeline_velocity(company, period: Period) -> KpiResult:
    """Pipeline velocity (expected revenue per day).

    Formula: open opportunities × win rate × average won deal size ÷ average sales-cycle days, where
    - open opportunities = opportunities created before the period's end and not closed by then;
    - the other terms use the 365 days up to the period's end (a stable window for short periods):
      win rate = won ÷ (won + lost) among opportunities closed in the window;
      average won deal size = mean amount of opportunities won in the window;
      average sales-cycle days = mean (close − creation) in days of opportunities won in the window.
    No value when there are no closed opportunities in the window. Source: the sales velocity formula
    (e.g. HubSpot/Salesforce "sales velocity"), issue 6.
    """
    _, end = period.datetime_range()
    window_start = end - dt.timedelta(days=VELOCITY_WINDOW_DAYS)
    in_window = Q(closed__gte=window_start, closed__lt=end)
    won = in_window & Q(status=Opportunity.Status.WON)
    lost = in_window & Q(status=Opportunity.Status.LOST)
    terms = Opportunity.objects.filter(company=company, created__lt=end).aggregate(
        open=Count("id", filter=Q(closed__isnull=True) | Q(closed__gte=end)),
        won=Count("id", filter=won),
        lost=Count("id", filter=lost),
        avg_won=Avg("amount", filter=won),
        avg_cycle=Avg(ExpressionWrapper(F("closed") - F("created"), output_field=DurationField()), filter=won),
    )
    win_rate = Decimal(terms["won"]) / Decimal(terms["won"] + terms["lost"]) if terms["won"] + terms["lost"] else None
    avg_won = Decimal(terms["avg_won"]).quantize(CENT) if terms["avg_won"] is not None else None
    cycle_days = None
    if terms["avg_cycle"] is not None:
        avg_cycle = terms["avg_cycle"]
        seconds = avg_cycle.total_seconds() if isinstance(avg_cycle, dt.timedelta) else float(avg_cycle) / 1e6
        cycle_days = (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.01"))
    value = None
    if win_rate is not None and avg_won is not None and cycle_days:
        value = (Decimal(terms["open"]) * win_rate * avg_won / cycle_days).quantize(CENT)
    breakdown = {
        "open_opportunities": terms["open"],
        "won": terms["won"],
        "lost": terms["lost"],
        "win_rate_percent": _s(_pct(terms["won"], terms["won"] + terms["lost"])),
        "average_won_amount": _s(avg_won),
        "average_cycle_days": _s(cycle_days),
        "window_days": VELOCITY_WINDOW_DAYS,
    }
    return _result(company, "pipeline_velocity", value, breakdown)


def lead_to_customer_rate(company, period: Period) -> KpiResult:
    """Lead-to-customer rate (flow, not cohort).

    Formula: leads that became customers in the period ÷ leads created in the period × 100. A lead becomes a
    customer on its customer date, or — without one — when one of its opportunities is won (close date) in the
    period. Unlike the funnel conversion (which follows one cohort), this compares the period's inflow with its
    outflow, as most CRM dashboards do. Source: lead-to-customer conversion rate (HubSpot definition), issue 6.
    """
    start, end = period.datetime_range()
    leads = Lead.objects.filter(company=company)
    # Two disjoint sets, each counted through an index (issue 7; one OR over every lead with a correlated EXISTS
    # scanned the whole company per period): leads whose customer date lies in the period, plus leads without a
    # customer date that have an opportunity won in the period.
    with_date = leads.filter(customer_at__gte=start, customer_at__lt=end).count()
    won_leads = Opportunity.objects.filter(
        company=company, status=Opportunity.Status.WON, closed__gte=start, closed__lt=end, lead__isnull=False
    ).values("lead_id")
    without_date = leads.filter(customer_at__isnull=True, pk__in=won_leads).count()
    counts = {
        "leads": leads.filter(created__gte=start, created__lt=end).count(),
        "customers": with_date + without_date,
    }
    breakdown = {"leads_created": counts["leads"], "new_customers": counts["customers"]}
    return _result(company, "lead_to_customer_rate", _pct(counts["customers"], counts["leads"]), breakdown)


def qualified_leads_focus_segments(company, period: Period) -> KpiResult:
    """Qualified leads per focus segment.

    Formula: number of leads reaching the qualified stage (setting; :data:`REACHED_DEFINITION`) in the period whose
    segment is one of the
    company's focus segments (setting); breakdown per segment (focus segments without leads show 0). Without focus
    segments every segment counts. Source: issue 6 (qualified leads in the segments the OKRs focus on).
    """
    settings = reporting_settings(company)
    focus = [s for s in (settings.focus_segments or []) if s]
    per_segment = qualified_counts(company, period, stage=settings.qualified_stage, segments=focus)
    breakdown: dict = {segment: per_segment.get(segment, 0) for segment in focus}
    for segment, n in sorted(per_segment.items()):
        breakdown.setdefault(segment or "(none)", n)
    value = Decimal(sum(per_segment.values()))
    return _result(company, "qualified_leads_focus_segments", value, breakdown)


def qualified_leads_focus_growth(company, period: Period) -> KpiResult:
    """Growth of qualified leads in the focus segments.

    Formula: (Q(current) − Q(previous)) ÷ Q(previous) × 100, where Q counts the leads reaching the qualified stage
    (setting; :data:`REACHED_DEFINITION`) in the focus segments (setting; all segments without one), current =
    the period up to today (so a running period is compared fairly) and previous = the same number of days right
    before the period. No value without qualified leads in the previous window. Source: the case's goal in issue 6
    ("qualified leads from the focus segments +18 % in nine months"), which key results in percent track.
    """
    settings = reporting_settings(company)
    end = min(period.end, timezone.localdate())
    if end < period.start:
        return _result(company, "qualified_leads_focus_growth", None, {"current": 0, "previous": 0})
    days = (end - period.start).days + 1
    current = Period(kind=period.kind, start=period.start, end=end, key=period.key, label=period.label)
    before = Period(kind=period.kind, start=period.start - dt.timedelta(days=days),
                    end=period.start - dt.timedelta(days=1), key="", label="")  # fmt: skip
    focus = [s for s in (settings.focus_segments or []) if s]
    counts = {
        name: sum(qualified_counts(company, window, stage=settings.qualified_stage, segments=focus).values())
        for name, window in (("current", current), ("previous", before))
    }
    breakdown = {
        "current": counts["current"],
        "previous": counts["previous"],
        "current_start": current.start.isoformat(),
        "current_end": current.end.isoformat(),
        "previous_start": before.start.isoformat(),
        "previous_end": before.end.isoformat(),
    }
    value = _pct(counts["current"] - counts["previous"], counts["previous"])
    return _result(company, "qualified_leads_focus_growth", value, breakdown)


def budget_bound_share(company, period: Period) -> KpiResult:
    """Share of budget bound to key results.

    Formula: Σ planned amount of budget lines bound to a key result ÷ Σ planned amount of all budget lines × 100,
    over the lines of every cycle that overlaps the period, rejected lines excluded. Computed here in the database;
    ``budgets.selectors.budget_bound_share`` (budgets area) states the same rule for the budget pages.
    Source: issue 6 (the product's core rule: budget follows key results).
    """
    totals = (
        BudgetLine.objects.filter(company=company, cycle__start_date__lte=period.end, cycle__end_date__gte=period.start)
        .exclude(state=BudgetLine.State.REJECTED)
        .aggregate(
            total=Sum("planned_amount"),
            bound=Sum("planned_amount", filter=Q(key_result__isnull=False)),
            lines=Count("id"),
            bound_lines=Count("id", filter=Q(key_result__isnull=False)),
        )
    )
    total, bound = _money(totals["total"]), _money(totals["bound"])
    breakdown = {
        "bound_amount": _s(bound),
        "total_amount": _s(total),
        "lines": totals["lines"],
        "bound_lines": totals["bound_lines"],
    }
    return _result(company, "budget_bound_share", _pct(bound, total), breakdown)


def active_initiatives_vs_previous(company, period: Period) -> KpiResult:
    """Active initiatives vs the previous cycle.

    Formula: (active initiatives in the cycle covering the period − initiatives that ran in the previous cycle) ÷
    those that ran in the previous cycle × 100; "ran" = active, paused or done (``Initiative.RAN_STATES``: a closed
    cycle's initiatives end as done), the same comparison the priority matrix page shows. The covering cycle
    is the period's own cycle, else the most specific cycle covering the period's end; the previous cycle is the
    latest cycle of the same kind ending before it. Fewer, focused initiatives is the aim, so lower is better.
    Source: issue 6 (focus instead of more than ten initiatives in parallel).
    """
    cycle = _covering_cycle(company, period)
    previous = None
    if cycle is not None:
        previous = (
            Cycle.objects.filter(company=company, kind=cycle.kind, end_date__lt=cycle.start_date)
            .order_by("-end_date", "-start_date", "-id")
            .first()
        )
    ids = [c.pk for c in (cycle, previous) if c is not None]
    counts = Initiative.objects.filter(company=company, cycle_id__in=ids, state__in=Initiative.RAN_STATES).aggregate(
        current=Count("id", filter=Q(cycle_id=cycle.pk if cycle else None, state=Initiative.State.ACTIVE)),
        previous=Count("id", filter=Q(cycle_id=previous.pk if previous else None)),
    )
    current_n = counts["current"] if cycle else 0
    previous_n = counts["previous"] if previous else 0
    value = _pct(current_n - previous_n, previous_n) if previous is not None else None
    breakdown = {
        "current": current_n,
        "previous": previous_n,
        "cycle": cycle.name if cycle else "",
        "previous_cycle": previous.name if previous else "",
    }
    return _result(company, "active_initiatives_vs_previous", value, breakdown)


def okr_progress(company, period: Period) -> KpiResult:
    """Average OKR progress, per level.

    Formula: mean progress × 100 of the key results of the cycle covering the period (progress per key result by
    ``objectives.models.key_result_progress``: (current − start) ÷ (target − start) clamped to 0–1, bounds and
    milestones 0 or 1); breakdown per level (the objective's team kind: company, marketing, sales; other teams by
    name; none) and per objective. The key results are one query; the progress formula runs per key result (dozens,
    not rows of CRM data). Source: issue 6 and the cascade's progress rule.
    """
    cycle = _covering_cycle(company, period)
    rows = []
    if cycle is not None:
        rows = list(
            KeyResult.objects.filter(company=company, objective__cycle=cycle)
            .order_by("objective__position", "objective_id", "position", "id")
            .values_list(
                "kind", "start_value", "target_value", "current_value", "objective_id", "objective__title",
                "objective__team__kind", "objective__team__name",
            )
        )  # fmt: skip
    by_level: dict[str, list[Decimal]] = {}
    by_objective: dict[int, list[Decimal]] = {}
    titles: dict[int, str] = {}
    progresses = []
    for kind, start, target, current, objective_id, title, team_kind, team_name in rows:
        progress = key_result_progress(kind, start, target, current)
        progresses.append(progress)
        # the standard levels by kind (stable keys across renames), other teams by name
        level = (team_name if team_kind == "other" else team_kind) if team_kind else "none"
        by_level.setdefault(level, []).append(progress)
        by_objective.setdefault(objective_id, []).append(progress)
        titles[objective_id] = title

    def mean(values: list[Decimal]) -> Decimal:
        return (sum(values, ZERO) * HUNDRED / len(values)).quantize(CENT)

    breakdown: dict = {"cycle": cycle.name if cycle else "", "key_results": len(rows)}
    for team, values in by_level.items():
        breakdown[f"level:{team}"] = _s(mean(values))
    for objective_id, values in by_objective.items():
        breakdown[f"objective:{objective_id}"] = _s(mean(values))
        breakdown[f"objective_title:{objective_id}"] = titles[objective_id]
    value = mean(progresses) if progresses else None
    return _result(company, "okr_progress", value, breakdown)


def sla_compliance(company, period: Period) -> KpiResult:
    """Handover SLA compliance.

    Formula: cases of the company's active clock rules (MQL accepted or rejected by sales within N working hours;
    SAL contacted within M working hours) whose clock started in the period and that were handled within the rule
    ÷ those handled within or after it, or still unhandled past the deadline, × 100; cases still within their
    deadline do not count yet. Working hours by the company's SLA calendar (weekdays, working day, public holidays
    of its region). Breakdown per rule. Source: issue 18; the rules and the clocks are defined in sla.selectors.
    """
    start, end = period.datetime_range()
    summary = clock_summary(company, start=start, end=end)
    met = breached = 0
    breakdown: dict = {}
    for kind, entry in summary.items():
        rule, tally = entry["rule"], entry["tally"]
        breakdown[f"{kind}_met"] = tally.met
        breakdown[f"{kind}_breached"] = tally.breached
        breakdown[f"{kind}_pending"] = tally.pending
        breakdown[f"{kind}_percent"] = _s(tally.percent)
        if rule.is_active:
            met, breached = met + tally.met, breached + tally.breached
    breakdown["met"], breakdown["breached"] = met, breached
    return _result(company, "sla_compliance", _pct(met, met + breached), breakdown)


def mql_response_hours(company, period: Period) -> KpiResult:
    """Median MQL → SAL response time, in working hours.

    Formula: median over the leads that became MQL in the period and were answered by sales (accepted as SAL, or
    rejected, disqualified or recycled — whichever came first) of the working hours between the MQL date and that
    answer, by the company's SLA calendar. Leads not answered yet are left out (the compliance KPI counts them once
    late). Lower is better. Source: issue 18 (speed of the marketing–sales handover).
    """
    start, end = period.datetime_range()
    tally = clock_summary(company, start=start, end=end)[SlaRule.Kind.MQL_RESPONSE]["tally"]
    breakdown = {"answered": len(tally.hours), "unanswered": tally.unanswered}
    return _result(company, "mql_response_hours", tally.median_hours, breakdown)


KPIS: dict[str, KpiDefinition] = {
    d.key: d
    for d in [
        KpiDefinition(
            "pipeline_contribution",
            _("Marketing contribution to pipeline"),
            "currency",
            True,
            pipeline_contribution,
            _("Amount of marketing-sourced opportunities created in the period, and its share of all."),
            aggregation="sum",
        ),
        KpiDefinition(
            "marketing_influenced_pipeline",
            _("Marketing-influenced pipeline"),
            "currency",
            True,
            marketing_influenced_pipeline,
            _("Amount of the opportunities created in the period whose lead had a marketing touch before."),
            aggregation="sum",
        ),
        KpiDefinition(
            "marketing_influenced_revenue",
            _("Marketing-influenced revenue"),
            "currency",
            True,
            marketing_influenced_revenue,
            _("Amount won in the period on opportunities whose lead had a marketing touch before their creation."),
            aggregation="sum",
        ),
        KpiDefinition(
            "cost_per_qualified_lead",
            _("Cost per qualified lead"),
            "currency",
            False,
            cost_per_qualified_lead,
            _("Actual marketing spend in the period divided by the leads reaching the qualified stage."),
        ),
        KpiDefinition(
            "funnel_conversion",
            _("Funnel conversion"),
            "percent",
            True,
            funnel_conversion,
            _("Lead → MQL → SAL → SQL → opportunity → won for the leads created in the period."),
        ),
        KpiDefinition(
            "pipeline_velocity",
            _("Pipeline velocity (per day)"),
            "currency",
            True,
            pipeline_velocity,
            _("Open opportunities × win rate × average won deal size ÷ average sales-cycle days."),
        ),
        KpiDefinition(
            "lead_to_customer_rate",
            _("Lead-to-customer rate"),
            "percent",
            True,
            lead_to_customer_rate,
            _("New customers in the period divided by the leads created in the period."),
        ),
        KpiDefinition(
            "qualified_leads_focus_segments",
            _("Qualified leads in focus segments"),
            "number",
            True,
            qualified_leads_focus_segments,
            _("Leads reaching the qualified stage in the period, per focus segment."),
            aggregation="sum",
        ),
        KpiDefinition(
            "qualified_leads_focus_growth",
            _("Growth of qualified leads in focus segments"),
            "percent",
            True,
            qualified_leads_focus_growth,
            _("Qualified focus-segment leads in the period against the same number of days before it."),
        ),
        KpiDefinition(
            "budget_bound_share",
            _("Budget bound to key results"),
            "percent",
            True,
            budget_bound_share,
            _("Planned budget bound to a key result divided by all planned budget of the period's cycles."),
        ),
        KpiDefinition(
            "active_initiatives_vs_previous",
            _("Active initiatives vs previous cycle"),
            "percent",
            False,
            active_initiatives_vs_previous,
            _("Change in the number of pursued initiatives against the previous cycle."),
        ),
        KpiDefinition(
            "okr_progress",
            _("Average OKR progress"),
            "percent",
            True,
            okr_progress,
            _("Mean progress of the key results of the cycle, per level and objective."),
        ),
        KpiDefinition(
            "sla_compliance",
            _("Handover SLA compliance"),
            "percent",
            True,
            sla_compliance,
            _("Share of MQLs and SALs that sales handled within the agreed working hours."),
        ),
        KpiDefinition(
            "mql_response_hours",
            _("Median MQL → SAL response time"),
            "hours",
            False,
            mql_response_hours,
            _("Median working hours until sales accepted or rejected an MQL of the period."),
        ),
    ]
}


def compute_kpis(*, company, period: Period, keys: Iterable[str] | None = None, book=None) -> list[KpiResult]:
    """Compute the KPIs ``keys`` (default: all, in board order) for ``company`` and ``period``.

    Each result carries the period's target (reporting.targets: set for the period, or derived from the cycle
    target). ValueError for an unknown key. The number of queries depends only on the number of KPIs, never on the
    data. Pass ``book`` (a reporting.targets.TargetBook) to reuse loaded targets across periods.
    """
    from .targets import TargetBook

    selected = list(keys) if keys is not None else list(KPIS)
    unknown = [k for k in selected if k not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI: {', '.join(unknown)}")
    book = book or TargetBook(company)
    results = []
    for key in selected:
        result = KPIS[key].compute(company, period)
        found = book.for_period(key, period)
        result.target = found.value if found is not None else None
        results.append(result)
    return results


# ------------------------------------------------------------------------------------------ automatic check-ins


def _automatic_check_in(*, key_result, value: Decimal, comment: str, at: dt.datetime) -> None:
    """Append an automatic check-in (no author) through the cascade's service, which locks the key result, refuses
    closed cycles and moves the current value."""
    check_in_create(
        key_result=key_result,
        value=value,
        confidence=key_result.confidence,
        comment=comment,
        actor=None,
        is_automatic=True,
        at=at,
    )


@transaction.atomic
def kpi_auto_check_ins(*, company, results: Iterable[KpiResult]) -> int:
    """Check the KPI values in on every key result bound to them; returns the number of check-ins created.

    Only key results of cycles that are not closed receive one, and only when the value differs from the key
    result's current value (hourly refreshes of an unchanged KPI add nothing, so a refresh stays idempotent). Pass
    the results computed for the period the bound key results measure (normally their cycle). Goes through
    ``objectives.services.cascade.check_in_create`` (actor None = the system).
    """
    values = {r.key: r.value for r in results if r.value is not None}
    if not values:
        return 0
    bindings = (
        KpiBinding.objects.filter(company=company, kpi_key__in=values)
        .exclude(key_result__objective__cycle__state=Cycle.State.CLOSED)
        .select_related("key_result")
        .order_by("key_result_id", "kpi_key")
    )
    now = timezone.now()
    created = 0
    for binding in bindings:
        key_result = binding.key_result
        value = Decimal(values[binding.kpi_key]).quantize(Decimal("0.0001"))
        if key_result.current_value is not None and key_result.current_value == value:
            continue
        label = KPIS[binding.kpi_key].label if binding.kpi_key in KPIS else binding.kpi_key
        comment = str(_("Automatic check-in from the KPI “%(kpi)s”.") % {"kpi": label})
        try:
            with transaction.atomic():
                _automatic_check_in(key_result=key_result, value=value, comment=comment, at=now)
        except ValidationError as exc:  # e.g. a milestone bound to a KPI: the other key results still get theirs
            logger.warning("No automatic check-in on key result %s: %s", key_result.pk, exc.messages)
            continue
        key_result.current_value = value
        created += 1
    return created


def kpi_cycle_period(company, on: dt.date) -> Period | None:
    """The period of the cycle covering ``on`` (for bound key results), or None."""
    cycle = _cycle_on(company, on)
    return cycle_period(cycle) if cycle else None
