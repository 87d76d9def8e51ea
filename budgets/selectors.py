"""Read queries shared by budget pages, the API, the board KPIs and tasks. Every function filters by company and
aggregates in the database, so query counts stay constant however many lines a company has.

Amount definitions used throughout:

- *planned*: the planned amount of every line that is not rejected (draft, submitted, approved);
- *approved*: the planned amount of approved lines;
- *actual*: the sum of spend entries booked on the lines;
- a line is *overspent* when its actual spend exceeds its planned (for approved lines: approved) amount.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404

from companies.models import Company
from core.safety import clamp_date
from history.selectors import history_for
from initiatives.models import Initiative
from objectives.models import Cycle, KeyResult

from .models import BudgetAuditEntry, BudgetLine, Channel, SpendEntry

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
State = BudgetLine.State
COUNTED_STATES = (State.DRAFT, State.SUBMITTED, State.APPROVED)


def _sum(expression, **filter_kwargs):
    condition = Q(**filter_kwargs) if filter_kwargs else None
    return Coalesce(Sum(expression, filter=condition), Value(ZERO), output_field=MONEY)


def _actual_subquery():
    spent = (
        SpendEntry.objects.filter(line=OuterRef("pk"))
        .order_by()
        .values("line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(spent, output_field=MONEY), Value(ZERO), output_field=MONEY)


def current_cycle(company: Company, *, today: dt.date | None = None) -> Cycle | None:
    """The cycle budgets are planned in by default: the longest one covering today (the fiscal year rather than a
    quarter), else the newest."""
    today = today or dt.date.today()
    cycles = Cycle.objects.filter(company=company)
    covering = cycles.filter(start_date__lte=today, end_date__gte=today).order_by("start_date", "-end_date").first()
    return covering or cycles.order_by("-start_date").first()


def company_cycles(company: Company) -> QuerySet[Cycle]:
    return Cycle.objects.filter(company=company).order_by("-start_date", "name")


def budget_lines(*, company: Company) -> QuerySet[BudgetLine]:
    """Lines of one company with everything a table row shows, and their actual spend as ``actual``."""
    return (
        BudgetLine.objects.filter(company=company)
        .select_related(
            "channel",
            "cycle",
            "initiative",
            "key_result__objective",
            "requester",
            "last_changed_by",
            "approver",
            "cmo_approved_by",
        )
        .annotate(actual=_actual_subquery())
    )


def budget_line_for(*, company: Company, pk) -> BudgetLine:
    """One line of ``company``; another company's line is a 404."""
    return get_object_or_404(budget_lines(company=company), pk=pk)


def filtered_lines(
    *,
    company: Company,
    cycle: Cycle | None = None,
    state: str | None = None,
    channel: int | str | None = None,
    requester: int | str | None = None,
    bound: bool | None = None,
    search: str | None = None,
) -> QuerySet[BudgetLine]:
    qs = budget_lines(company=company)
    if cycle is not None:
        qs = qs.filter(cycle=cycle)
    if state:
        qs = qs.filter(state=state)
    if channel:
        qs = qs.filter(channel_id=channel)
    if requester:
        qs = qs.filter(requester_id=requester)
    if bound is not None:
        qs = qs.filter(key_result__isnull=not bound)
    if search:
        qs = qs.filter(title__icontains=search)
    return qs.order_by("channel__position", "channel__name", "title", "pk")


def queue_lines(*, company: Company, state: str | None = State.SUBMITTED, **filters) -> QuerySet[BudgetLine]:
    """The approval queue: submitted lines first those waiting for a binding, then by channel and title."""
    return filtered_lines(company=company, state=state, **filters).order_by(
        F("key_result").asc(nulls_first=True), "channel__position", "title", "pk"
    )


def channels(*, company: Company, active_only: bool = False) -> QuerySet[Channel]:
    qs = Channel.objects.filter(company=company)
    return qs.filter(is_active=True) if active_only else qs


def requesters(*, company: Company):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(requested_budget_lines__company=company)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def audit_trail(*, line: BudgetLine) -> QuerySet[BudgetAuditEntry]:
    return BudgetAuditEntry.objects.filter(line=line).select_related("actor").order_by("at", "id")


