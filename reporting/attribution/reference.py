"""The shares of one opportunity's touches under each model, in Python: the reference the SQL statement is
tested against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from .definitions import DEFINITIONS, MODELS, ModelDefinition

SHARE_PLACES = Decimal("0.000000000001")


ONE = Decimal("1")


def _normalise(weights: Sequence[Decimal]) -> list[Decimal]:
    """Weights → shares that sum to exactly 1 (the rounding remainder goes to the largest share)."""
    total = sum(weights, Decimal(0))
    shares = [(w / total).quantize(SHARE_PLACES) for w in weights]
    largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
    shares[largest] += ONE - sum(shares, Decimal(0))
    return shares


# Time decay weighs a touch 2^-(days before the last touch / half-life). Past 1,000 half-lives the weight is
# 2^-1000 ≈ 1e-301 (nothing after rounding the shares), while 2^-1075 underflows float8 and PostgreSQL's POWER fails
# the whole statement ("value out of range: underflow"): the exponent is capped here and in the SQL.
DECAY_HALF_LIVES_MAX = 1000.0


def milestone_indices(touch_times: Sequence[dt.datetime], *, lead_created: dt.datetime | None) -> dict[str, int]:
    """Index of each milestone touch in ``touch_times`` (sorted; ties already ordered by id)."""
    n = len(touch_times)
    at_or_before = [i for i, t in enumerate(touch_times) if lead_created is not None and t <= lead_created]
    return {
        "first": 0,
        "last": n - 1,
        "lead_creation": at_or_before[-1] if at_or_before else 0,
        "opportunity_creation": n - 1,
    }


def _definition_shares(definition: ModelDefinition, n: int, marks: dict[str, int]) -> list[Decimal]:
    weights = [Decimal(0)] * n
    named = []
    for name, share in definition.milestones:
        weights[marks[name]] += share
        named.append(marks[name])
    distinct = sorted(set(named))
    if definition.rest_over == "all":
        rest = list(range(n))
    elif definition.rest_over == "others":
        rest = [i for i in range(n) if i not in distinct]
    else:
        _tag, a, b = definition.rest_over.split(":")
        rest = list(range(marks[a] + 1, marks[b]))
    if definition.rest:
        receivers = rest or distinct
        for i in receivers:
            weights[i] += definition.rest / len(receivers)
    return _normalise(weights)


def model_shares(
    model: str,
    touch_times: Sequence[dt.datetime],
    *,
    opportunity_created: dt.datetime,
    lead_created: dt.datetime | None,
    half_life_days: int | float = 7,
) -> list[Decimal]:
    """The share of each touch (``touch_times`` sorted ascending, ties in id order, all ≤ the opportunity's
    creation) under ``model``; the shares sum to exactly 1."""
    n = len(touch_times)
    if n == 0:
        return []
    if model not in MODELS:
        raise ValueError(f"Unknown attribution model {model!r}.")
    if n == 1:
        return [ONE]
    if model == "time_decay":
        ages = [(opportunity_created - t).total_seconds() / 86400 for t in touch_times]
        youngest = min(ages)
        # Relative to the youngest touch so the weights never all underflow to 0 for very old touches; the
        # exponent is capped like in the statement (PostgreSQL's POWER raises on underflow past ~1,074).
        return _normalise(
            [Decimal(repr(2 ** -min((age - youngest) / float(half_life_days), DECAY_HALF_LIVES_MAX))) for age in ages]
        )
    return _definition_shares(DEFINITIONS[model], n, milestone_indices(touch_times, lead_created=lead_created))
