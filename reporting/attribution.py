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

How it runs: ONE SQL statement for every model and every period (:func:`attribute_periods`). Window functions
rank each opportunity's touches (order, count, the touch closest to the lead's creation, the time-decay weight
and its sum), the shares of all five models are columns of the same rows, and the sums per period, channel and
campaign are a GROUP BY — the rows never travel to Python. :func:`model_shares` is the same rule for one
opportunity in Python: the reference the statement is tested against. The KPI refresh stores each period's rows
per model (AttributionSnapshot) and the board reads those; a Python pass over a million leads took minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from core.safety import clamp_date

from .kpis import reporting_settings
from .models import Opportunity

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


# Time decay weighs a touch 2^-(days before the last touch / half-life). Past 1,000 half-lives the weight is
# 2^-1000 ≈ 1e-301 (nothing after rounding the shares), while 2^-1075 underflows float8 and PostgreSQL's POWER fails
# the whole statement ("value out of range: underflow"): the exponent is capped here and in the SQL.
DECAY_HALF_LIVES_MAX = 1000.0


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
        # Relative to the youngest touch so the weights never all underflow to 0 for very old touches; the
        # exponent is capped like in the statement (PostgreSQL's POWER raises on underflow past ~1,074).
        return _normalise(
            [Decimal(repr(2 ** -min((age - youngest) / float(half_life_days), DECAY_HALF_LIVES_MAX))) for age in ages]
        )
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


# Below this a share rounds to 0 at the reference's 12 places: such a touch does not count its opportunity.
_SHARE_EPSILON = "0.0000000000005"

_ATTRIBUTION_SQL = """
WITH membership (period_key, bucket) AS (VALUES {membership}),
opp AS (
    SELECT o.id, {bucket} AS bucket, o.created, o.amount, o.lead_id, l.created AS lead_created,
           CASE WHEN o.status = %(won)s THEN o.amount ELSE 0 END AS won_amount,
           COALESCE(NULLIF(l.channel, ''), NULLIF(o.lead_source, ''), %(none)s) AS fallback_channel,
           COALESCE(l.campaign, '') AS fallback_campaign
    FROM reporting_opportunity o LEFT JOIN reporting_lead l ON l.id = o.lead_id
    WHERE o.company_id = %(company)s AND o.created >= %(first)s AND o.created < %(last)s
),
touch AS (
    SELECT opp.id AS opp_id, opp.bucket, opp.amount, opp.won_amount,
           COALESCE(NULLIF(t.channel, ''), %(none)s) AS channel, COALESCE(t.campaign, '') AS campaign,
           ROW_NUMBER() OVER (PARTITION BY opp.id ORDER BY t.occurred, t.id) AS rn,
           COUNT(*) OVER (PARTITION BY opp.id) AS n,
           {seconds_from_reference} AS reference_seconds,
           {days_before_last} AS days_before_last
    FROM opp JOIN reporting_touchpoint t
      ON t.lead_id = opp.lead_id AND t.company_id = %(company)s AND t.occurred <= opp.created
),
ranked AS (
    SELECT touch.*,
           ROW_NUMBER() OVER (PARTITION BY opp_id ORDER BY reference_seconds, rn) AS closeness,
           {decay_weight} AS decay
    FROM touch
),
shares AS (
    SELECT opp_id, bucket, amount, won_amount, channel, campaign,
           CASE WHEN rn = 1 THEN 1.0 ELSE 0.0 END AS s1,
           CASE WHEN rn = n THEN 1.0 ELSE 0.0 END AS s2,
           1.0 / n AS s3,
           {decay_share} AS s4,
           CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5
                ELSE CASE WHEN rn = 1 THEN 0.4 ELSE 0.0 END + CASE WHEN closeness = 1 THEN 0.4 ELSE 0.0 END
                     + CASE WHEN rn = 1 OR closeness = 1 THEN 0.0
                            ELSE 0.2 / (n - CASE WHEN MAX(CASE WHEN closeness = 1 THEN rn END)
                                                      OVER (PARTITION BY opp_id) = 1 THEN 1 ELSE 2 END) END
           END AS s5
    FROM ranked
),
per_label AS (
    SELECT opp_id, bucket, amount, won_amount, channel, campaign,
           SUM(s1) AS s1, SUM(s2) AS s2, SUM(s3) AS s3, SUM(s4) AS s4, SUM(s5) AS s5
    FROM shares GROUP BY opp_id, bucket, amount, won_amount, channel, campaign
    UNION ALL
    SELECT id, bucket, amount, won_amount, fallback_channel, fallback_campaign, 1, 1, 1, 1, 1
    FROM opp
    WHERE lead_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM reporting_touchpoint t
        WHERE t.lead_id = opp.lead_id AND t.company_id = %(company)s AND t.occurred <= opp.created
    )
),
bucketed AS (
    SELECT bucket, channel, campaign, {bucket_sums}
    FROM per_label GROUP BY bucket, channel, campaign
)
SELECT m.period_key, b.channel, b.campaign, {period_sums}
FROM bucketed b JOIN membership m ON m.bucket = b.bucket
GROUP BY m.period_key, b.channel, b.campaign
"""