def spend_entries(*, line: BudgetLine) -> QuerySet[SpendEntry]:
    return SpendEntry.objects.filter(line=line).select_related("created_by").order_by("-date", "-id")


def key_result_search(
    *, company: Company, query: str = "", covering: Cycle | None = None, limit: int = 10
) -> list[KeyResult]:
    """Key results of ``company`` whose title contains ``query``; with ``covering`` only those whose objective's
    cycle covers that cycle (the ones a line of that cycle can be approved against)."""
    qs = KeyResult.objects.filter(company=company).select_related("objective__cycle")
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(objective__title__icontains=query))
    if covering is not None:
        qs = qs.filter(Cycle.covering(covering.start_date, covering.end_date, prefix="objective__cycle__"))
    return list(qs.order_by("objective__position", "objective_id", "position", "pk")[:limit])


def initiative_key_results(*, company: Company, initiative: Initiative | int | None) -> list[KeyResult]:
    """The key results an initiative contributes to: the suggestions when a line is bound to that initiative."""
    if not initiative:
        return []
    pk = getattr(initiative, "pk", initiative)
    return list(
        KeyResult.objects.filter(company=company, initiatives__pk=pk)
        .select_related("objective__cycle")
        .order_by("objective_id", "position", "pk")
    )


def _lines_in_period(company: Company, cycle: Cycle | None, start: dt.date | None, end: dt.date | None):
    qs = BudgetLine.objects.filter(company=company)
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
    return SpendEntry.objects.filter(company=company, date__gte=start, date__lte=end).aggregate(total=_sum("amount"))[
        "total"
    ]


def plan_vs_actual(*, company: Company, cycle: Cycle) -> list[dict]:
    """Per channel (all of the company's channels, in their order): planned, approved and actual amounts of the
    cycle's lines, and whether actual exceeds approved (``overspent``)."""
    lines = BudgetLine.objects.filter(company=company, cycle=cycle)
    sums = {
        row["channel"]: row
        for row in lines.order_by()
        .values("channel")
        .annotate(
            planned=_sum("planned_amount", state__in=COUNTED_STATES),
            approved=_sum("planned_amount", state=State.APPROVED),
        )
    }
    actuals = dict(
        SpendEntry.objects.filter(company=company, line__cycle=cycle)
        .order_by()
        .values("line__channel")
        .annotate(total=Sum("amount"))
        .values_list("line__channel", "total")
    )
    result = []
    for channel in Channel.objects.filter(company=company).order_by("position", "name"):
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
    lines = BudgetLine.objects.filter(company=company, cycle=cycle).annotate(actual=_actual_subquery())
    actual = SpendEntry.objects.filter(company=company, line__cycle=cycle).aggregate(total=_sum("amount"))["total"]
    counts = lines.aggregate(
        overspent=Sum(Value(1), filter=Q(actual__gt=F("planned_amount"))),
    )
    by_state = dict(
        BudgetLine.objects.filter(company=company, cycle=cycle)
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
    lines = BudgetLine.objects.filter(company=company, cycle=cycle)
    rows = (
        lines.order_by()
        .values(
            "key_result_id",
            "key_result__title",
            "key_result__objective_id",
            "key_result__objective__title",
            "key_result__objective__position",
            "key_result__position",
        )
        .annotate(
            planned=_sum("planned_amount", state__in=COUNTED_STATES),
            approved=_sum("planned_amount", state=State.APPROVED),
        )
    )
    actuals = dict(
        SpendEntry.objects.filter(company=company, line__cycle=cycle)
        .order_by()
        .values("line__key_result")
        .annotate(total=Sum("amount"))
        .values_list("line__key_result", "total")
    )
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
        for row in SpendEntry.objects.filter(company=company, line__cycle=cycle)
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


def budget_settings_last_change(*, company: Company):
    """The latest recorded change of the company's approval limit (a ChangeRecord: actor, at, changes) or None."""
    return history_for(company=company, kind="budgetsettings").filter(action="updated").first()
