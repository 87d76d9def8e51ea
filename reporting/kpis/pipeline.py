"""KPIs of pipeline and revenue: marketing contribution to pipeline, marketing-influenced pipeline and revenue,
pipeline velocity."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Lower

from crm.models import Opportunity, Touchpoint

from ..periods import Period
from .base import CENT, ZERO, KpiResult, _in, _money, _pct, _result, _s, memoized, reporting_settings


def pipeline_contribution(company, period: Period) -> KpiResult:
    """Marketing contribution to pipeline.

    Formula: Σ amount of marketing-sourced opportunities created in the period; share = that sum ÷ Σ amount of all
    opportunities created in the period × 100. An opportunity is marketing-sourced when its lead's channel (or its
    own lead source) is not one of the company's sales sources (set at import, overridable per row in the API).
    Source: "marketing-sourced pipeline" as defined by SiriusDecisions/Forrester and issue 6.
    """
    totals = Opportunity.objects.filter(Q(company=company) & _in("created", period)).aggregate(
        total=Sum("amount"),
        marketing=Sum("amount", filter=Q(is_marketing_sourced=True)),
        count=Count("id"),
        marketing_count=Count("id", filter=Q(is_marketing_sourced=True)),
    )
    total, marketing = _money(totals["total"]), _money(totals["marketing"])
    breakdown = {
        "marketing_amount": _s(marketing),
        "total_amount": _s(total),
        "share_percent": _s(_pct(marketing, total)),
        "opportunities": totals["count"],
        "marketing_opportunities": totals["marketing_count"],
    }
    return _result(company, "pipeline_contribution", marketing, breakdown)


def _marketing_touch_before_creation(company):
    """EXISTS a touchpoint of the opportunity's lead, at or before the opportunity's creation, whose channel is
    marketing (not one of the company's sales or "other" sources: ReportingSettings.source_class)."""
    touches = (
        Touchpoint.objects.filter(company=company, lead=OuterRef("lead"), occurred__lte=OuterRef("created"))
        .annotate(folded=Lower("channel"))
        .exclude(folded__in=_not_marketing(company))
    )
    return Exists(touches)


def _not_marketing(company) -> list[str]:
    """The channels (lower-cased) that make no touch a marketing touch: the company's sales and "other" sources."""
    settings = reporting_settings(company)
    return [s.casefold() for s in settings.sales_source_list + settings.other_source_list]


def marketing_influenced_pipeline(company, period: Period) -> KpiResult:
    """Marketing-influenced pipeline.

    Formula: Σ amount of the opportunities created in the period whose lead had at least one marketing touch at or
    before the opportunity's creation (a touchpoint whose channel is neither a sales nor an "other" source of the
    company's source classification); share = that sum ÷ Σ amount of all opportunities created in the period ×
    100. Unlike the sourced pipeline, an opportunity that sales sourced but marketing touched counts too.
    Source: "marketing-influenced pipeline" (Forrester/SiriusDecisions; HubSpot and Salesforce reports).
    """
    opportunities = Opportunity.objects.filter(Q(company=company) & _in("created", period))
    return _influenced(company, opportunities, "marketing_influenced_pipeline", count_key="opportunities",
                       memo=("created", period))  # fmt: skip


def marketing_influenced_revenue(company, period: Period) -> KpiResult:
    """Marketing-influenced revenue.

    Formula: Σ amount of the opportunities won (closed as won) in the period whose lead had at least one marketing
    touch at or before the opportunity's creation (as for the influenced pipeline); share = that sum ÷ Σ amount of
    all opportunities won in the period × 100. Source: "marketing-influenced revenue" (Forrester/SiriusDecisions).
    """
    start, end = period.datetime_range()
    won = Opportunity.objects.filter(company=company, status=Opportunity.Status.WON, closed__gte=start, closed__lt=end)
    return _influenced(company, won, "marketing_influenced_revenue", count_key="won_opportunities",
                       memo=("closed", period))  # fmt: skip


def _influenced(company, opportunities, key: str, *, count_key: str, memo: tuple[str, Period]) -> KpiResult:
    """The influenced share of ``opportunities`` (one aggregate query): Σ amount of those with a marketing touch at
    or before their creation, beside Σ amount of all of them. Inside a KPI refresh (:func:`.base.refresh_memo`) the
    company's opportunities are read once with their influence and ``memo`` (which moment, which period) picks the
    same ones: those created in the period, or won in it."""
    # (the statement is PostgreSQL's; on SQLite every period asks the database)
    postgres = connection.vendor == "postgresql"
    influence = memoized(("influence", company.pk), lambda: _Influence(company)) if postgres else None
    if influence is not None:
        totals = influence.totals(*memo)
    else:
        influenced = Q(touched=True)
        totals = opportunities.annotate(touched=_marketing_touch_before_creation(company)).aggregate(
            total=Sum("amount"),
            influenced=Sum("amount", filter=influenced),
            count=Count("id"),
            influenced_count=Count("id", filter=influenced),
        )
    total, amount = _money(totals["total"]), _money(totals["influenced"])
    breakdown = {
        "influenced_amount": _s(amount),
        "total_amount": _s(total),
        "share_percent": _s(_pct(amount, total)),
        count_key: totals["count"],
        "influenced_opportunities": totals["influenced_count"],
    }
    return _result(company, key, amount, breakdown)


_NOTHING = (ZERO, ZERO, 0, 0)  # total, influenced, count, influenced count


class _Influence:
    """A company's opportunities with their marketing influence for every period at once: one statement gives, per
    day (in the project's time zone) of creation and, for the won ones, of close, the sums the two KPIs need; the
    days get running totals, and a period's totals are two bisections (periods are whole days: Period.datetime_range).

    An opportunity is influenced when its lead's first marketing touch (:func:`_marketing_touch_before_creation`'s
    rule: the channel, lower-cased, is not one of the company's sales or "other" sources) came at or before its
    creation: the touches of the leads with opportunities are grouped once and joined, instead of one look at the
    touches per opportunity and period (a million leads, 3 M touches, 18 periods: 4.6 s → 1 s)."""

    def __init__(self, company):
        params = {
            "company": company.pk,
            "not_marketing": _not_marketing(company),
            "zone": django_settings.TIME_ZONE,
            "won": Opportunity.Status.WON,
        }
        opportunity, touchpoint = Opportunity._meta.db_table, Touchpoint._meta.db_table
        day = "(o.{moment} AT TIME ZONE %(zone)s)::date"
        sums = (
            "sum(o.amount), coalesce(sum(o.amount) FILTER (WHERE o.touched), 0), count(*), "
            "count(*) FILTER (WHERE o.touched)"
        )
        statement = (
            f"WITH firsts AS (SELECT t.lead_id, min(t.occurred) AS first FROM {touchpoint} AS t "  # noqa: S608
            "WHERE t.company_id = %(company)s AND lower(t.channel) <> ALL(%(not_marketing)s::text[]) "
            f"AND t.lead_id IN (SELECT lead_id FROM {opportunity} WHERE company_id = %(company)s) GROUP BY 1), "
            "opportunities AS (SELECT o.created, o.closed, o.status, o.amount, "
            "coalesce(f.first <= o.created, false) AS touched "
            f"FROM {opportunity} AS o LEFT JOIN firsts AS f ON f.lead_id = o.lead_id WHERE o.company_id = %(company)s) "
            f"SELECT 'created', {day.format(moment='created')}, {sums} FROM opportunities AS o GROUP BY 2 "
            f"UNION ALL SELECT 'closed', {day.format(moment='closed')}, {sums} FROM opportunities AS o "
            "WHERE o.status = %(won)s AND o.closed IS NOT NULL GROUP BY 2 ORDER BY 1, 2"
        )
        self.lines: dict[str, tuple[list[dt.date], list[tuple]]] = {"created": ([], []), "closed": ([], [])}
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            for moment, on, *sums in cursor.fetchall():
                days, running = self.lines[moment]
                before = running[-1] if running else _NOTHING
                days.append(on)
                running.append(tuple(a + b for a, b in zip(before, sums, strict=True)))

    def totals(self, moment: str, period: Period) -> dict:
        days, running = self.lines[moment]
        start, end = (edge.date() for edge in period.datetime_range())
        first, last = bisect.bisect_left(days, start), bisect.bisect_left(days, end)
        before = running[first - 1] if first else _NOTHING
        through = running[last - 1] if last else _NOTHING
        names = ("total", "influenced", "count", "influenced_count")
        return dict(zip(names, (b - a for a, b in zip(before, through, strict=True)), strict=True))


VELOCITY_WINDOW_DAYS = 365


def pipeline_velocity(company, period: Period) -> KpiResult:
    """Pipeline velocity (expected revenue per day).

    Formula: open opportunities × win rate × average won deal size ÷ average sales-cycle days, where
    - open opportunities = opportunities created before the period's end and not closed by then;
    - the other terms use the 365 days up to the period's end (a stable window for short periods):
      win rate = won ÷ (won + lost) among opportunities closed in the window;
      average won deal size = mean amount of opportunities won in the window;
      average sales-cycle days = mean (close − creation) in days of opportunities won in the window.
    No value when there are no closed opportunities in the window. Source: the sales velocity formula
    (e.g. HubSpot/Salesforce "sales velocity"), issue 6.
    """
    _, end = period.datetime_range()
    window_start = end - dt.timedelta(days=VELOCITY_WINDOW_DAYS)
    in_window = Q(closed__gte=window_start, closed__lt=end)
    won = in_window & Q(status=Opportunity.Status.WON)
    lost = in_window & Q(status=Opportunity.Status.LOST)
    terms = Opportunity.objects.filter(company=company, created__lt=end).aggregate(
        open=Count("id", filter=Q(closed__isnull=True) | Q(closed__gte=end)),
        won=Count("id", filter=won),
        lost=Count("id", filter=lost),
        avg_won=Avg("amount", filter=won),
        avg_cycle=Avg(ExpressionWrapper(F("closed") - F("created"), output_field=DurationField()), filter=won),
    )
    win_rate = Decimal(terms["won"]) / Decimal(terms["won"] + terms["lost"]) if terms["won"] + terms["lost"] else None
    avg_won = Decimal(terms["avg_won"]).quantize(CENT) if terms["avg_won"] is not None else None
    cycle_days = None
    if terms["avg_cycle"] is not None:
        avg_cycle = terms["avg_cycle"]
        seconds = avg_cycle.total_seconds() if isinstance(avg_cycle, dt.timedelta) else float(avg_cycle) / 1e6
        cycle_days = (Decimal(str(seconds)) / Decimal(86400)).quantize(Decimal("0.01"))
    value = None
    if win_rate is not None and avg_won is not None and cycle_days:
        value = (Decimal(terms["open"]) * win_rate * avg_won / cycle_days).quantize(CENT)
    breakdown = {
        "open_opportunities": terms["open"],
        "won": terms["won"],
        "lost": terms["lost"],
        "win_rate_percent": _s(_pct(terms["won"], terms["won"] + terms["lost"])),
        "average_won_amount": _s(avg_won),
        "average_cycle_days": _s(cycle_days),
        "window_days": VELOCITY_WINDOW_DAYS,
    }
    return _result(company, "pipeline_velocity", value, breakdown)
