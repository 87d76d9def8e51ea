"""KPI targets per period: set per cycle and derived for its months and quarters, or set per period directly.

The rule (the board settings page and the README state it the same way):

- A **cycle target** is what a KpiTarget row for the cycle ("cycle-12") says; without one, the target value of a
  key result of that cycle bound to the KPI (KpiBinding), so OKR targets keep working.
- A **month or quarter** takes its own KpiTarget row when there is one (an explicit target, e.g. a seasonal
  override). Otherwise it is derived from the cycle target of the most specific cycle covering the period's end
  that has one: KPIs that add up over time (sums and counts, ``KpiDefinition.aggregation == "sum"``) get the
  cycle target pro-rated by days, target × (days of the period inside the cycle ÷ days of the cycle); rates and
  ratios get the cycle target unchanged.
- A running period compares like with like on the board: a sum KPI's target is pro-rated to the days elapsed
  (:func:`target_to_date`); a rate keeps its target.

Resolving the targets of any number of periods takes two queries (targets set and bound key results, cycles).
Setting and removing a target are services (reporting.services.targets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, F, IntegerField, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy

from .models_snapshots import KpiTarget

CENT = Decimal("0.01")

SOURCE_LABELS = {
    "period": gettext_lazy("set for this period"),
    "cycle": gettext_lazy("cycle target"),
    "key_result": gettext_lazy("target of the bound key result"),
    "derived": gettext_lazy("derived from the cycle target"),
}


@dataclass(frozen=True)
class ResolvedTarget:
    value: Decimal
    source: str  # "period" | "cycle" | "key_result" | "derived"
    cycle_name: str = ""
    cycle_value: Decimal | None = None

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])


def _definition(key: str):
    from .kpis import KPIS

    return KPIS.get(key)


def is_additive(key: str) -> bool:
    """Whether the KPI adds up over time (sum or count): its targets are pro-rated by days."""
    definition = _definition(key)
    return getattr(definition, "aggregation", "rate") == "sum"


def _days(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def derive(value: Decimal, *, key: str, period_start, period_end, cycle_start, cycle_end) -> Decimal:
    """The share of a cycle target ``value`` that falls on [period_start, period_end]: pro-rated by days for sums
    and counts, unchanged for rates and ratios."""
    if not is_additive(key):
        return Decimal(value)
    overlap = _days(max(period_start, cycle_start), min(period_end, cycle_end))
    if overlap <= 0:
        return Decimal(0)
    return (Decimal(value) * Decimal(overlap) / Decimal(_days(cycle_start, cycle_end))).quantize(CENT)


def target_to_date(value: Decimal | None, *, key: str, period_start, period_end, through) -> Decimal | None:
    """The target a running period is compared with on ``through``: pro-rated to the elapsed days for sums and
    counts, unchanged for rates."""
    if value is None or through is None or through >= period_end or not is_additive(key):
        return value
    elapsed = max(_days(period_start, through), 0)
    return (Decimal(value) * Decimal(elapsed) / Decimal(_days(period_start, period_end))).quantize(CENT)


class TargetBook:
    """Every target of a company, loaded once (two queries), resolving the target of any KPI and period."""

    def __init__(self, company):
        from objectives.models import Cycle

        from .models import KpiBinding

        self.company = company
        # The targets set and the targets of bound key results (per cycle) in one UNION query.
        explicit = (
            KpiTarget.objects.filter(company=company)
            .order_by()
            .annotate(source=Value("set", output_field=CharField()), order=Value(0, output_field=IntegerField()))
            .values_list("kpi", "period_key", "value", "source", "order")
        )
        bound = (
            KpiBinding.objects.filter(company=company, key_result__target_value__isnull=False)
            .order_by()
            .annotate(
                cycle_key=Concat(Value("cycle-"), Cast("key_result__objective__cycle_id", CharField())),
                source=Value("key_result", output_field=CharField()),
                order=F("id"),
            )
            .values_list("kpi_key", "cycle_key", "key_result__target_value", "source", "order")
        )
        self.explicit: dict[tuple[str, str], Decimal] = {}
        self.bound: dict[tuple[str, int], Decimal] = {}
        # the most recent binding of a KPI in a cycle wins (highest id first)
        for kpi, key, value, source, _order in sorted(explicit.union(bound, all=True), key=lambda r: -r[4]):
            if source == "set":
                self.explicit[(kpi, key)] = Decimal(value)
            else:
                self.bound.setdefault((kpi, int(key.removeprefix("cycle-"))), Decimal(value))
        self.cycles = list(
            Cycle.objects.filter(company=company)
            .order_by("-start_date", "end_date", "id")
            .values_list("pk", "name", "start_date", "end_date")
        )

    def cycle_target(self, key: str, cycle_id: int) -> ResolvedTarget | None:
        value = self.explicit.get((key, f"cycle-{cycle_id}"))
        if value is not None:
            return ResolvedTarget(value=value, source="cycle")
        value = self.bound.get((key, cycle_id))
        if value is not None:
            return ResolvedTarget(value=Decimal(value), source="key_result")
        return None

    def resolve(self, key: str, *, kind: str, period_key: str, start: dt.date, end: dt.date) -> ResolvedTarget | None:
        if kind == "cycle":
            cycle_id = int(period_key.removeprefix("cycle-"))
            return self.cycle_target(key, cycle_id)
        value = self.explicit.get((key, period_key))
        if value is not None:
            return ResolvedTarget(value=value, source="period")
        # The most specific cycle covering the period's end (the latest start wins) that has a target.
        for cycle_id, name, c_start, c_end in self.cycles:
            if not c_start <= end <= c_end:
                continue
            found = self.cycle_target(key, cycle_id)
            if found is None:
                continue
            value = derive(found.value, key=key, period_start=start, period_end=end, cycle_start=c_start,
                           cycle_end=c_end)  # fmt: skip
            return ResolvedTarget(value=value, source="derived", cycle_name=name, cycle_value=found.value)
        return None

    def for_period(self, key: str, period) -> ResolvedTarget | None:
        return self.resolve(key, kind=period.kind, period_key=period.key, start=period.start, end=period.end)


# --- writing -----------------------------------------------------------------------------------------------------
