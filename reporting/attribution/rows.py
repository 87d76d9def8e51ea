"""Attribution rows per channel and campaign: run the statement for periods, models or one date range, and read
stored rows back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.safety import clamp_date

from ..kpis import reporting_settings
from .definitions import MODELS
from .statement import attribution_statement

CENT = Decimal("0.01")


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
    """:func:`attribute` for several models in one statement: ``{model: rows}``."""
    start_dt, end_dt = _bounds(start, end)
    by_period = attribute_periods(
        company=company, periods=[("", start_dt, end_dt)], models=models, half_life_days=half_life_days
    )
    return by_period[""]


def attribute_periods(
    *,
    company,
    periods: Sequence[tuple[str, dt.datetime, dt.datetime]],
    models: Sequence[str] = MODELS,
    half_life_days=None,
) -> dict[str, dict[str, list[dict]]]:
    """Every model's rows for every period ``(key, start, end)`` (aware datetimes, end exclusive) in ONE SQL
    statement: ``{period key: {model: rows}}``.

    A share depends only on the opportunity and its lead's touches, not on the period, so each opportunity's
    touches are ranked and weighted once (window functions) and then summed into every period that contains the
    opportunity's creation. The shares follow :func:`model_shares` (the reference, tested against this statement);
    sums are rounded to cents and credits to 4 places here, in Python, like the reference rounds.
    """
    for model in models:
        if model not in MODELS:
            raise ValueError(f"Unknown attribution model {model!r}.")
    result: dict[str, dict[str, list[dict]]] = {key: {model: [] for model in models} for key, _s, _e in periods}
    if not periods:
        return result
    if half_life_days is None:
        half_life_days = reporting_settings(company).attribution_half_life_days
    sql, params = attribution_statement(company=company, periods=periods, half_life_days=half_life_days)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            period_key, channel, campaign = record[:3]
            for index, model in enumerate(MODELS):
                if model not in result[period_key]:
                    continue
                pipeline, won, opportunities, credit = record[3 + 4 * index : 7 + 4 * index]
                if not opportunities:
                    continue
                result[period_key][model].append(
                    {
                        "channel": channel,
                        "campaign": campaign,
                        "pipeline": _decimal(pipeline).quantize(CENT),
                        "won": _decimal(won).quantize(CENT),
                        "opportunities": int(opportunities),
                        "credit": _decimal(credit).quantize(Decimal("0.0001")),
                    }
                )
    for by_model in result.values():
        for model_rows in by_model.values():
            model_rows.sort(key=lambda r: (-r["pipeline"], r["channel"], r["campaign"]))
    return result


def _decimal(value) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


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
    tz = timezone.get_default_timezone()
    if not isinstance(start, dt.datetime):
        start = clamp_date(start)
    if not isinstance(end, dt.datetime):
        end = clamp_date(end)  # end + 1 day below must not overflow for 9999-12-31
    if isinstance(start, dt.datetime):
        start_dt = start if timezone.is_aware(start) else timezone.make_aware(start, tz)
    else:
        start_dt = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    if isinstance(end, dt.datetime):
        end_dt = end if timezone.is_aware(end) else timezone.make_aware(end, tz)
    else:
        end_dt = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start_dt, end_dt
