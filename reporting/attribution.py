"""Attribution of pipeline and won revenue to channels and campaigns.

For each opportunity created in the period, the touchpoints of its lead up to the opportunity's creation (touches
after it are not counted) share the opportunity's amount (pipeline) and, when it is won, its won revenue. Every
model's shares sum to exactly 100 % per opportunity; an opportunity without touchpoints goes 100 % to its lead's
channel (else its own lead source, else "(none)"). Touches are ordered by time, ties by their id.

The models are DATA (:data:`DEFINITIONS`): the board's text (:func:`model_description`), the Python reference
(:func:`model_shares`) and the SQL statement all read the same definition.

- ``first_touch``: 100 % to the first touch.
- ``last_touch``: 100 % to the last touch before the opportunity was created.
- ``linear``: equal shares for every touch.
- ``time_decay``: weight 2^(−Δt ÷ half-life) per touch, Δt = days from the touch to the opportunity's creation
  (counted back from the conversion; half-life a company setting, default 7 days), normalised to 100 %. The
  weights are taken relative to the most recent touch (2^(−(Δt − Δt_min) ÷ half-life): the same shares, as the
  common factor cancels) and the exponent is clamped at 1,000 half-lives (a weight of ~10^−301, i.e. nothing),
  so touches decades old never underflow.
- ``position_based`` (web analytics, e.g. Google Analytics): 40 % first touch, 40 % last touch, 20 % spread
  evenly over the touches strictly between them.
- ``u_shaped`` (B2B U-shaped, e.g. Marketo Measure/Bizible): 40 % first touch, 40 % lead-creation touch, 20 %
  spread evenly over the touches strictly between them; touches after the lead-creation touch get nothing.
- ``w_shaped``: 30 % first touch, 30 % lead-creation touch, 30 % opportunity-creation touch, 10 % spread evenly
  over all other touches.

Milestones: the *lead-creation touch* is the last touch at or before the lead's creation (the first touch when
every touch came later); the *opportunity-creation touch* is the last touch at or before the opportunity's
creation. Rules for coinciding milestones, stated with each model: a touch that is several milestones gets their
shares added up; when no touch qualifies for the spread share, it goes in equal parts to the distinct milestone
touches. So one touch always gets 100 %; in U-shaped two touches (first, lead creation) get 50/50, and a first
touch that is also the lead-creation touch gets 100 % (there is nothing strictly between).

How it runs: ONE SQL statement for every model and every period (:func:`attribute_periods`). Window functions
rank each opportunity's touches (order, count, the lead-creation touch, the time-decay weight and its sum), the
shares of all models are columns of the same rows, and the sums per period, channel and campaign are a GROUP BY —
the rows never travel to Python. :func:`model_shares` is the same rule for one opportunity in Python: the reference
the statement is tested against (on SQLite and PostgreSQL). The KPI refresh stores each period's rows per model
(AttributionSnapshot) and the board reads those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.safety import clamp_date
from crm.models import Lead, Opportunity, Touchpoint

from .kpis import reporting_settings

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "u_shaped", "w_shaped")

MODEL_LABELS = {
    "first_touch": _("First touch"),
    "last_touch": _("Last touch"),
    "linear": _("Linear"),
    "time_decay": _("Time decay"),
    "position_based": _("Position-based (40/20/40)"),
    "u_shaped": _("B2B U-shaped (40/40/20)"),
    "w_shaped": _("W-shaped (30/30/30/10)"),
}

# Milestone touches of an opportunity's journey (index into the touches sorted by time, then id).
MILESTONE_LABELS = {
    "first": _("first touch"),
    "last": _("last touch"),
    "lead_creation": _("lead-creation touch (the last touch at or before the lead was created)"),
    "opportunity_creation": _("opportunity-creation touch (the last touch before the opportunity was created)"),
}


@dataclass(frozen=True)
class ModelDefinition:
    """Shares to milestone touches, and the rest spread evenly over the touches ``rest_over``:
    "between:<a>:<b>" = strictly between milestones a and b, "others" = every touch that is no milestone,
    "all" = every touch. A touch that is several milestones gets their shares added; when no touch qualifies for
    the rest, it goes in equal parts to the distinct milestone touches."""

    milestones: tuple[tuple[str, Decimal], ...]
    rest: Decimal
    rest_over: str


DEFINITIONS: dict[str, ModelDefinition] = {
    "first_touch": ModelDefinition((("first", Decimal(1)),), Decimal(0), "others"),
    "last_touch": ModelDefinition((("last", Decimal(1)),), Decimal(0), "others"),
    "linear": ModelDefinition((), Decimal(1), "all"),
    "position_based": ModelDefinition(
        (("first", Decimal("0.4")), ("last", Decimal("0.4"))), Decimal("0.2"), "between:first:last"
    ),
    "u_shaped": ModelDefinition(
        (("first", Decimal("0.4")), ("lead_creation", Decimal("0.4"))), Decimal("0.2"), "between:first:lead_creation"
    ),
    "w_shaped": ModelDefinition(
        (("first", Decimal("0.3")), ("lead_creation", Decimal("0.3")), ("opportunity_creation", Decimal("0.3"))),
        Decimal("0.1"),
        "others",
    ),
}


def _percent(share: Decimal) -> str:
    from babel.numbers import format_decimal

    from core.numbers import babel_locale

    return format_decimal(share * 100, format="#,##0.#", locale=babel_locale()) + "\u00a0%"


def model_description(model: str, *, company=None, half_life_days: int | None = None) -> str:
    """The model as the board states it, generated from :data:`DEFINITIONS` (time decay with the half-life)."""
    if model == "time_decay":
        if half_life_days is None:
            from .kpis import reporting_settings

            half_life_days = reporting_settings(company).attribution_half_life_days
        return gettext(
            "Weight 2^(−days before the opportunity ÷ half-life) per touch, half-life %(days)s days (a setting), "
            "normalised to 100 %%; touches after the opportunity's creation do not count. Computed relative to the "
            "latest touch with the exponent capped at 1,000 half-lives, so decades-old touches get ~0 instead of an "
            "error."
        ) % {"days": half_life_days}
    definition = DEFINITIONS[model]
    if model == "linear":
        return gettext("Equal shares for every touch before the opportunity was created.")
    parts = [
        gettext("%(share)s to the %(touch)s") % {"share": _percent(share), "touch": MILESTONE_LABELS[name]}
        for name, share in definition.milestones
    ]
    text = "; ".join(parts)
    if definition.rest:
        if definition.rest_over.startswith("between:"):
            _tag, a, b = definition.rest_over.split(":")
            text += "; " + gettext(
                "%(share)s spread evenly over the touches strictly between the %(a)s and the %(b)s"
            ) % {
                "share": _percent(definition.rest),
                "a": MILESTONE_LABELS[a].split(" (")[0],
                "b": MILESTONE_LABELS[b].split(" (")[0],
            }
        else:
            text += "; " + gettext("%(share)s spread evenly over all other touches") % {
                "share": _percent(definition.rest)
            }
        text += ". " + gettext(
            "A touch that is several of these gets their shares added up; when no touch qualifies for the "
            "%(share)s, it goes in equal parts to those named touches (one touch: 100 %%)."
        ) % {"share": _percent(definition.rest)}
        if model == "u_shaped":
            text += " " + gettext(
                "So two touches get 50/50, a first touch that is also the lead-creation touch gets 100 %, and "
                "touches after the lead-creation touch get nothing."
            )
    else:
        text += "; " + gettext("nothing to the other touches.")
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
    FROM {opportunity_table} o LEFT JOIN {lead_table} l ON l.id = o.lead_id
    WHERE o.company_id = %(company)s AND o.created >= %(first)s AND o.created < %(last)s
),
touch AS (
    SELECT opp.id AS opp_id, opp.bucket, opp.amount, opp.won_amount,
           COALESCE(NULLIF(t.channel, ''), %(none)s) AS channel, COALESCE(t.campaign, '') AS campaign,
           ROW_NUMBER() OVER (PARTITION BY opp.id ORDER BY t.occurred, t.id) AS rn,
           COUNT(*) OVER (PARTITION BY opp.id) AS n,
           CASE WHEN opp.lead_created IS NOT NULL AND t.occurred <= opp.lead_created THEN 1 ELSE 0 END AS before_lead,
           {days_before_last} AS days_before_last
    FROM opp JOIN {touchpoint_table} t
      ON t.lead_id = opp.lead_id AND t.company_id = %(company)s AND t.occurred <= opp.created
),
ranked AS (
    SELECT touch.*,
           COALESCE(MAX(CASE WHEN before_lead = 1 THEN rn END) OVER (PARTITION BY opp_id), 1) AS lc,
           {decay_weight} AS decay
    FROM touch
),
shares AS (
    SELECT opp_id, bucket, amount, won_amount, channel, campaign, {share_columns}
    FROM ranked
),
per_label AS (
    SELECT opp_id, bucket, amount, won_amount, channel, campaign, {share_sums}
    FROM shares GROUP BY opp_id, bucket, amount, won_amount, channel, campaign
    UNION ALL
    SELECT id, bucket, amount, won_amount, fallback_channel, fallback_campaign, {share_ones}
    FROM opp
    WHERE lead_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM {touchpoint_table} t
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

# Milestones as columns of the ranked touches: positions 1..n in time order.
_MILESTONE_SQL = {"first": "1", "last": "n", "lead_creation": "lc", "opportunity_creation": "n"}


def _literal(value: Decimal) -> str:
    """A decimal literal that never divides as an integer ("1" → "1.0")."""
    text = format(value, "f")
    return text if "." in text else text + ".0"


def _share_sql(definition: ModelDefinition) -> str:
    """The share of the touch in row ``rn`` under ``definition``, as SQL: the same rule as
    :func:`_definition_shares` (milestone shares added up; the rest spread evenly over its touches, else over the
    distinct milestone touches)."""
    marks = [(_MILESTONE_SQL[name], _literal(share)) for name, share in definition.milestones]
    rest = _literal(definition.rest)
    terms = [f"CASE WHEN rn = {m} THEN {share} ELSE 0.0 END" for m, share in marks]
    if definition.rest and definition.rest_over == "all":
        terms.append(f"{rest} / n")
    elif definition.rest:
        positions = [m for m, _share in marks]
        is_milestone = "(" + " OR ".join(f"rn = {m}" for m in positions) + ")"
        distinct = " + ".join(
            ["1"]
            + [
                "CASE WHEN " + " AND ".join(f"{m} <> {earlier}" for earlier in positions[:k]) + " THEN 1 ELSE 0 END"
                for k, m in enumerate(positions)
                if k > 0
            ]
        )
        if definition.rest_over == "others":
            count, in_rest = f"(n - ({distinct}))", f"NOT {is_milestone}"
        else:
            _tag, a, b = definition.rest_over.split(":")
            a, b = _MILESTONE_SQL[a], _MILESTONE_SQL[b]
            count = f"(CASE WHEN {b} - {a} - 1 > 0 THEN {b} - {a} - 1 ELSE 0 END)"
            in_rest = f"rn > {a} AND rn < {b}"
        terms.append(
            f"CASE WHEN {count} > 0 THEN (CASE WHEN {in_rest} THEN {rest} / {count} ELSE 0.0 END) "
            f"ELSE (CASE WHEN {is_milestone} THEN {rest} / ({distinct}) ELSE 0.0 END) END"
        )
    return " + ".join(terms) if terms else "0.0"


_VENDOR = {
    "postgresql": {
        "days_before_last": "EXTRACT(EPOCH FROM (MAX(t.occurred) OVER (PARTITION BY opp.id) - t.occurred)) / 86400.0",
        "decay_weight": (
            "POWER(2.0::float8, -LEAST(days_before_last::float8 / %(half_life)s::float8, %(decay_max)s::float8))"
        ),
        "numeric": "CAST({} AS numeric)",
        "timestamp": "%({})s::timestamptz",
    },
    "sqlite": {
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
    bucket_sums, period_sums, share_columns = [], [], []
    for i, model in enumerate(MODELS, start=1):
        if model == "time_decay":
            share_columns.append(
                vendor["numeric"].format("decay / SUM(decay) OVER (PARTITION BY opp_id)") + f" AS s{i}"
            )
        else:
            share_columns.append(f"{_share_sql(DEFINITIONS[model])} AS s{i}")
        bucket_sums.append(
            f"SUM(amount * s{i}) AS p{i}, SUM(won_amount * s{i}) AS w{i}, "
            f"SUM(CASE WHEN s{i} >= %(epsilon)s THEN 1 ELSE 0 END) AS o{i}, SUM(s{i}) AS c{i}"
        )
        period_sums.append(f"SUM(b.p{i}), SUM(b.w{i}), SUM(b.o{i}), SUM(b.c{i})")
    sql = _ATTRIBUTION_SQL.format(
        opportunity_table=Opportunity._meta.db_table,
        lead_table=Lead._meta.db_table,
        touchpoint_table=Touchpoint._meta.db_table,
        membership=", ".join(membership),
        bucket=bucket,
        days_before_last=vendor["days_before_last"],
        decay_weight=vendor["decay_weight"],
        share_columns=", ".join(share_columns),
        share_sums=", ".join(f"SUM(s{i}) AS s{i}" for i in range(1, len(MODELS) + 1)),
        share_ones=", ".join("1" for _model in MODELS),
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
