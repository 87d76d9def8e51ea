"""Attribution of pipeline and won revenue to channels and campaigns.

For each opportunity created in the period, the touchpoints of its lead up to the opportunity's creation share the
opportunity's amount (pipeline) and, when it is won, its won revenue. Every model's shares sum to exactly 100 % per
opportunity; an opportunity without touchpoints goes 100 % to its lead's channel (else its own lead source, else
"(none)").

Models (the anchors the board page states):

- ``first_touch``: 100 % to the earliest touchpoint.
- ``last_touch``: 100 % to the latest touchpoint before the opportunity was created.
- ``linear``: equal shares for every touchpoint.
- ``time_decay``: weight 2^(−Δdays ÷ half-life) with Δdays = opportunity creation − touch time (half-life a
  company setting, default 7 days), normalised to 100 %.
- ``u_shaped``: 40 % first touch, 40 % lead-creation touch (the touchpoint closest in time to the lead's creation),
  the remaining 20 % spread evenly over the other touches; one touch gets 100 %, two touches 50/50, and when the
  first touch is also the lead-creation touch it gets 80 %.

How it runs: two queries, both streamed with ``.iterator()`` — the period's opportunities ordered by lead, and
those leads' touchpoints ordered by lead and time — merged in one Python pass (O(rows), memory of one lead's
touchpoints at a time). The weights need per-opportunity ordering and normalisation that SQL window functions
could express for first/last/linear but not readably for time decay and U-shaped, so all models share this pass
(:func:`attribute_models` computes every model in it). The KPI refresh stores each period's rows per model
(AttributionSnapshot); the board only reads those, since this pass takes seconds at a million leads.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import F, Subquery
from django.utils.translation import gettext_lazy as _

from .models import Opportunity, Touchpoint

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "u_shaped")

MODEL_LABELS = {
    "first_touch": _("First touch"),
    "last_touch": _("Last touch"),
    "linear": _("Linear"),
    "time_decay": _("Time decay"),
    "u_shaped": _("U-shaped"),
}
MODEL_DESCRIPTIONS = {
    "first_touch": _("100 % to the first touchpoint of the lead."),
    "last_touch": _("100 % to the last touchpoint before the opportunity was created."),
    "linear": _("Equal shares for every touchpoint before the opportunity was created."),
    "time_decay": _(
        "Weight 2^(−days before the opportunity ÷ half-life) per touchpoint; half-life %(days)s days (a setting)."
    ),
    "u_shaped": _(
        "40 % first touch, 40 % lead-creation touch (the touchpoint closest to the lead's creation), 20 % spread "
        "over the touches between; one touch gets 100 %, two touches 50/50."
    ),
}


def model_description(model: str, *, company) -> str:
    """The anchors of ``model`` as the UI states them (time decay with the company's half-life)."""
    from .kpis import reporting_settings

    text = str(MODEL_DESCRIPTIONS[model])
    if model == "time_decay":
        text = text % {"days": reporting_settings(company).attribution_half_life_days}
    return text


NO_CHANNEL = "(none)"
SHARE_PLACES = Decimal("0.000000000001")
CENT = Decimal("0.01")
ONE = Decimal("1")


def _normalise(weights: Sequence[Decimal]) -> list[Decimal]:
    """Weights → shares that sum to exactly 1 (the rounding remainder goes to the largest share)."""
    total = sum(weights, Decimal(0))
    shares = [(w / total).quantize(SHARE_PLACES) for w in weights]
    largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
    shares[largest] += ONE - sum(shares, Decimal(0))
    return shares


def model_shares(
    model: str,
    touch_times: Sequence[dt.datetime],
    *,
    opportunity_created: dt.datetime,
    lead_created: dt.datetime | None,
    half_life_days: int | float = 7,
) -> list[Decimal]:
    """The share of each touch (``touch_times`` sorted ascending, all ≤ the opportunity's creation) under
    ``model``; the shares sum to exactly 1."""
    n = len(touch_times)
    if n == 0:
        return []
    if model not in MODELS:
        raise ValueError(f"Unknown attribution model {model!r}.")
    if n == 1:
        return [ONE]
    zero = Decimal(0)
    if model == "first_touch":
        return [ONE] + [zero] * (n - 1)
    if model == "last_touch":
        return [zero] * (n - 1) + [ONE]
    if model == "linear":
        return _normalise([ONE] * n)
    if model == "time_decay":
        ages = [(opportunity_created - t).total_seconds() / 86400 for t in touch_times]
        youngest = min(ages)
        # Relative to the youngest touch so the weights never all underflow to 0 for very old touches.
        return _normalise([Decimal(repr(2 ** (-(age - youngest) / float(half_life_days)))) for age in ages])
    # u_shaped
    if n == 2:
        return [Decimal("0.5"), Decimal("0.5")]
    reference = lead_created or touch_times[0]
    creation = min(range(n), key=lambda i: (abs((touch_times[i] - reference).total_seconds()), i))
    weights = [zero] * n
    weights[0] += Decimal("0.4")
    weights[creation] += Decimal("0.4")
    others = [i for i in range(n) if i not in (0, creation)]
    for i in others:
        weights[i] += Decimal("0.2") / len(others)
    return _normalise(weights)


def attribute(
    *, company, model: str, start: dt.date | dt.datetime, end: dt.date | dt.datetime, half_life_days=None
) -> list[dict]:
    """Pipeline and won revenue of the opportunities created in [start, end] per channel and campaign.

    Dates are inclusive whole days (project time zone); datetimes are taken as [start, end). Rows:
    ``{"channel", "campaign", "pipeline": Decimal, "won": Decimal, "opportunities": int, "credit": Decimal}`` —
    ``opportunities`` counts the opportunities with a share in the row, ``credit`` the sum of their shares
    (fractional opportunities). Sorted by pipeline, largest first.
    """
    return attribute_models(company=company, models=(model,), start=start, end=end, half_life_days=half_life_days)[
        model
    ]


def attribute_models(
    *,
    company,
    models: Sequence[str] = MODELS,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    half_life_days=None,
) -> dict[str, list[dict]]:
    """:func:`attribute` for several models in ONE pass over the opportunities and touchpoints (the KPI refresh
    stores every model per period this way): ``{model: rows}``."""
    for model in models:
        if model not in MODELS:
            raise ValueError(f"Unknown attribution model {model!r}.")
    if half_life_days is None:
        from .kpis import reporting_settings

        half_life_days = reporting_settings(company).attribution_half_life_days
    start_dt, end_dt = _bounds(start, end)

    opportunities = (
        Opportunity.objects.filter(company=company, created__gte=start_dt, created__lt=end_dt)
        .order_by(F("lead_id").asc(nulls_last=True), "created", "id")
        .values_list(
            "lead_id", "created", "amount", "status", "lead_source", "lead__created", "lead__channel", "lead__campaign"
        )
    )
    touch_rows = (
        Touchpoint.objects.filter(
            company=company,
            lead_id__in=Subquery(
                Opportunity.objects.filter(
                    company=company, created__gte=start_dt, created__lt=end_dt, lead__isnull=False
                ).values("lead_id")
            ),
            occurred__lt=end_dt,
        )
        .order_by("lead_id", "occurred", "id")
        .values_list("lead_id", "occurred", "channel", "campaign")
        .iterator(chunk_size=5000)
    )

    by_model: dict[str, dict[tuple[str, str], dict]] = {model: {} for model in models}
    pending = next(touch_rows, None)
    loaded_lead = object()
    times: list[dt.datetime] = []
    labels: list[tuple[str, str]] = []

    for (
        lead_id,
        created,
        amount,
        status,
        lead_source,
        lead_created,
        lead_channel,
        lead_campaign,
    ) in opportunities.iterator(chunk_size=2000):
        if lead_id is not None and lead_id != loaded_lead:
            times, labels = [], []
            while pending is not None and pending[0] < lead_id:
                pending = next(touch_rows, None)
            while pending is not None and pending[0] == lead_id:
                times.append(pending[1])
                labels.append((pending[2] or NO_CHANNEL, pending[3] or ""))
                pending = next(touch_rows, None)
            loaded_lead = lead_id
        count = bisect_right(times, created) if lead_id is not None else 0
        won = status == Opportunity.Status.WON
        fallback = [((lead_channel or lead_source or NO_CHANNEL, lead_campaign or ""), ONE)]
        for model, rows in by_model.items():
            if count:
                shares = model_shares(
                    model,
                    times[:count],
                    opportunity_created=created,
                    lead_created=lead_created,
                    half_life_days=half_life_days,
                )
                credited = list(zip(labels[:count], shares, strict=True))
            else:
                credited = fallback
            _credit(rows, credited, amount=amount, won=won)

    return {model: _finish(rows) for model, rows in by_model.items()}


def _credit(rows: dict[tuple[str, str], dict], credited, *, amount: Decimal, won: bool) -> None:
    seen: set[tuple[str, str]] = set()
    for label, share in credited:
        if not share:
            continue
        row = rows.setdefault(
            label,
            {
                "channel": label[0],
                "campaign": label[1],
                "pipeline": Decimal(0),
                "won": Decimal(0),
                "opportunities": 0,
                "credit": Decimal(0),
            },
        )
        row["pipeline"] += amount * share
        if won:
            row["won"] += amount * share
        row["credit"] += share
        if label not in seen:
            row["opportunities"] += 1
            seen.add(label)


def _finish(rows: dict[tuple[str, str], dict]) -> list[dict]:
    result = []
    for row in rows.values():
        row["pipeline"] = row["pipeline"].quantize(CENT)
        row["won"] = row["won"].quantize(CENT)
        row["credit"] = row["credit"].quantize(Decimal("0.0001"))
        result.append(row)
    result.sort(key=lambda r: (-r["pipeline"], r["channel"], r["campaign"]))
    return result


def rows_from_json(rows: list[dict]) -> list[dict]:
    """Stored rows (Decimals saved as strings) back to :func:`attribute`'s shape."""
    return [
        {
            "channel": row["channel"],
            "campaign": row["campaign"],
            "pipeline": Decimal(row["pipeline"]),
            "won": Decimal(row["won"]),
            "opportunities": int(row["opportunities"]),
            "credit": Decimal(row["credit"]),
        }
        for row in rows
    ]


def attribute_by_channel(**kwargs) -> list[dict]:
    """:func:`attribute` summed over campaigns: one row per channel."""
    channels: dict[str, dict] = {}
    for row in attribute(**kwargs):
        total = channels.setdefault(
            row["channel"],
            {"channel": row["channel"], "pipeline": Decimal(0), "won": Decimal(0), "credit": Decimal(0)},
        )
        total["pipeline"] += row["pipeline"]
        total["won"] += row["won"]
        total["credit"] += row["credit"]
    return sorted(channels.values(), key=lambda r: (-r["pipeline"], r["channel"]))


def _bounds(start, end) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    tz = timezone.get_default_timezone()
    if isinstance(start, dt.datetime):
        start_dt = start if timezone.is_aware(start) else timezone.make_aware(start, tz)
    else:
        start_dt = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    if isinstance(end, dt.datetime):
        end_dt = end if timezone.is_aware(end) else timezone.make_aware(end, tz)
    else:
        end_dt = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start_dt, end_dt