_VENDOR = {
    "postgresql": {
        "seconds_from_reference": (
            "ABS(EXTRACT(EPOCH FROM (t.occurred - COALESCE(opp.lead_created, "
            "MIN(t.occurred) OVER (PARTITION BY opp.id)))))"
        ),
        "days_before_last": "EXTRACT(EPOCH FROM (MAX(t.occurred) OVER (PARTITION BY opp.id) - t.occurred)) / 86400.0",
        "decay_weight": (
            "POWER(2.0::float8, -LEAST(days_before_last::float8 / %(half_life)s::float8, %(decay_max)s::float8))"
        ),
        "numeric": "CAST({} AS numeric)",
        "timestamp": "%({})s::timestamptz",
    },
    "sqlite": {
        "seconds_from_reference": (
            "ABS(julianday(t.occurred) - julianday(COALESCE(opp.lead_created, "
            "MIN(t.occurred) OVER (PARTITION BY opp.id)))) * 86400.0"
        ),
        "days_before_last": "julianday(MAX(t.occurred) OVER (PARTITION BY opp.id)) - julianday(t.occurred)",
        "decay_weight": "POWER(2.0, -MIN(days_before_last / %(half_life)s, %(decay_max)s))",
        "numeric": "{}",
        "timestamp": "%({})s",
    },
}


def attribution_statement(*, company, periods, half_life_days) -> tuple[str, dict]:
    """The statement and its parameters.

    Periods may overlap (a month, its quarter, the cycle): the distinct period boundaries cut the time line into
    buckets, each opportunity is put into its bucket once (a CASE over the boundaries), the shares are summed per
    bucket and label, and each period adds up the buckets it covers — so the expensive rows are never repeated
    per period.
    """
    vendor = _VENDOR["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    adapt = connection.ops.adapt_datetimefield_value
    edges = sorted({moment for _key, start, end in periods for moment in (start, end)})
    params: dict = {
        "won": Opportunity.Status.WON,
        "none": NO_CHANNEL,
        "company": company.pk,
        "first": adapt(edges[0]),
        "last": adapt(edges[-1]),
        "half_life": float(half_life_days),
        "decay_max": DECAY_HALF_LIVES_MAX,
        "epsilon": Decimal(_SHARE_EPSILON) if connection.vendor == "postgresql" else float(_SHARE_EPSILON),
    }
    cases = []
    for number, edge in enumerate(edges[1:-1], start=1):
        params[f"edge{number}"] = adapt(edge)
        cases.append(f"WHEN o.created < {vendor['timestamp'].format(f'edge{number}')} THEN {number - 1}")
    bucket = f"CASE {' '.join(cases)} ELSE {len(edges) - 2} END" if cases else "0"
    membership = []
    for number, (key, start, end) in enumerate(periods):
        params[f"period{number}"] = key
        for index in range(edges.index(start), edges.index(end)):
            membership.append(f"(%(period{number})s, {index})")
    bucket_sums, period_sums = [], []
    for i in range(1, len(MODELS) + 1):
        bucket_sums.append(
            f"SUM(amount * s{i}) AS p{i}, SUM(won_amount * s{i}) AS w{i}, "
            f"SUM(CASE WHEN s{i} >= %(epsilon)s THEN 1 ELSE 0 END) AS o{i}, SUM(s{i}) AS c{i}"
        )
        period_sums.append(f"SUM(b.p{i}), SUM(b.w{i}), SUM(b.o{i}), SUM(b.c{i})")
    sql = _ATTRIBUTION_SQL.format(
        membership=", ".join(membership),
        bucket=bucket,
        seconds_from_reference=vendor["seconds_from_reference"],
        days_before_last=vendor["days_before_last"],
        decay_weight=vendor["decay_weight"],
        decay_share=vendor["numeric"].format("decay / SUM(decay) OVER (PARTITION BY opp_id)"),
        bucket_sums=", ".join(bucket_sums),
        period_sums=", ".join(period_sums),
    )
    return sql, params


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
