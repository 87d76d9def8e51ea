"""KPIs of the marketing–sales handover (the SLA clocks of the sla app): SLA compliance, median MQL response
time in working hours."""

from __future__ import annotations

from sla.models import SlaRule
from sla.selectors import clock_summary

from ..periods import Period
from .base import KpiResult, _pct, _result, _s


def sla_compliance(company, period: Period) -> KpiResult:
    """Handover SLA compliance.

    Formula: cases of the company's active clock rules (MQL accepted or rejected by sales within N working hours;
    SAL contacted within M working hours) whose clock started in the period and that were handled within the rule
    ÷ those handled within or after it, or still unhandled past the deadline, × 100; cases still within their
    deadline do not count yet. Working hours by the company's SLA calendar (weekdays, working day, public holidays
    of its region). Breakdown per rule. Source: issue 18; the rules and the clocks are defined in sla.selectors.
    """
    start, end = period.datetime_range()
    summary = clock_summary(company, start=start, end=end)
    met = breached = 0
    breakdown: dict = {}
    for kind, entry in summary.items():
        rule, tally = entry["rule"], entry["tally"]
        breakdown[f"{kind}_met"] = tally.met
        breakdown[f"{kind}_breached"] = tally.breached
        breakdown[f"{kind}_pending"] = tally.pending
        breakdown[f"{kind}_percent"] = _s(tally.percent)
        if rule.is_active:
            met, breached = met + tally.met, breached + tally.breached
    breakdown["met"], breakdown["breached"] = met, breached
    return _result(company, "sla_compliance", _pct(met, met + breached), breakdown)


def mql_response_hours(company, period: Period) -> KpiResult:
    """Median MQL → SAL response time, in working hours.

    Formula: median over the leads that became MQL in the period and were answered by sales (accepted as SAL, or
    rejected, disqualified or recycled — whichever came first) of the working hours between the MQL date and that
    answer, by the company's SLA calendar. Leads not answered yet are left out (the compliance KPI counts them once
    late). Lower is better. Source: issue 18 (speed of the marketing–sales handover).
    """
    start, end = period.datetime_range()
    tally = clock_summary(company, start=start, end=end)[SlaRule.Kind.MQL_RESPONSE]["tally"]
    breakdown = {"answered": len(tally.hours), "unanswered": tally.unanswered}
    return _result(company, "mql_response_hours", tally.median_hours, breakdown)
