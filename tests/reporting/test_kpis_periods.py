"""Period math: months, fiscal quarters (fiscal year starting in April), cycles, previous periods."""

from __future__ import annotations

import datetime as dt

import pytest

from objectives.models import Cycle
from reporting.periods import cycle_period, parse_period_key, period_for, periods_between, previous_period
from tests.factories import CompanyFactory, CycleFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def april_company(db):
    return CompanyFactory(slug="april", fiscal_year_start_month=4)


def test_month(company):
    p = period_for(company=company, kind="month", on=D(2024, 2, 10))
    assert (p.kind, p.start, p.end, p.key) == ("month", D(2024, 2, 1), D(2024, 2, 29), "2024-02")
    start, end = p.datetime_range()
    assert start.isoformat() == "2024-02-01T00:00:00+01:00"
    assert end.isoformat() == "2024-03-01T00:00:00+01:00"


def test_calendar_quarters(company):
    p = period_for(company=company, kind="quarter", on=D(2026, 3, 31))
    assert (p.start, p.end, p.key, p.label) == (D(2026, 1, 1), D(2026, 3, 31), "2026-Q1", "Q1 2026")
    assert period_for(company=company, kind="quarter", on=D(2026, 12, 1)).key == "2026-Q4"


@pytest.mark.parametrize(
    ("on", "key", "start", "end"),
    [
        (D(2026, 4, 1), "2026-Q1", D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 9, 30), "2026-Q2", D(2026, 7, 1), D(2026, 9, 30)),
        (D(2026, 12, 31), "2026-Q3", D(2026, 10, 1), D(2026, 12, 31)),
        (D(2027, 2, 15), "2026-Q4", D(2027, 1, 1), D(2027, 3, 31)),  # fiscal 2026 ends in March 2027
        (D(2026, 3, 31), "2025-Q4", D(2026, 1, 1), D(2026, 3, 31)),
    ],
)
def test_fiscal_quarters_starting_in_april(april_company, on, key, start, end):
    p = period_for(company=april_company, kind="quarter", on=on)
    assert (p.key, p.start, p.end) == (key, start, end)
    assert parse_period_key(company=april_company, key=key) == p


def test_fiscal_quarter_label_names_both_years(april_company):
    assert period_for(company=april_company, kind="quarter", on=D(2027, 1, 5)).label == "Q4 FY 2026/27"


def test_periods_between_and_previous(april_company):
    quarters = periods_between(company=april_company, kind="quarter", start=D(2026, 2, 1), end=D(2026, 8, 1))
    assert [q.key for q in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert previous_period(quarters[1], company=april_company) == quarters[0]
    months = periods_between(company=april_company, kind="month", start=D(2025, 12, 31), end=D(2026, 1, 1))
    assert [m.key for m in months] == ["2025-12", "2026-01"]
    assert periods_between(company=april_company, kind="month", start=D(2026, 2, 1), end=D(2026, 1, 1)) == []


def test_cycles(company, other_company):
    year25 = CycleFactory(company=company, name="2025", start_date=D(2025, 1, 1), end_date=D(2025, 12, 31))
    year26 = CycleFactory(company=company, name="2026", start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))
    q2 = CycleFactory(company=company, name="Q2", kind=Cycle.Kind.QUARTER, start_date=D(2026, 4, 1),
                      end_date=D(2026, 6, 30))  # fmt: skip
    CycleFactory(company=other_company, name="X", start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))
    # the most specific cycle covering the day wins
    assert period_for(company=company, kind="cycle", on=D(2026, 5, 1)) == cycle_period(q2)
    p = period_for(company=company, kind="cycle", on=D(2026, 8, 1))
    assert (p.key, p.label, p.start, p.end) == (f"cycle-{year26.pk}", "2026", D(2026, 1, 1), D(2026, 12, 31))
    assert previous_period(p, company=company) == cycle_period(year25)
    assert previous_period(cycle_period(year25), company=company) is None
    assert [c.key for c in periods_between(company=company, kind="cycle", start=D(2025, 6, 1), end=D(2026, 4, 1))] == [
        f"cycle-{year25.pk}",
        f"cycle-{year26.pk}",
        f"cycle-{q2.pk}",
    ]
    with pytest.raises(ValueError):
        period_for(company=company, kind="cycle", on=D(2030, 1, 1))
    with pytest.raises(ValueError):
        parse_period_key(company=other_company, key=f"cycle-{year26.pk}")
