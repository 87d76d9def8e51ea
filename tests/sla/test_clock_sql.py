"""The SLA clock measured in SQL (sla.clock_sql) gives what sla.calendar gives in Python, case by case: deadline,
status, working hours taken and overdue — on random cases across weekends, regional holidays, daylight-saving
changes, year ends, stops before the start, clocks that ran for years and several calendars and rules."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from crm.models import Lead
from sla import selectors
from sla.calendar import MAX_DAYS, WorkCalendar
from sla.models import SlaRule
from tests.factories_crm import LeadFactory

pytestmark = [pytest.mark.postgres("the clock arithmetic runs in PostgreSQL"), pytest.mark.django_db]

CALENDARS = [
    WorkCalendar("Europe/Berlin", "DE", "BY", dt.time(8, 30), dt.time(17, 15)),
    WorkCalendar("America/New_York", "US", "", dt.time(9), dt.time(17)),
    WorkCalendar("Europe/Berlin", "DE", "", dt.time(9), dt.time(10)),  # one working hour a day
]
STOPS = ("sal_at", "rejected_at", "disqualified_at", "recycled_at")


def _leads(company, zone: ZoneInfo, rng: random.Random, count: int) -> None:
    base = dt.datetime(2025, 12, 1, tzinfo=zone)
    leads = []
    for n in range(count):
        # Minutes, some with seconds and microseconds; starts cluster around working hours and weekends alike.
        started = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 75), seconds=rng.choice([0, 0, 17, 59]))
        if rng.random() < 0.1:
            started += dt.timedelta(microseconds=rng.randrange(1, 999_999))
        stops = {}
        for name in STOPS:
            if rng.random() < 0.35:
                span = rng.choice(
                    [rng.randrange(-600, 600), rng.randrange(0, 60 * 24 * 20), rng.randrange(0, 60 * 24 * 900)]
                )
                stops[name] = started + dt.timedelta(minutes=span)
        leads.append(Lead(company=company, external_id=f"R{n:05d}", created=started, mql_at=started,
                          owner="Anna", segment="Stadtwerke", **stops))  # fmt: skip
    Lead.objects.bulk_create(leads)


def _python_cases(company, rule, calendar, start, end, at):
    start_field, stops = selectors.CLOCKS[rule.kind]
    rows = (
        Lead.objects.filter(company=company, mql_at__gte=start, mql_at__lt=end)
        .order_by("mql_at", "pk")
        .values("pk", "external_id", "owner", "segment", start_field, *stops)
    )
    return [selectors._case(calendar, rule, row, start_field, stops, at) for row in rows]


@pytest.mark.parametrize("calendar", CALENDARS, ids=["berlin-bavaria", "new-york", "one-hour-days"])
def test_sql_clock_gives_what_the_calendar_gives(company, calendar, django_assert_num_queries):
    rng = random.Random(calendar.time_zone + calendar.country + str(calendar.day_end))
    _leads(company, calendar.tz, rng, 400)
    start = dt.datetime(2025, 12, 1, tzinfo=calendar.tz)
    end = dt.datetime(2026, 2, 15, tzinfo=calendar.tz)
    statuses = set()
    moments = [
        (24, dt.datetime(2026, 1, 10, 12, tzinfo=calendar.tz)),
        (1, end),
        (2000, dt.datetime(2031, 1, 1, tzinfo=calendar.tz)),
    ]
    for hours, at in moments:
        rule = SlaRule(company=company, kind=SlaRule.Kind.MQL_RESPONSE, hours=hours, target_percent=90)
        with django_assert_num_queries(1):
            measured = selectors.clock_cases(company, rule, start=start, end=end, calendar=calendar, at=at)
        expected = _python_cases(company, rule, calendar, start, end, at)
        assert len(measured) == len(expected) == 400
        for got, want in zip(measured, expected, strict=True):
            assert got.lead_id == want.lead_id
            assert abs((got.deadline - want.deadline).total_seconds()) < 1e-3, (want, got.deadline)
            assert got.status == want.status, (want, got)
            assert got.hours_taken == want.hours_taken, (want, got)
            assert got.hours_overdue == want.hours_overdue, (want, got)
            statuses.add(got.status)
        with django_assert_num_queries(1):
            tally = selectors.clock_tally(company, rule, start=start, end=end, calendar=calendar, at=at)
        reference = selectors._tally(expected)
        assert (tally.met, tally.breached, tally.pending, tally.unanswered) == (
            reference.met,
            reference.breached,
            reference.pending,
            reference.unanswered,
        )
        assert sorted(tally.hours) == sorted(reference.hours)
        assert tally.percent == reference.percent and tally.median_hours == reference.median_hours
    assert statuses == {selectors.MET, selectors.BREACHED, selectors.PENDING}


def test_a_clock_counts_at_most_max_days_like_the_calendar(company):
    calendar = CALENDARS[0]
    started = dt.datetime(2020, 3, 2, 10, tzinfo=calendar.tz)
    LeadFactory(company=company, external_id="OLD", mql_at=started)
    LeadFactory(company=company, external_id="LATE", mql_at=started + dt.timedelta(hours=1),
                sal_at=started + dt.timedelta(days=MAX_DAYS + 300))  # fmt: skip
    rule = SlaRule(company=company, kind=SlaRule.Kind.MQL_RESPONSE, hours=24, target_percent=90)
    at = started + dt.timedelta(days=MAX_DAYS + 500)
    start, end = started - dt.timedelta(days=1), started + dt.timedelta(days=1)
    measured = selectors.clock_cases(company, rule, start=start, end=end, calendar=calendar, at=at)
    expected = _python_cases(company, rule, calendar, start, end, at)
    assert [(c.status, c.hours_taken, c.hours_overdue) for c in measured] == [
        (c.status, c.hours_taken, c.hours_overdue) for c in expected
    ]
    assert measured[0].hours_overdue > 15_000  # ten years of working days, not zero and not unbounded


def test_open_breaches_in_sql_match_the_hand_computed_fixture(company):
    """The fixture of tests/sla/fixtures.py (computed by hand): M4 59 h and M1 41.5 h overdue."""
    from tests.sla.fixtures import AT, handover_leads

    handover_leads(company)
    breaches = selectors.open_breaches(company, at=AT)
    assert [(b.external_id, b.rule_kind, b.hours_overdue) for b in breaches] == [
        ("M4", "mql_response", 59),
        ("M1", "sal_first_contact", 41.5),
    ]
