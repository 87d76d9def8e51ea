"""The ONE SQL statement that attributes every model for every period (window functions rank and weigh each
opportunity's touches; GROUP BY sums them per period, channel and campaign), for PostgreSQL and SQLite."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from ..models import Opportunity
from .definitions import DEFINITIONS, MODELS, ModelDefinition
from .reference import DECAY_HALF_LIVES_MAX

NO_CHANNEL = "(none)"


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
           CASE WHEN opp.lead_created IS NOT NULL AND t.occurred <= opp.lead_created THEN 1 ELSE 0 END AS before_lead,
           {days_before_last} AS days_before_last
    FROM opp JOIN reporting_touchpoint t
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
