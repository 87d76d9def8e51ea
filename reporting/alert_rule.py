"""The KPI alert rule, as pure functions (no database): reporting.services.alerts applies it after each refresh.

A KPI's value for the **latest complete month** is checked twice:

- **Target trajectory**: its traffic light against the month's target (reporting.targets: the cycle target
  pro-rated to the month for sums and counts, unchanged for rates) is "at risk" — attainment below 80 %
  (reporting.selectors.kpi.kpi_status, the board's own rule).
- **Its own history** (robust): outside median ± k·MAD of its previous n monthly values (MAD = median of the
  absolute deviations from the median; k = 3 and n = 6 unless set per KPI). Fewer than three previous values:
  no history check. A history whose MAD is 0 (every value the same) flags any other value.

Either check firing raises an alert; the alert keeps which checks fired and every number they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .selectors.kpi import BEHIND_FROM, kpi_status

MIN_HISTORY = 3


def median(values: Sequence[Decimal]) -> Decimal:
    """The median (the mean of the two middle values for an even count). ValueError for no values."""
    ordered = sorted(Decimal(v) for v in values)
    if not ordered:
        raise ValueError("median of no values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mad(values: Sequence[Decimal]) -> Decimal:
    """Median absolute deviation: the median of |x − median|."""
    centre = median(values)
    return median([abs(Decimal(v) - centre) for v in values])


@dataclass
class AlertCheck:
    reasons: list[str] = field(default_factory=list)  # "target", "history"
    inputs: dict = field(default_factory=dict)

    @property
    def fired(self) -> bool:
        return bool(self.reasons)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def check_value(
    *,
    value: Decimal,
    target: Decimal | None,
    higher_is_better: bool,
    history: Sequence[tuple[str, str, Decimal]],
    k: Decimal,
    n: int,
) -> AlertCheck:
    """Check ``value`` against ``target`` and against ``history`` ((period key, label, value) oldest first; only
    the last ``n`` count). Returns the checks that fired and their inputs."""
    value = Decimal(value)
    check = AlertCheck()
    inputs = check.inputs
    inputs["value"] = str(value)
    inputs["k"] = str(k)
    inputs["n"] = n
    inputs["higher_is_better"] = higher_is_better
    # target trajectory
    inputs["target"] = _s(target)
    status = kpi_status(value, target, higher_is_better=higher_is_better)
    inputs["target_status"] = status
    inputs["at_risk_below"] = str(BEHIND_FROM * 100)
    if target is not None and Decimal(target) != 0 and value != 0:
        attainment = Decimal(value) / Decimal(target) if higher_is_better else Decimal(target) / Decimal(value)
        inputs["attainment"] = str((attainment * 100).quantize(Decimal("0.1")))
    else:
        inputs["attainment"] = None
    if status == "at_risk":
        check.reasons.append("target")
    # own history
    recent = [(key, label, Decimal(v)) for key, label, v in history if v is not None][-n:]
    inputs["history"] = [{"period": key, "label": label, "value": str(v)} for key, label, v in recent]
    if len(recent) >= MIN_HISTORY:
        values = [v for _key, _label, v in recent]
        centre = median(values)
        spread = mad(values)
        lower, upper = centre - Decimal(k) * spread, centre + Decimal(k) * spread
        inputs.update(median=str(centre), mad=str(spread), lower=str(lower), upper=str(upper))
        if value < lower or value > upper:
            inputs["direction"] = "below" if value < lower else "above"
            check.reasons.append("history")
    else:
        inputs.update(median=None, mad=None, lower=None, upper=None)
    return check
