"""One "cycle A covers cycle B": the model method, the date form and the query filter agree."""

from __future__ import annotations

import datetime as dt

import pytest

from objectives.models import Cycle
from objectives.models.cascade import dates_cover
from tests.factories import CycleFactory

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("start", "end", "covered"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), True),  # same first day
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31), True),  # same last day
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), True),  # the same dates
        (dt.date(2025, 12, 31), dt.date(2026, 3, 31), False),  # starts a day early
        (dt.date(2026, 10, 1), dt.date(2027, 1, 1), False),  # ends a day late
    ],
)
def test_a_cycle_covers_another_whose_dates_lie_within_its_own(company, start, end, covered):
    year = CycleFactory(company=company, name="FY 2026", start_date=YEAR[0], end_date=YEAR[1])
    quarter = CycleFactory(company=company, name="Q", start_date=start, end_date=end)
    assert year.covers_cycle(quarter) is covered
    assert dates_cover(*YEAR, start, end) is covered
    found = Cycle.objects.filter(Cycle.covering(start, end), pk=year.pk).exists()
    assert found is covered
