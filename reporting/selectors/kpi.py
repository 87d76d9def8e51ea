"""Read queries of the board, the KPI API, the export and the digest. Query counts do not grow with the data:
the tiles with their history are one query (a window function keeps the last HISTORY_LENGTH periods per KPI)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, F, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Cast, Concat, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budgets.models import BudgetLine, SpendEntry
from companies.models import Company
from objectives.models import Cycle, KeyResult, Objective, key_result_progress

from .. import kpis, periods
from ..models_snapshots import AttributionSnapshot, KpiRefresh, KpiSnapshot, PeriodKind

HISTORY_LENGTH = 12

# Traffic light of a KPI against its target. Attainment = value / target (or target / value where lower is
# better, e.g. cost per qualified lead): on track from 95 %, behind from 80 %, at risk below.
ON_TRACK_FROM = Decimal("0.95")
BEHIND_FROM = Decimal("0.80")

STATUS_LABELS = {
    "on_track": _("on track"),
    "behind": _("behind"),
    "at_risk": _("at risk"),
    "no_target": _("no target"),
}


def kpi_status(value: Decimal | None, target: Decimal | None, *, higher_is_better: bool) -> str:
    """ "on_track", "behind", "at_risk" or "no_target" (no target or no value)."""
    if value is None or target is None:
        return "no_target"
    value, target = Decimal(value), Decimal(target)
    if higher_is_better:
        if target <= 0:
            return "on_track" if value >= target else "at_risk"
        attainment = value / target
    else:
        if value <= 0 or value <= target:
            return "on_track"
        attainment = target / value
    if attainment >= ON_TRACK_FROM:
        return "on_track"
    if attainment >= BEHIND_FROM:
        return "behind"
    return "at_risk"


@dataclass
class HistoryPoint:
    period_key: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    value: Decimal | None
    target: Decimal | None
    breakdown: dict
    data_through: dt.date | None = None


@dataclass(frozen=True)
class BoardPeriod:
    """A period the board can show (one that has snapshots), named in the active language."""

    kind: str
    key: str
    start: dt.date
    end: dt.date
    stored_label: str
    fiscal_start_month: int = 1

    @property
    def label(self) -> str:
        return periods.localized_label(kind=self.kind, key=self.key, start=self.start, stored=self.stored_label,
                                       fiscal_start_month=self.fiscal_start_month)  # fmt: skip


@dataclass
class KpiTile:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    value: Decimal | None
    target: Decimal | None  # compared with the value: for a running sum KPI, the target pro-rated to date
    previous_value: Decimal | None
    previous_label: str
    status: str
    period_kind: str
    period_key: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    computed_at: dt.datetime
    breakdown: dict
    history: list[HistoryPoint] = field(default_factory=list)
    # The whole period's target (differs from ``target`` only while a sum KPI's period runs) and where it comes
    # from (reporting.targets.SOURCE_LABELS keys; "" when there is none).
    period_target: Decimal | None = None
    target_source: str = ""
    # A running period: the value covers period_start..data_through, compared with the previous period's first
    # days (previous_label then names those days).
    data_through: dt.date | None = None
    comparison_days: int | None = None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_partial(self) -> bool:
        return self.data_through is not None


def _definition(key: str):
    return kpis.KPIS.get(key)


def _choose_period(rows: list[KpiSnapshot], *, on: dt.date, wanted: str | None) -> KpiSnapshot | None:
    """The snapshot row naming the period the board shows: ``wanted`` when it has snapshots, else the last
    complete period (ended before ``on``), else the latest one that has started."""
    if wanted:
        return next((r for r in rows if r.period_key == wanted), None)
    complete = [r for r in rows if r.period_end < on and r.data_through is None]
    pool = complete or rows
    return max(pool, key=lambda r: (r.period_start, r.period_end), default=None)


def board_tiles(
    *,
    company: Company,
    period_kind: str = PeriodKind.MONTH,
    on: dt.date | None = None,
    period_key: str | None = None,
    book=None,
    available: list | None = None,
) -> list[KpiTile]:
    """One tile per registered KPI for one period of ``period_kind``: ``period_key`` when given (and stored), else
    the last complete period, else the running one; with its comparison and up to HISTORY_LENGTH periods of history,
    in the registry's order. Targets come from reporting.targets (live, so an edited target shows at once; the
    snapshot's own target when none is set). Pass a list as ``available`` to receive the periods that have
    snapshots (newest first) for a period picker. Constant queries: the snapshots (one), the targets (three)."""
    from ..targets import TargetBook, target_to_date

    on = on or timezone.localdate()
    snapshots = KpiSnapshot.objects.filter(company=company, period_kind=period_kind, period_start__lte=on)
    if period_kind == PeriodKind.CYCLE:
        # The board compares top-level cycles (years) with each other, not a year with one of its own quarters.
        top_level_keys = (
            Cycle.objects.filter(company=company, parent__isnull=True)
            .annotate(period_key=Concat(Value("cycle-"), Cast("pk", CharField())))
            .values("period_key")
        )
        snapshots = snapshots.filter(period_key__in=Subquery(top_level_keys))
    rows = list(
        snapshots.annotate(
            rank=Window(RowNumber(), partition_by=[F("kpi")], order_by=[F("period_start").desc(), F("pk").desc()])
        )
        .filter(rank__lte=HISTORY_LENGTH)
        .order_by("kpi", "period_start", "pk")
    )
    fiscal = company.fiscal_year_start_month
    if available is not None:
        seen: dict[str, BoardPeriod] = {}
        for row in rows:
            seen.setdefault(row.period_key, BoardPeriod(period_kind, row.period_key, row.period_start,
                                                        row.period_end, row.period_label, fiscal))  # fmt: skip
        available.extend(sorted(seen.values(), key=lambda p: (p.start, p.end), reverse=True))
    chosen = _choose_period(rows, on=on, wanted=period_key)
    if chosen is None:
        return []
    book = book if book is not None else TargetBook(company)
    by_kpi: dict[str, list[KpiSnapshot]] = defaultdict(list)
    for row in rows:
        if row.period_start <= chosen.period_start:
            by_kpi[row.kpi].append(row)

    def label(row) -> str:
        return periods.localized_label(kind=row.period_kind, key=row.period_key, start=row.period_start,
                                       stored=row.period_label, fiscal_start_month=fiscal)  # fmt: skip

    tiles = []
    for key, definition in kpis.KPIS.items():
        history = by_kpi.get(key)
        if not history or history[-1].period_key != chosen.period_key:
            continue
        latest = history[-1]
        resolved = book.resolve(key, kind=latest.period_kind, period_key=latest.period_key,
                                start=latest.period_start, end=latest.period_end)  # fmt: skip
        period_target = resolved.value if resolved is not None else latest.target
        source = resolved.source if resolved is not None else ("snapshot" if latest.target is not None else "")
        compared_target = target_to_date(period_target, key=key, period_start=latest.period_start,
                                         period_end=latest.period_end, through=latest.data_through)  # fmt: skip
        previous_value, previous_label, comparison_days = None, "", None
        if latest.data_through is not None:
            # Running: the previous period over the same number of days, computed by the refresh.
            if latest.comparison_start is not None:
                previous_value = latest.comparison_value
                previous_label = periods.short_range(latest.comparison_start, latest.comparison_end)
                comparison_days = (latest.comparison_end - latest.comparison_start).days + 1
        elif len(history) > 1 and history[-2].data_through is None:
            # Complete against complete only: a previous snapshot stored while it ran is no fair comparison.
            previous_value, previous_label = history[-2].value, label(history[-2])
        tiles.append(
            KpiTile(
                key=key,
                label=definition.label,
                unit=latest.unit,
                higher_is_better=definition.higher_is_better,
                value=latest.value,
                target=compared_target,
                previous_value=previous_value,
                previous_label=previous_label,
                status=kpi_status(latest.value, compared_target, higher_is_better=definition.higher_is_better),
                period_kind=latest.period_kind,
                period_key=latest.period_key,
                period_label=label(latest),
                period_start=latest.period_start,
                period_end=latest.period_end,
                computed_at=latest.computed_at,
                breakdown=latest.breakdown or {},
                history=[
                    HistoryPoint(
                        period_key=h.period_key,
                        period_label=label(h),
                        period_start=h.period_start,
                        period_end=h.period_end,
                        value=h.value,
                        target=h.target,
                        breakdown=h.breakdown or {},
                        data_through=h.data_through,
                    )
                    for h in history
                ],
                period_target=period_target,
                target_source=source,
                data_through=latest.data_through,
                comparison_days=comparison_days,
            )
        )
    return tiles


def kpi_history(*, company: Company, key: str, period_kind: str | None = None) -> QuerySet[KpiSnapshot]:
    """Every snapshot of one KPI, oldest first (API history, export)."""
    rows = KpiSnapshot.objects.filter(company=company, kpi=key)
    if period_kind:
        rows = rows.filter(period_kind=period_kind)
    return rows.order_by("period_kind", "period_start", "pk")


def kpi_export_rows(*, company: Company, period_kind: str | None = None) -> QuerySet[KpiSnapshot]:
    rows = KpiSnapshot.objects.filter(company=company)
    if period_kind:
        rows = rows.filter(period_kind=period_kind)
    return rows.order_by("kpi", "period_kind", "period_start", "pk")


def latest_refresh(*, company: Company) -> KpiRefresh | None:
    return KpiRefresh.objects.filter(company=company).select_related("replaces").order_by("-created_at", "-pk").first()


def refresh_for(*, company: Company, refresh_id: int, follow: bool = False) -> KpiRefresh:
    """One refresh of the company (404 otherwise). ``follow``: when it was lost and replaced, the refresh that
    replaced it (so a board still polling the lost one follows the new one)."""
    from django.shortcuts import get_object_or_404

    refresh = get_object_or_404(KpiRefresh.objects.select_related("replaces"), company=company, pk=refresh_id)
    if follow:
        successor = KpiRefresh.objects.filter(company=company, replaces=refresh).select_related("replaces").first()
        return successor or refresh
    return refresh


# --- live data behind the board charts ------------------------------------------------------------------------


def _board_cycles(*, company: Company, start: dt.date, end: dt.date) -> list[Cycle]:
    """Top-level cycles that overlap the period (the cascade the board shows)."""
    return list(
        Cycle.objects.filter(company=company, parent__isnull=True, start_date__lte=end, end_date__gte=start)
        .exclude(state=Cycle.State.PLANNING)
        .order_by("start_date", "pk")
    )


@dataclass
class ObjectiveProgress:
    id: int
    parent_id: int | None
    title: str
    team: str | None  # the team's name
    progress: Decimal
    key_results: int


def objective_progress(*, company: Company, start: dt.date, end: dt.date) -> list[ObjectiveProgress]:
    """Progress of every objective of the cycles overlapping the period: the weighted mean of its key results'
    progress (objectives without key results count 0). Two queries."""
    cycles = _board_cycles(company=company, start=start, end=end)
    if not cycles:
        return []
    # Plain rows, not model instances: the board reads every objective and key result of the cycles.
    key_results: dict[int, list[tuple]] = defaultdict(list)
    for objective_id, kind, start_value, target_value, current_value, weight in (
        KeyResult.objects.filter(company=company, objective__cycle__in=cycles)
        .order_by("objective_id", "position", "pk")
        .values_list("objective_id", "kind", "start_value", "target_value", "current_value", "weight")
    ):
        key_results[objective_id].append((kind, start_value, target_value, current_value, weight))
    objectives = (
        Objective.objects.filter(company=company, cycle__in=cycles)
        .order_by("cycle__start_date", "parent_id", "position", "pk")
        .values_list("pk", "parent_id", "title", "team__name")
    )
    out = []
    for pk, parent_id, title, team in objectives:
        krs = key_results.get(pk, [])
        total_weight = sum((kr[4] for kr in krs), Decimal(0))
        progress = (
            sum((key_result_progress(*kr[:4]) * kr[4] for kr in krs), Decimal(0)) / total_weight
            if total_weight
            else Decimal(0)
        )
        out.append(
            ObjectiveProgress(
                id=pk, parent_id=parent_id, title=title, team=team, progress=progress, key_results=len(krs)
            )
        )
    known = {o.id for o in out}
    for o in out:
        if o.parent_id not in known:
            o.parent_id = None
    return out


@dataclass
class SpendRow:
    channel: str
    planned: Decimal
    actual: Decimal


def spend_plan_vs_actual(*, company: Company, start: dt.date, end: dt.date) -> list[SpendRow]:
    """Per channel: approved budget of the cycles overlapping the period, pro-rated to the days of the period
    inside each cycle, against actual spend booked in the period. Two aggregate queries."""
    planned: dict[str, Decimal] = defaultdict(Decimal)
    position: dict[str, int] = {}
    lines = (
        BudgetLine.objects.filter(
            company=company,
            state=BudgetLine.State.APPROVED,
            cycle__start_date__lte=end,
            cycle__end_date__gte=start,
        )
        .values("channel__name", "channel__position", "cycle__start_date", "cycle__end_date")
        .annotate(total=Sum("planned_amount"))
    )
    for row in lines:
        c_start, c_end = row["cycle__start_date"], row["cycle__end_date"]
        overlap = (min(c_end, end) - max(c_start, start)).days + 1
        length = (c_end - c_start).days + 1
        share = Decimal(overlap) / Decimal(length) if length > 0 else Decimal(1)
        planned[row["channel__name"]] += (row["total"] or Decimal(0)) * share
        position[row["channel__name"]] = row["channel__position"]
    actual: dict[str, Decimal] = defaultdict(Decimal)
    spend = (
        SpendEntry.objects.filter(company=company, date__gte=start, date__lte=end)
        .values("line__channel__name", "line__channel__position")
        .annotate(total=Sum("amount"))
    )
    for row in spend:
        actual[row["line__channel__name"]] += row["total"] or Decimal(0)
        position[row["line__channel__name"]] = row["line__channel__position"]
    channels = sorted(set(planned) | set(actual), key=lambda name: (position.get(name, 0), name))
    return [
        SpendRow(channel=name, planned=planned[name].quantize(Decimal("0.01")), actual=actual[name])
        for name in channels
    ]


def stored_attribution(
    *, company: Company, model: str, start: dt.date, end: dt.date, period_kind: str | None = None
) -> AttributionSnapshot | None:
    """The attribution the last refresh stored for exactly [start, end] under ``model`` (None when no refresh has
    covered that period yet). One query; the board and the API read this instead of computing live."""
    rows = AttributionSnapshot.objects.filter(company=company, model=model, period_start=start, period_end=end)
    if period_kind:
        rows = rows.filter(period_kind=period_kind)
    return rows.order_by("-computed_at", "-pk").first()


def board_has_data(*, company: Company) -> bool:
    return KpiSnapshot.objects.filter(company=company).exists()


def period_kinds() -> list[tuple[str, str]]:
    return list(PeriodKind.choices)


__all__ = [
    "STATUS_LABELS",
    "HistoryPoint",
    "KpiTile",
    "ObjectiveProgress",
    "SpendRow",
    "board_tiles",
    "kpi_export_rows",
    "kpi_history",
    "kpi_status",
    "latest_refresh",
    "objective_progress",
    "refresh_for",
    "spend_plan_vs_actual",
    "stored_attribution",
]
