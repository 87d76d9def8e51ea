"""KPIs of the lead funnel: cost per qualified lead, funnel conversion by cohort, lead-to-customer rate,
qualified leads in the focus segments and their growth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from ..models import Lead, Opportunity
from ..periods import Period
from .base import CENT, KpiResult, _in, _money, _pct, _result, _s, _spend_total, qualified_counts, reporting_settings


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
