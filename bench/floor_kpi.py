"""The floor of the KPI refresh: each KPI of each period computed by ONE hand-written SQL statement.

Same definitions as reporting/kpis/ (see the docstrings there), written as the shortest SQL a person would write
against the same tables and indexes: no ORM, no target lookups, no snapshot writes. The covering cycle of a period
(for the three planning KPIs) is resolved the same way as the product, outside the timed statements, and so are the
periods a running period is compared with (the product computes every KPI again for the previous period's first
days: so does the floor).

Every KPI the product computes has its statement: the floor of 2026-11-21 lacked the five KPIs added since (the
influenced pipeline and revenue, the growth of qualified leads, the two handover KPIs), the leads that qualify by
their first opportunity (part (b) of reporting.kpis.base.REACHED_DEFINITION) and the running comparisons. The
handover KPIs measure working hours by the company's holiday calendar: their statement is sla.clock_sql's (the
product's own hand-written SQL, as for the attribution), aggregated per period in SQL.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

STAGES = ["mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at"]


def _reached(stage: str) -> str:
    names = STAGES[STAGES.index(f"{stage}_at") :]
    return f"COALESCE({', '.join(names)})" if len(names) > 1 else names[0]


def _qualified(company_id: int, q: str, start, end, focus: list[str]) -> tuple[str, list]:
    """Leads reaching the qualified stage in [start, end) per segment: by their stage dates, plus the leads without
    any stage date by their first opportunity."""
    segment_filter = "AND segment = ANY(%s)" if focus else ""
    undated = " AND ".join(f"l.{name} IS NULL" for name in STAGES)
    sql = f"""SELECT segment, COUNT(*) FROM (
                  SELECT segment FROM crm_lead WHERE company_id = %s AND {q} >= %s AND {q} < %s {segment_filter}
                  UNION ALL
                  SELECT l.segment FROM (SELECT lead_id FROM crm_opportunity
                                         WHERE company_id = %s AND lead_id IS NOT NULL GROUP BY lead_id
                                         HAVING MIN(created) >= %s AND MIN(created) < %s) f
                  JOIN crm_lead l ON l.id = f.lead_id WHERE {undated} {segment_filter.replace("segment", "l.segment")}
              ) reached GROUP BY segment"""
    focus_param = [focus] if focus else []
    return sql, [company_id, start, end, *focus_param, company_id, start, end, *focus_param]


def _influenced(company_id: int, where: str, params: list, not_marketing: list[str]) -> tuple[str, list]:
    touched = """EXISTS (SELECT 1 FROM crm_touchpoint t WHERE t.company_id = o.company_id AND t.lead_id = o.lead_id
                         AND t.occurred <= o.created AND LOWER(t.channel) <> ALL(%s))"""
    sql = f"""SELECT SUM(amount), SUM(amount) FILTER (WHERE touched), COUNT(*), COUNT(*) FILTER (WHERE touched)
              FROM (SELECT o.amount, {touched} AS touched FROM crm_opportunity o
                    WHERE o.company_id = %s AND {where}) influenced"""
    return sql, [not_marketing, company_id, *params]


def _handover(company, calendar, rules, start, end, at) -> list[tuple[str, str, list]]:
    """Both SLA clocks of [start, end): met, breached, pending and the median answer time, in one statement each."""
    from sla import clock_sql
    from sla.selectors import CLOCKS

    out = []
    for kind, (start_field, stops) in CLOCKS.items():
        columns = ["pk", start_field, *stops]
        inner = f"""SELECT id, {", ".join(columns[1:])} FROM crm_lead
                    WHERE company_id = %s AND {start_field} >= %s AND {start_field} < %s"""
        sql, params = clock_sql.measured(
            inner, (company.pk, start, end), columns, calendar=calendar, hours=rules[kind].hours,
            start_column=start_field, stop_columns=list(stops), at=at,
            first_day=start.astimezone(calendar.tz).date(), last_day=end.astimezone(calendar.tz).date(),
        )  # fmt: skip
        out.append((
            f"sla_clock_{kind}",
            f"""SELECT COUNT(*) FILTER (WHERE status = 'met'), COUNT(*) FILTER (WHERE status = 'breached'),
                       COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE taken_seconds IS NULL),
                       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY taken_seconds)
                FROM ({sql}) cases""",
            params,
        ))  # fmt: skip
    return out


def statements(*, company_id: int, period, settings, cycle_id: int | None, previous_cycle_id: int | None,
               not_marketing: list[str], today: dt.date):  # fmt: skip
    """(kpi key, SQL, params) for one period."""
    from reporting.periods import Period

    start, end = period.datetime_range()
    q = _reached(settings.qualified_stage)
    focus = [s for s in (settings.focus_segments or []) if s]
    window_start = end - dt.timedelta(days=365)
    yield (
        "pipeline_contribution",
        """SELECT SUM(amount), SUM(amount) FILTER (WHERE is_marketing_sourced), COUNT(*),
                  COUNT(*) FILTER (WHERE is_marketing_sourced)
           FROM crm_opportunity WHERE company_id = %s AND created >= %s AND created < %s""",
        [company_id, start, end],
    )
    qualified_sql, qualified_params = _qualified(company_id, q, start, end, [])
    yield (
        "cost_per_qualified_lead",
        f"""SELECT (SELECT COALESCE(SUM(amount), 0) FROM budgets_spendentry
                    WHERE company_id = %s AND date BETWEEN %s AND %s),
                   (SELECT SUM(count) FROM ({qualified_sql}) q)""",
        [company_id, period.start, period.end, *qualified_params],
    )
    yield (
        "marketing_influenced_pipeline",
        *_influenced(company_id, "o.created >= %s AND o.created < %s", [start, end], not_marketing),
    )
    yield (
        "marketing_influenced_revenue",
        *_influenced(company_id, "o.status = 'won' AND o.closed >= %s AND o.closed < %s", [start, end], not_marketing),
    )
    yield (
        "funnel_conversion",
        """SELECT COUNT(*), COUNT(*) FILTER (WHERE l.disqualified_at IS NOT NULL),
                  COUNT(*) FILTER (WHERE COALESCE(mql_at, sal_at, sql_at, opportunity_at, customer_at) IS NOT NULL
                                   OR o.lead_id IS NOT NULL),
                  COUNT(*) FILTER (WHERE COALESCE(sal_at, sql_at, opportunity_at, customer_at) IS NOT NULL
                                   OR o.lead_id IS NOT NULL),
                  COUNT(*) FILTER (WHERE COALESCE(sql_at, opportunity_at, customer_at) IS NOT NULL
                                   OR o.lead_id IS NOT NULL),
                  COUNT(*) FILTER (WHERE COALESCE(opportunity_at, customer_at) IS NOT NULL OR o.lead_id IS NOT NULL),
                  COUNT(*) FILTER (WHERE customer_at IS NOT NULL OR o.has_won)
           FROM crm_lead l
           LEFT JOIN (SELECT lead_id, BOOL_OR(status = 'won') AS has_won FROM crm_opportunity
                      WHERE company_id = %s AND lead_id IS NOT NULL GROUP BY lead_id) o ON o.lead_id = l.id
           WHERE l.company_id = %s AND l.created >= %s AND l.created < %s""",
        [company_id, company_id, start, end],
    )
    yield (
        "pipeline_velocity",
        """SELECT COUNT(*) FILTER (WHERE closed IS NULL OR closed >= %(end)s),
                  COUNT(*) FILTER (WHERE status = 'won' AND closed >= %(ws)s AND closed < %(end)s),
                  COUNT(*) FILTER (WHERE status = 'lost' AND closed >= %(ws)s AND closed < %(end)s),
                  AVG(amount) FILTER (WHERE status = 'won' AND closed >= %(ws)s AND closed < %(end)s),
                  AVG(closed - created) FILTER (WHERE status = 'won' AND closed >= %(ws)s AND closed < %(end)s)
           FROM crm_opportunity WHERE company_id = %(c)s AND created < %(end)s""",
        {"c": company_id, "end": end, "ws": window_start},
    )
    yield (
        "lead_to_customer_rate",
        """SELECT (SELECT COUNT(*) FROM crm_lead WHERE company_id = %(c)s AND created >= %(s)s
                   AND created < %(e)s),
                  (SELECT COUNT(*) FROM (
                       SELECT id FROM crm_lead WHERE company_id = %(c)s AND customer_at >= %(s)s
                              AND customer_at < %(e)s
                       UNION
                       SELECT l.id FROM crm_opportunity o JOIN crm_lead l ON l.id = o.lead_id
                       WHERE o.company_id = %(c)s AND o.status = 'won' AND o.closed >= %(s)s AND o.closed < %(e)s
                             AND l.customer_at IS NULL) customers)""",
        {"c": company_id, "s": start, "e": end},
    )
    yield ("qualified_leads_focus_segments", *_qualified(company_id, q, start, end, focus))
    growth_end = min(period.end, today)
    if growth_end >= period.start:
        days = (growth_end - period.start).days + 1
        windows = (
            Period(kind=period.kind, start=period.start, end=growth_end, key="", label=""),
            Period(kind=period.kind, start=period.start - dt.timedelta(days=days),
                   end=period.start - dt.timedelta(days=1), key="", label=""),
        )  # fmt: skip
        for window in windows:
            yield ("qualified_leads_focus_growth", *_qualified(company_id, q, *window.datetime_range(), focus))
    yield (
        "budget_bound_share",
        """SELECT SUM(b.planned_amount), SUM(b.planned_amount) FILTER (WHERE b.key_result_id IS NOT NULL),
                  COUNT(*), COUNT(*) FILTER (WHERE b.key_result_id IS NOT NULL)
           FROM budgets_budgetline b JOIN objectives_cycle c ON c.id = b.cycle_id
           WHERE b.company_id = %s AND c.start_date <= %s AND c.end_date >= %s AND b.state <> 'rejected'""",
        [company_id, period.end, period.start],
    )
    yield (
        "active_initiatives_vs_previous",
        """SELECT COUNT(*) FILTER (WHERE cycle_id = %s), COUNT(*) FILTER (WHERE cycle_id = %s)
           FROM initiatives_initiative WHERE company_id = %s AND cycle_id IN (%s, %s)
                AND state IN ('active', 'paused', 'done')""",
        [cycle_id, previous_cycle_id, company_id, cycle_id, previous_cycle_id],
    )
    yield (
        "okr_progress",
        """SELECT AVG(CASE
                 WHEN k.kind IN ('increase_to', 'decrease_to') THEN
                      LEAST(1, GREATEST(0, (COALESCE(k.current_value, k.start_value) - k.start_value)
                                           / NULLIF(k.target_value - k.start_value, 0)))
                 WHEN k.kind = 'stay_above' THEN (COALESCE(k.current_value, k.start_value) >= k.target_value)::int
                 WHEN k.kind = 'stay_below' THEN (COALESCE(k.current_value, k.start_value) <= k.target_value)::int
                 ELSE COALESCE(k.current_value, 0) END) * 100, o.team_id
           FROM objectives_keyresult k JOIN objectives_objective o ON o.id = k.objective_id
           WHERE k.company_id = %s AND o.cycle_id = %s GROUP BY ROLLUP (o.team_id)""",
        [company_id, cycle_id],
    )


def floor_statements(company, todo) -> list[tuple[str, str, object]]:
    """Every floor statement of a refresh over the periods ``todo``; cycles resolved up front (not timed).

    The refresh also stores the attribution of every period under every model. The product computes that with
    one hand-written statement already (reporting.attribution.attribute_periods), so the floor runs that same
    statement: the comparison stays like for like, and that part of the ratio is 1 by construction.
    """
    from objectives.models import Cycle
    from reporting import periods
    from reporting.attribution import attribution_statement
    from reporting.kpis.base import _covering_cycle, reporting_settings
    from sla.selectors import sla_calendar, sla_rules, work_calendar

    settings = reporting_settings(company)
    not_marketing = [s.casefold() for s in settings.sales_source_list + settings.other_source_list]
    calendar = work_calendar(sla_calendar(company))
    rules = {rule.kind: rule for rule in sla_rules(company)}
    today = timezone.localdate()
    at = timezone.now()
    # The running periods are computed again for the previous period's first days (reporting.services.kpi).
    compared = []
    for period in todo:
        if period.start <= today < period.end:
            previous = periods.previous_period(period, company=company)
            if previous is not None:
                elapsed = (today - period.start).days
                end = min(previous.start + dt.timedelta(days=elapsed), previous.end)
                compared.append(periods.Period(kind=previous.kind, start=previous.start, end=end, key=previous.key,
                                               label=previous.label))  # fmt: skip
    out = []
    for period in [*todo, *compared]:
        cycle = _covering_cycle(company, period)
        previous = None
        if cycle is not None:
            previous = (
                Cycle.objects.filter(company=company, kind=cycle.kind, end_date__lt=cycle.start_date)
                .order_by("-end_date", "-start_date", "-id")
                .first()
            )
        out.extend(
            statements(
                company_id=company.pk,
                period=period,
                settings=settings,
                cycle_id=cycle.pk if cycle else None,
                previous_cycle_id=previous.pk if previous else None,
                not_marketing=not_marketing,
                today=today,
            )
        )
        out.extend(_handover(company, calendar, rules, *period.datetime_range(), at))
    sql, params = attribution_statement(
        company=company,
        periods=[(period.key, *period.datetime_range()) for period in todo],
        half_life_days=settings.attribution_half_life_days,
    )
    out.append(("attribution", sql, params))
    return out


def run_floor(stmts) -> None:
    with connection.cursor() as cursor:
        for _key, sql, params in stmts:
            cursor.execute(sql, params)
            cursor.fetchall()
