"""Demo part of the board: targets for every KPI, then the KPI snapshots, so the demo board shows figures, targets,
lights and history at once.

Runs after every other demo part (it reads the cascade, budgets and funnel data). Idempotent: targets are only set
when the demo company has none, snapshots only computed when it has none; hourly/nightly refreshes or "Refresh now"
keep them current afterwards.

Targets: every top-level cycle that is not closed gets a cycle target for every KPI no key result of that cycle is
bound to (a bound key result's target is that KPI's cycle target already); months and quarters derive theirs
(reporting.targets). The values follow the demo's own figures, set so the board shows every light: a sum KPI's
target extrapolates the cycle's figures to the whole cycle, times a factor; a rate's is its cycle value times a
factor (above 1: the goal is ahead of the figures).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from companies.demo import DEMO_SLUG
from companies.models import Company
from objectives.models import Cycle

from .models import KpiBinding, KpiSnapshot, KpiTarget
from .services.kpi import kpi_snapshots_refresh

# KPI → factor on the demo's cycle figure (lower-is-better KPIs: a factor below 1 is the ambitious side).
FACTORS = {
    "pipeline_contribution": Decimal("1.00"),
    "marketing_influenced_pipeline": Decimal("0.95"),
    "marketing_influenced_revenue": Decimal("1.15"),
    "cost_per_qualified_lead": Decimal("0.90"),
    "funnel_conversion": Decimal("1.05"),
    "pipeline_velocity": Decimal("1.30"),
    "lead_to_customer_rate": Decimal("1.00"),
    "qualified_leads_focus_segments": Decimal("1.10"),
    "qualified_leads_focus_growth": Decimal("1.00"),
    "budget_bound_share": Decimal("1.10"),
    "active_initiatives_vs_previous": Decimal("1.00"),
    "okr_progress": Decimal("1.20"),
}
# Percentages that cannot exceed 100 %.
SHARES = {"funnel_conversion", "lead_to_customer_rate", "budget_bound_share", "okr_progress"}
# Used when the demo has no figure to derive a target from (e.g. no previous cycle to compare with).
FALLBACK = {
    "qualified_leads_focus_growth": Decimal("18"),  # the case's goal: +18 %
    "active_initiatives_vs_previous": Decimal("-20"),  # fewer, focused initiatives
    "okr_progress": Decimal("70"),
    "budget_bound_share": Decimal("80"),
}


def _round(value: Decimal, unit: str) -> Decimal:
    if unit == "currency":
        step = Decimal("100") if abs(value) >= 1000 else Decimal("1")
    elif unit == "number":
        step = Decimal("1")
    else:
        step = Decimal("0.5")
    return ((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).normalize()


def demo_targets(company: Company, *, on: dt.date) -> int:
    """Set the demo's cycle targets (see the module docstring); returns how many were set."""
    from .demo import LAST_DAY
    from .kpis import KPIS, compute_kpis
    from .periods import cycle_period

    created = 0
    cycles = Cycle.objects.filter(company=company, parent__isnull=True).exclude(state=Cycle.State.CLOSED)
    for cycle in cycles.order_by("start_date"):
        bound = set(
            KpiBinding.objects.filter(company=company, key_result__objective__cycle=cycle).values_list(
                "kpi_key", flat=True
            )
        )
        period = cycle_period(cycle)
        # A cycle without figures yet (the next year) takes the running cycle's figures.
        source = period if cycle.start_date <= on else cycle_period(cycles.filter(start_date__lte=on).last() or cycle)
        data_end = min(LAST_DAY, source.end)
        share = Decimal((data_end - source.start).days + 1) / Decimal((source.end - source.start).days + 1)
        results = {r.key: r for r in compute_kpis(company=company, period=source)}
        for key, definition in KPIS.items():
            if key in bound:
                continue
            value = results[key].value if key in results else None
            if value is None or (value == 0 and key in FALLBACK):
                target = FALLBACK.get(key)
            elif definition.aggregation == "sum":
                target = Decimal(value) / max(share, Decimal("0.01")) * FACTORS.get(key, Decimal(1))
            else:
                target = Decimal(value) * FACTORS.get(key, Decimal(1))
            if target is None:
                continue
            if definition.unit == "percent" and key in SHARES:
                target = min(target, Decimal(100))
            KpiTarget.objects.update_or_create(
                company=company,
                kpi=key,
                period_key=period.key,
                defaults={"period_kind": "cycle", "period_start": period.start, "period_end": period.end,
                          "value": _round(target, definition.unit)},
            )  # fmt: skip
            created += 1
    return created


def load() -> None:
    from django.utils import timezone

    company = Company.objects.filter(slug=DEMO_SLUG).first()
    if company is None:
        return
    if not KpiTarget.objects.filter(company=company).exists():
        demo_targets(company, on=timezone.localdate())
    if KpiSnapshot.objects.filter(company=company).exists():
        return
    kpi_snapshots_refresh(company=company, scope="open")
