"""Every attribution model against a hand-computed fixture (March 2026) and the 100 % rule."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from crm.models import Opportunity
from reporting.attribution import MODELS, attribute, attribute_by_channel, model_shares
from reporting.models import ReportingSettings
from tests.factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory, at

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


@pytest.fixture
def journeys(company):
    # Lead A: four touches before its opportunity (15 March, 10000, won), one after it (ignored).
    a = LeadFactory(company=company, created=at(2026, 3, 1, 12), channel="Webinare")
    for when, channel, campaign in [
        (at(2026, 2, 20, 12), "SEO", "seo-1"),  # first touch, 23 days before the opportunity
        (at(2026, 3, 1, 11), "Webinare", "web-1"),  # 1 h before the lead was created: lead-creation touch
        (at(2026, 3, 5, 12), "Messen", "e-world"),  # 10 days before
        (at(2026, 3, 12, 12), "Paid Social", "li-1"),  # 3 days before: last touch
        (at(2026, 3, 20, 12), "SEO", "late"),  # after the opportunity: never counts
    ]:
        TouchpointFactory(lead=a, occurred=when, channel=channel, campaign=campaign)
    OpportunityFactory(company=company, lead=a, created=at(2026, 3, 15, 12), amount=Decimal("10000"),
                       status=Opportunity.Status.WON, closed=at(2026, 3, 25))  # fmt: skip
    OpportunityFactory(company=company, lead=a, created=at(2026, 2, 1), amount=Decimal("77777"))  # not in March
    # Lead B: one touch → 100 % everywhere
    b = LeadFactory(company=company, created=at(2026, 3, 2, 12))
    TouchpointFactory(lead=b, occurred=at(2026, 3, 2, 12), channel="Partner", campaign="")
    OpportunityFactory(company=company, lead=b, created=at(2026, 3, 10), amount=Decimal("6000"))
    # Opportunity without lead → its lead source; lead D without touches → the lead's channel and campaign
    OpportunityFactory(company=company, lead=None, lead_source="Direkt", created=at(2026, 3, 11),
                       amount=Decimal("4000"), status=Opportunity.Status.LOST, closed=at(2026, 3, 20))  # fmt: skip
    d = LeadFactory(company=company, created=at(2026, 3, 3), channel="SEO", campaign="seo-2")
    OpportunityFactory(company=company, lead=d, created=at(2026, 3, 12), amount=Decimal("2000"))
    # another company
    OpportunityFactory(company__slug="zzz", created=at(2026, 3, 12), amount=Decimal("5"))


def rows(company, model, **kwargs):
    result = attribute(company=company, model=model, start=START, end=END, **kwargs)
    return {(r["channel"], r["campaign"]): (r["pipeline"], r["won"]) for r in result}


FIXED = {
    ("Partner", ""): (Decimal("6000.00"), Decimal("0.00")),
    ("Direkt", ""): (Decimal("4000.00"), Decimal("0.00")),
    ("SEO", "seo-2"): (Decimal("2000.00"), Decimal("0.00")),
}


def test_first_touch(company, journeys):
    assert rows(company, "first_touch") == {("SEO", "seo-1"): (Decimal("10000.00"), Decimal("10000.00")), **FIXED}


def test_last_touch(company, journeys):
    expected = {("Paid Social", "li-1"): (Decimal("10000.00"), Decimal("10000.00")), **FIXED}
    assert rows(company, "last_touch") == expected


def test_linear(company, journeys):
    # 10000 / 4 touches = 2500 each
    quarter = (Decimal("2500.00"), Decimal("2500.00"))
    assert rows(company, "linear") == {
        ("SEO", "seo-1"): quarter,
        ("Webinare", "web-1"): quarter,
        ("Messen", "e-world"): quarter,
        ("Paid Social", "li-1"): quarter,
        **FIXED,
    }


def test_time_decay_with_half_life_from_settings(company, journeys):
    ReportingSettings.objects.create(company=company, attribution_half_life_days=7)
    # ages 23, 14 1/24, 10, 3 days; weights 2^(-age/7) ∝ 2^(-20/7)=0.138011, 2^(-11.0417/7)=0.335093, 0.5, 1
    # sum 1.973101 → shares 0.069946, 0.169829, 0.253408, 0.506816 → 699.46, 1698.29, 2534.08, 5068.16
    result = rows(company, "time_decay")
    assert result[("SEO", "seo-1")][0] == Decimal("699.46")
    assert result[("Webinare", "web-1")][0] == Decimal("1698.29")
    assert result[("Messen", "e-world")][0] == Decimal("2534.08")
    assert result[("Paid Social", "li-1")] == (Decimal("5068.16"), Decimal("5068.16"))
    # a longer half-life flattens the weights towards linear
    flatter = rows(company, "time_decay", half_life_days=365)
    assert Decimal("2400") < flatter[("SEO", "seo-1")][0] < Decimal("2500")


def test_u_shaped(company, journeys):
    # 40 % first (SEO), 40 % lead-creation touch (Webinare: the last touch at or before the lead's creation), 20 %
    # over the touches strictly between them — there are none, so the 20 % goes in equal parts to those two: 50/50.
    # Messen and Paid Social came after the lead's creation: nothing.
    assert rows(company, "u_shaped") == {
        ("SEO", "seo-1"): (Decimal("5000.00"), Decimal("5000.00")),
        ("Webinare", "web-1"): (Decimal("5000.00"), Decimal("5000.00")),
        **FIXED,
    }


def test_position_based(company, journeys):
    # 40 % first (SEO), 40 % last (Paid Social), 20 % over the two between: 10 % each
    assert rows(company, "position_based") == {
        ("SEO", "seo-1"): (Decimal("4000.00"), Decimal("4000.00")),
        ("Webinare", "web-1"): (Decimal("1000.00"), Decimal("1000.00")),
        ("Messen", "e-world"): (Decimal("1000.00"), Decimal("1000.00")),
        ("Paid Social", "li-1"): (Decimal("4000.00"), Decimal("4000.00")),
        **FIXED,
    }


def test_w_shaped(company, journeys):
    # 30 % first (SEO), 30 % lead creation (Webinare), 30 % opportunity creation (Paid Social), 10 % to the rest
    # (Messen)
    assert rows(company, "w_shaped") == {
        ("SEO", "seo-1"): (Decimal("3000.00"), Decimal("3000.00")),
        ("Webinare", "web-1"): (Decimal("3000.00"), Decimal("3000.00")),
        ("Messen", "e-world"): (Decimal("1000.00"), Decimal("1000.00")),
        ("Paid Social", "li-1"): (Decimal("3000.00"), Decimal("3000.00")),
        **FIXED,
    }


@pytest.mark.parametrize("model", MODELS)
def test_shares_sum_to_exactly_100_percent(model):
    rng = random.Random(7)
    for n in range(1, 12):
        for _ in range(20):
            opp = at(2026, 6, 30)
            times = sorted(opp - dt.timedelta(hours=rng.randint(0, 24 * 400)) for _ in range(n))
            lead_created = times[rng.randrange(n)] + dt.timedelta(minutes=rng.randint(-90, 90))
            shares = model_shares(model, times, opportunity_created=opp, lead_created=lead_created, half_life_days=7)
            assert len(shares) == n
            assert sum(shares) == Decimal(1)
            assert all(s >= 0 for s in shares)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_distributes_the_whole_amount(company, journeys, model):
    result = attribute(company=company, model=model, start=START, end=END)
    # 10000 + 6000 + 4000 + 2000 = 22000 pipeline, 10000 won; cent rounding per row at most
    assert abs(sum(r["pipeline"] for r in result) - Decimal("22000")) <= Decimal("0.02")
    assert abs(sum(r["won"] for r in result) - Decimal("10000")) <= Decimal("0.02")
    # four opportunities; each row's credit is rounded to 4 places
    assert abs(sum(r["credit"] for r in result) - Decimal(4)) <= Decimal("0.0001") * len(result)


def test_by_channel_and_unknown_model(company, journeys):
    by_channel = attribute_by_channel(company=company, model="linear", start=START, end=END)
    seo = next(r for r in by_channel if r["channel"] == "SEO")
    assert seo["pipeline"] == Decimal("4500.00")  # 2500 (seo-1) + 2000 (lead D)
    with pytest.raises(ValueError):
        attribute(company=company, model="z_shaped", start=START, end=END)


def test_attribution_queries_are_constant(company, journeys, django_assert_num_queries):
    with django_assert_num_queries(2):  # settings (half-life), the attribution statement
        attribute(company=company, model="time_decay", start=START, end=END)
    for i in range(30):
        lead = LeadFactory(company=company, created=at(2026, 3, 5))
        TouchpointFactory(lead=lead, occurred=at(2026, 3, 4), channel="SEO")
        OpportunityFactory(company=company, lead=lead, created=at(2026, 3, 6 + i % 20))
    with django_assert_num_queries(2):
        attribute(company=company, model="time_decay", start=START, end=END)


def _reference(company, periods, half_life_days):
    """What the statement must return, computed opportunity by opportunity with model_shares (the reference)."""
    from collections import defaultdict

    from crm.models import Touchpoint
    from reporting.attribution import NO_CHANNEL

    sums = defaultdict(lambda: [Decimal(0), Decimal(0), set(), Decimal(0)])
    for opp in Opportunity.objects.filter(company=company).select_related("lead"):
        touches = []
        if opp.lead_id:
            touches = list(
                Touchpoint.objects.filter(lead=opp.lead, occurred__lte=opp.created).order_by("occurred", "id")
            )
        for key, start, end in periods:
            if not start <= opp.created < end:
                continue
            for model in MODELS:
                if touches:
                    shares = model_shares(
                        model,
                        [t.occurred for t in touches],
                        opportunity_created=opp.created,
                        lead_created=opp.lead.created,
                        half_life_days=half_life_days,
                    )
                    credited = [
                        ((t.channel or NO_CHANNEL, t.campaign), s) for t, s in zip(touches, shares, strict=True)
                    ]
                else:
                    lead = opp.lead
                    channel = (lead.channel if lead else "") or opp.lead_source or NO_CHANNEL
                    credited = [((channel, lead.campaign if lead else ""), Decimal(1))]
                for label, share in credited:
                    if not share:
                        continue
                    row = sums[(key, model, label)]
                    row[0] += opp.amount * share
                    if opp.status == Opportunity.Status.WON:
                        row[1] += opp.amount * share
                    row[2].add(opp.pk)
                    row[3] += share
    return {
        k: (v[0].quantize(Decimal("0.01")), v[1].quantize(Decimal("0.01")), len(v[2]), v[3].quantize(Decimal("0.0001")))
        for k, v in sums.items()
    }


@pytest.mark.parametrize("half_life_days", [7, 30])
def test_statement_matches_the_reference_on_random_journeys(company, half_life_days):
    """Random leads, touches (some after the opportunity, some at the same instant, some without channel),
    opportunities with and without lead, in overlapping periods (months, a quarter, the half-year): every row of
    every model equals the opportunity-by-opportunity reference to the cent (credits to 4 places)."""
    from reporting.attribution.rows import _bounds, attribute_periods

    rng = random.Random(half_life_days)
    channels = ["SEO", "Webinare", "Messen", "Paid Social", ""]
    for n in range(60):
        lead_created = at(2026, 1, 1) + dt.timedelta(hours=rng.randint(0, 24 * 150))
        lead = LeadFactory(
            company=company, created=lead_created, channel=rng.choice(channels), campaign=rng.choice(["", "c1", "c2"])
        )
        same_instant = lead_created - dt.timedelta(hours=rng.randint(0, 400))
        for _ in range(rng.randint(0, 7)):
            when = same_instant if rng.random() < 0.2 else lead_created + dt.timedelta(hours=rng.randint(-900, 900))
            TouchpointFactory(
                lead=lead, occurred=when, channel=rng.choice(channels), campaign=rng.choice(["", "a", "b"])
            )
        for _ in range(rng.randint(1, 2)):
            created = lead_created + dt.timedelta(hours=rng.randint(0, 24 * 40))
            status = rng.choice([Opportunity.Status.WON, Opportunity.Status.OPEN, Opportunity.Status.LOST])
            OpportunityFactory(
                company=company,
                lead=lead if n % 9 else None,
                lead_source=rng.choice(["", "Direkt", "Partner"]),
                created=created,
                amount=Decimal(rng.randint(100, 10_000_000)) / 100,
                status=status,
                closed=None if status == Opportunity.Status.OPEN else created + dt.timedelta(days=9),
            )
    periods = [
        (f"m{m}", *_bounds(dt.date(2026, m, 1), dt.date(2026, m + 1, 1) - dt.timedelta(days=1)))
        for m in (1, 2, 3, 4, 5)
    ]
    periods += [
        ("q1", *_bounds(dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        ("h1", *_bounds(dt.date(2026, 1, 1), dt.date(2026, 6, 30))),
    ]
    result = attribute_periods(company=company, periods=periods, half_life_days=half_life_days)
    got = {
        (key, model, (row["channel"], row["campaign"])): (
            row["pipeline"],
            row["won"],
            row["opportunities"],
            row["credit"],
        )
        for key, by_model in result.items()
        for model, rows in by_model.items()
        for row in rows
    }
    expected = _reference(company, periods, half_life_days)
    assert len(expected) > 200
    assert got.keys() == expected.keys()
    differences = {k: (got[k], expected[k]) for k in got if got[k] != expected[k]}
    # Shares are exact to 12 places in the reference and to the float/numeric precision in SQL: a sum may land a
    # hair on either side of a half cent, never more than one cent away.
    for key, ((pipeline, won, count, credit), (e_pipeline, e_won, e_count, e_credit)) in differences.items():
        assert count == e_count, key
        assert abs(pipeline - e_pipeline) <= Decimal("0.01"), key
        assert abs(won - e_won) <= Decimal("0.01"), key
        assert abs(credit - e_credit) <= Decimal("0.0001"), key
    assert len(differences) <= len(got) // 50


def test_model_descriptions_state_the_anchors(company):
    from reporting.attribution import model_description

    ReportingSettings.objects.create(company=company, attribution_half_life_days=14)
    assert "half-life 14 days" in model_description("time_decay", company=company)
    assert model_description("u_shaped", company=company).startswith(
        "40% to the first touch; 40% to the lead-creation touch"
    )
