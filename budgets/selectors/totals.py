"""Aggregates of plan and actual spend for the overview, the board KPIs and charts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    F,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth

from companies.models import Company
from core.safety import clamp_date
from objectives.models import Cycle

from ..models import BudgetLine, Channel, SpendEntry
from .base import COUNTED_STATES, ZERO, State, _actual_subquery, _sum


def _lines_in_period(company: Company, cycle: Cycle | None, start: dt.date | None, end: dt.date | None):
    qs = BudgetLine.objects.for_company(company)
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    # A period selects the lines whose cycle overlaps it.
    if start is not None:
        qs = qs.filter(cycle__end_date__gte=start)
    if end is not None:
        qs = qs.filter(cycle__start_date__lte=end)
    return qs


def budget_bound_share(
    *, company: Company, cycle: Cycle | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> dict:
    """The share of budget bound to key results (the case's target: 100 %).

    Over the lines of ``company`` (of ``cycle`` if given; with ``start``/``end`` those whose cycle overlaps the
    period), rejected lines excluded:

    - ``total_planned``: sum of planned amounts of draft, submitted and approved lines;
    - ``bound_amount``: sum of planned amounts of submitted and approved lines that are bound to a key result
      (a bound draft does not count: nobody has asked for that money yet);
    - ``share`` = bound_amount ÷ total_planned, a Decimal in [0, 1]; ``None`` when nothing is planned;
    - ``approved_amount``: sum of approved lines; ``bound_approved_amount``: the approved lines bound to a key
      result — equal to ``approved_amount`` by the database constraint, reported so that a KPI can show it.
    """
    data = _lines_in_period(company, cycle, start, end).aggregate(
        total_planned=_sum("planned_amount", state__in=COUNTED_STATES),
        bound_amount=_sum("planned_amount", state__in=(State.SUBMITTED, State.APPROVED), key_result__isnull=False),
        approved_amount=_sum("planned_amount", state=State.APPROVED),
        bound_approved_amount=_sum("planned_amount", state=State.APPROVED, key_result__isnull=False),
    )
    total = data["total_planned"]
    data["share"] = (data["bound_amount"] / total) if total else None
    return data


def spend_total(*, company: Company, start: dt.date, end: dt.date) -> Decimal:
    """Sum of spend entries of ``company`` dated within [start, end] (both inclusive)."""
    return (
        SpendEntry.objects.for_company(company)
        .filter(date__gte=start, date__lte=end)
        .aggregate(total=_sum("amount"))["total"]
    )


def _planned_by(company: Company, cycle: Cycle, *group: str):
    """Planned and approved amounts of the cycle's lines, grouped by the ``group`` fields (one query)."""
    return (
        BudgetLine.objects.for_company(company)
        .filter(cycle=cycle)
        .order_by()
        .values(*group)
        .annotate(
            planned=_sum("planned_amount", state__in=COUNTED_STATES),
            approved=_sum("planned_amount", state=State.APPROVED),
        )
    )


def _actual_by(company: Company, cycle: Cycle, field: str) -> dict:
    """Actual spend on the cycle's lines per value of the line's ``field`` (one query)."""
    return dict(
        SpendEntry.objects.for_company(company)
        .filter(line__cycle=cycle)
        .order_by()
        .values(f"line__{field}")
        .annotate(total=Sum("amount"))
        .values_list(f"line__{field}", "total")
    )


def plan_vs_actual(*, company: Company, cycle: Cycle) -> list[dict]:
    """Per channel (all of the company's channels, in their order): planned, approved and actual amounts of the
    cycle's lines, and whether actual exceeds approved (``overspent``)."""
    sums = {row["channel"]: row for row in _planned_by(company, cycle, "channel")}
    actuals = _actual_by(company, cycle, "channel")
    result = []
    for channel in Channel.objects.for_company(company).order_by("position", "name"):
        row = sums.get(channel.pk, {})
        planned, approved = row.get("planned", ZERO), row.get("approved", ZERO)
        actual = actuals.get(channel.pk) or ZERO
        if not (planned or approved or actual) and not channel.is_active:
            continue
        result.append(
            {
                "channel_id": channel.pk,
                "channel": channel.name,
                "planned": planned,
                "approved": approved,
                "actual": actual,
                "overspent": actual > approved,
            }
        )
    return result


def overview_totals(*, company: Company, cycle: Cycle) -> dict:
    """Planned, approved and actual of a cycle, the bound share and the number of overspent lines."""
    share = budget_bound_share(company=company, cycle=cycle)
    lines = BudgetLine.objects.for_company(company).filter(cycle=cycle).annotate(actual=_actual_subquery())
    actual = SpendEntry.objects.for_company(company).filter(line__cycle=cycle).aggregate(total=_sum("amount"))["total"]
    counts = lines.aggregate(
        overspent=Sum(Value(1), filter=Q(actual__gt=F("planned_amount"))),
    )
    by_state = dict(
        BudgetLine.objects.for_company(company)
        .filter(cycle=cycle)
        .order_by()
        .values("state")
        .annotate(total=_sum("planned_amount"))
        .values_list("state", "total")
    )
    return {
        **share,
        "actual": actual,
        "remaining": share["approved_amount"] - actual,
        "overspent_lines": counts["overspent"] or 0,
        "submitted_amount": by_state.get(State.SUBMITTED, ZERO),
        "draft_amount": by_state.get(State.DRAFT, ZERO),
        "unbound_amount": share["total_planned"] - share["bound_amount"],
    }


def budget_by_key_result(*, company: Company, cycle: Cycle) -> list[dict]:
    """Per objective and key result: planned, approved, actual of the cycle's lines (unbound lines as one group
    with key_result_id None). Sorted by objective and key result."""
    rows = _planned_by(
        company,
        cycle,
        "key_result_id",
        "key_result__title",
        "key_result__objective_id",
        "key_result__objective__title",
        "key_result__objective__position",
        "key_result__position",
    )
    actuals = _actual_by(company, cycle, "key_result")
    result = []
    for row in rows:
        if not row["planned"] and not row["approved"]:
            continue
        kr = row["key_result_id"]
        result.append(
            {
                "key_result_id": kr,
                "key_result": row["key_result__title"],
                "objective_id": row["key_result__objective_id"],
                "objective": row["key_result__objective__title"],
                "planned": row["planned"],
                "approved": row["approved"],
                "actual": actuals.get(kr) or ZERO,
                "_order": (
                    kr is None,
                    row["key_result__objective__position"] or 0,
                    row["key_result__objective_id"] or 0,
                    row["key_result__position"] or 0,
                    kr or 0,
                ),
            }
        )
    result.sort(key=lambda r: r.pop("_order"))
    return result


def budget_by_objective(*, company: Company, cycle: Cycle) -> list[dict]:
    """Roll budget_by_key_result up per objective (unbound lines as objective None)."""
    grouped: dict = defaultdict(lambda: {"planned": ZERO, "approved": ZERO, "actual": ZERO})
    titles = {}
    for row in budget_by_key_result(company=company, cycle=cycle):
        key = row["objective_id"]
        titles[key] = row["objective"]
        for name in ("planned", "approved", "actual"):
            grouped[key][name] += row[name]
    return [{"objective_id": k, "objective": titles[k], **v} for k, v in grouped.items()]


def monthly_actual(*, company: Company, cycle: Cycle) -> list[dict]:
    """Actual spend per calendar month of the cycle (months without spend included as zero)."""
    spent = {
        row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]: row["total"]
        for row in SpendEntry.objects.for_company(company)
        .filter(line__cycle=cycle)
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("month")
        .annotate(total=Sum("amount"))
    }
    months = []
    # Clamped: a cycle stored before dates were bounded (year 1 to 9999) must not overflow the month arithmetic.
    current, last = clamp_date(cycle.start_date).replace(day=1), clamp_date(cycle.end_date)
    while current <= last:
        months.append({"month": current, "actual": spent.get(current) or ZERO})
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months
