"""A KPI refresh measures every SLA case once (sla.selectors.clock_memo): a quarter is put together from its months,
and the figures are the ones the quarter gives when measured whole."""

from __future__ import annotations

import datetime as dt

import pytest

from sla import selectors
from tests.factories_crm import LeadFactory

from .fixtures import AT, berlin, handover_leads

pytestmark = pytest.mark.django_db


def _figures(summary: dict) -> dict:
    return {
        kind: (e["tally"].met, e["tally"].breached, e["tally"].pending, e["tally"].unanswered,
               sorted(e["tally"].hours), e["tally"].percent, e["tally"].median_hours)
        for kind, e in summary.items()
    }  # fmt: skip


@pytest.fixture
def spring(company, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    handover_leads(company)  # May (the hand-computed fixture) and June
    for i in range(12):  # April, answered after 2 to 35 working hours, some never
        mql = berlin(2026, 4, 6 + i, 9 + i % 7)
        sal = mql + dt.timedelta(hours=2 + 3 * i) if i % 4 else None
        LeadFactory(company=company, external_id=f"A{i}", mql_at=mql, sal_at=sal, segment="Stadtwerke")
    return company


def test_a_quarter_from_its_months_is_the_quarter_measured_whole(spring, monkeypatch):
    quarter = (berlin(2026, 4, 1), berlin(2026, 7, 1))
    months = [(berlin(2026, m, 1), berlin(2026, m + 1, 1)) for m in (4, 5, 6)]
    whole = selectors.clock_summary(spring, start=quarter[0], end=quarter[1], at=AT)
    calls = []
    real_case = selectors._case
    monkeypatch.setattr(selectors, "_case", lambda *args: calls.append(args[2]["pk"]) or real_case(*args))
    with selectors.clock_memo(AT):
        for start, end in months:
            selectors.clock_summary(spring, start=start, end=end)
        computed = len(calls)
        composed = selectors.clock_summary(spring, start=quarter[0], end=quarter[1])
        again = selectors.clock_summary(spring, start=months[1][0], end=months[1][1])
    assert _figures(composed) == _figures(whole)
    assert len(calls) == computed  # the quarter and a month asked again measured no case again
    per_rule = len(selectors.CLOCKS)
    assert all(calls.count(pk) <= per_rule for pk in set(calls))  # each lead measured once per clock rule at most
    assert _figures(again)[selectors.SlaRule.Kind.MQL_RESPONSE][5] == 50  # May, as hand-computed: 2 met of 4


def test_outside_a_refresh_nothing_is_kept(spring):
    first = selectors.clock_summary(spring, start=berlin(2026, 5, 1), end=berlin(2026, 6, 1), at=AT)
    LeadFactory(company=spring, external_id="late", mql_at=berlin(2026, 5, 4, 9), sal_at=berlin(2026, 5, 20, 9))
    second = selectors.clock_summary(spring, start=berlin(2026, 5, 1), end=berlin(2026, 6, 1), at=AT)
    kind = selectors.SlaRule.Kind.MQL_RESPONSE
    assert second[kind]["tally"].breached == first[kind]["tally"].breached + 1


def test_a_period_of_part_months_is_measured_whole(spring):
    start, end = berlin(2026, 4, 15), berlin(2026, 6, 1)
    whole = selectors.clock_summary(spring, start=start, end=end, at=AT)
    with selectors.clock_memo(AT):
        assert _figures(selectors.clock_summary(spring, start=start, end=end)) == _figures(whole)
