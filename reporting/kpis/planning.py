"""KPIs of the plan itself: share of budget bound to key results, active initiatives against the previous
cycle, average OKR progress per level."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from budgets.models import BudgetLine
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult, key_result_progress

from ..periods import Period
from .base import CENT, HUNDRED, ZERO, KpiResult, _covering_cycle, _money, _pct, _result, _s


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
