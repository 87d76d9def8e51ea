"""Every attribution model exactly as published, on hand-computed journeys: 1, 2, 3 and 5 touches, ties, a first
touch that is also the lead-creation touch, touches after the opportunity, touches decades old. Each journey is
checked twice: the Python reference (model_shares) and the SQL statement (attribute), which must agree — on SQLite
locally and on PostgreSQL in CI (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction as F

import pytest

from crm.models import Touchpoint
from reporting.attribution import DEFINITIONS, MODELS, attribute, model_description, model_shares
from tests.factories_crm import LeadFactory, OpportunityFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = 24  # hours


def h(hours: float) -> dt.datetime:
    return BASE + dt.timedelta(hours=hours)


# Each journey: touch times (hours after BASE, in id order), the lead's creation, the opportunity's creation, and
# the expected share of each touch per model (fractions, computed by hand in the comments).
JOURNEYS = {
    "one touch": (
        [0],
        0,
        10,
        {m: [1] for m in MODELS},
    ),
    "two touches, lead created after both": (
        # ages before the opportunity (day 15): 14 and 7 days; half-life 7 → weights 1/4, 1/2 → 1/3, 2/3
        [1 * DAY, 8 * DAY],
        9 * DAY,
        15 * DAY,
        {
            "first_touch": [1, 0],
            "last_touch": [0, 1],
            "linear": [F(1, 2), F(1, 2)],
            "time_decay": [F(1, 3), F(2, 3)],
            "position_based": [F(1, 2), F(1, 2)],  # 40 + 40, nothing between: the 20 split over the two
            "u_shaped": [F(1, 2), F(1, 2)],  # first 40, lead creation (touch 2) 40, nothing between: 50/50
            # first 30; touch 2 is lead creation AND opportunity creation: 60; no other touch: the 10 split
            # over the two distinct milestone touches → 35 / 65
            "w_shaped": [F(35, 100), F(65, 100)],
        },
    ),
    "three touches, lead created at the second": (
        # ages 14, 7, 0 days → weights 1/4, 1/2, 1 → 1/7, 2/7, 4/7
        [1 * DAY, 8 * DAY, 15 * DAY],
        8 * DAY,  # at the same instant as touch 2: "at or before" makes it the lead-creation touch
        15 * DAY,
        {
            "first_touch": [1, 0, 0],
            "last_touch": [0, 0, 1],
            "linear": [F(1, 3)] * 3,
            "time_decay": [F(1, 7), F(2, 7), F(4, 7)],
            "position_based": [F(4, 10), F(2, 10), F(4, 10)],
            "u_shaped": [F(1, 2), F(1, 2), 0],  # nothing strictly between 1 and 2: 50/50; touch 3 came later
            "w_shaped": [F(1, 3)] * 3,  # three distinct milestones, no other touch: 30 + 10/3 each
        },
    ),
    "first touch is the lead-creation touch": (
        [0, 2 * DAY, 4 * DAY],
        1,  # the lead was created an hour after the first touch
        5 * DAY,
        {
            "first_touch": [1, 0, 0],
            "last_touch": [0, 0, 1],
            "linear": [F(1, 3)] * 3,
            # ages 5, 3, 1 days → 2^(-5/7), 2^(-3/7), 2^(-1/7): checked against the reference below
            "position_based": [F(4, 10), F(2, 10), F(4, 10)],
            "u_shaped": [1, 0, 0],  # first = lead creation: 40 + 40, nothing between → 100 %
            "w_shaped": [F(6, 10), F(1, 10), F(3, 10)],  # 30 + 30, the rest (touch 2) 10, opp creation 30
        },
    ),
    "five touches, lead created after the fourth": (
        [0, DAY, 2 * DAY, 3 * DAY, 5 * DAY],
        3 * DAY + 5,
        6 * DAY,
        {
            "first_touch": [1, 0, 0, 0, 0],
            "last_touch": [0, 0, 0, 0, 1],
            "linear": [F(1, 5)] * 5,
            "position_based": [F(4, 10), F(2, 30), F(2, 30), F(2, 30), F(4, 10)],
            # 40 first, 40 lead creation (touch 4), 20 over touches 2 and 3 (strictly between); touch 5 after: 0
            "u_shaped": [F(4, 10), F(1, 10), F(1, 10), F(4, 10), 0],
            # 30 / 30 (touch 4) / 30 (touch 5), 10 over the other two
            "w_shaped": [F(3, 10), F(1, 20), F(1, 20), F(3, 10), F(3, 10)],
        },
    ),
    "ties at the same instant": (
        # touch 1 and 2 at the same instant: the lower id is first; the lead, created then, has touch 2 (the later
        # id) as its lead-creation touch
        [0, 0, 2 * DAY],
        0,
        3 * DAY,
        {
            "first_touch": [1, 0, 0],
            "last_touch": [0, 0, 1],
            "linear": [F(1, 3)] * 3,
            "position_based": [F(4, 10), F(2, 10), F(4, 10)],
            "u_shaped": [F(1, 2), F(1, 2), 0],
            "w_shaped": [F(1, 3)] * 3,
        },
    ),
    "lead created before every touch": (
        # no touch at or before the lead's creation: the first touch counts as the lead-creation touch
        [DAY, 2 * DAY, 3 * DAY],
        0,
        4 * DAY,
        {
            "first_touch": [1, 0, 0],
            "position_based": [F(4, 10), F(2, 10), F(4, 10)],
            "u_shaped": [1, 0, 0],
            "w_shaped": [F(6, 10), F(1, 10), F(3, 10)],
        },
    ),
    "touches decades old": (
        # 40 years before the opportunity, a week apart: relative weights 1/2 and 1 (half-life 7) → 1/3, 2/3,
        # with no underflow and no flattening by the clamp
        [-14600 * DAY - 7 * DAY, -14600 * DAY],
        -14600 * DAY,
        0,
        {
            "first_touch": [1, 0],
            "time_decay": [F(1, 3), F(2, 3)],
            "u_shaped": [F(1, 2), F(1, 2)],
            "w_shaped": [F(35, 100), F(65, 100)],
        },
    ),
    "one touch 55 years before the next": (
        # 20,000 days = 2,857 half-lives: clamped at 1,000 half-lives, a weight of ~1e-301 → 0 % and 100 %
        [-20000 * DAY, 0],
        -20000 * DAY,
        DAY,
        {"time_decay": [0, 1], "linear": [F(1, 2), F(1, 2)]},
    ),
}


def close(actual: Decimal, expected) -> bool:
    return abs(Decimal(actual) - Decimal(expected.numerator) / Decimal(expected.denominator)) < Decimal("1e-9")


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_the_reference_gives_the_hand_computed_shares(name):
    touches, lead, opportunity, expected = JOURNEYS[name]
    times = [h(t) for t in touches]
    for model, shares in expected.items():
        got = model_shares(model, times, opportunity_created=h(opportunity), lead_created=h(lead), half_life_days=7)
        assert sum(got) == 1
        assert all(close(g, F(e)) for g, e in zip(got, shares, strict=True)), (model, got, shares)


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_the_statement_gives_the_same_shares_as_the_reference(company, name):
    """The SQL statement (SQLite here, PostgreSQL in CI) puts exactly the reference's share of 1,000.00 on each
    touch, for every model."""
    touches, lead_at, opportunity, expected = JOURNEYS[name]
    lead = LeadFactory(company=company, created=h(lead_at), channel="Lead")
    for index, t in enumerate(touches, start=1):
        TouchpointFactory(lead=lead, company=company, occurred=h(t), channel=f"T{index}", campaign="")
    TouchpointFactory(lead=lead, company=company, occurred=h(opportunity) + dt.timedelta(hours=1), channel="After")
    OpportunityFactory(company=company, lead=lead, created=h(opportunity), amount=Decimal("1000"))
    day = h(opportunity).date()
    ordered = list(Touchpoint.objects.filter(lead=lead).exclude(channel="After").order_by("occurred", "id"))
    assert [t.channel for t in ordered] == [f"T{i}" for i in range(1, len(touches) + 1)]  # ids break the ties
    for model in MODELS:
        rows = attribute(company=company, model=model, start=day, end=day, half_life_days=7)
        got = {r["channel"]: r["pipeline"] for r in rows}
        assert "After" not in got  # a touch after the opportunity never counts
        reference = model_shares(
            model, [t.occurred for t in ordered], opportunity_created=h(opportunity), lead_created=h(lead_at),
            half_life_days=7,
        )  # fmt: skip
        for index, share in enumerate(reference, start=1):
            amount = (Decimal(1000) * share).quantize(Decimal("0.01"))
            assert abs(got.get(f"T{index}", Decimal(0)) - amount) <= Decimal("0.01"), (model, index, got)
        if model in expected:
            for index, share in enumerate(expected[model], start=1):
                cents = (Decimal(1000) * Decimal(F(share).numerator) / Decimal(F(share).denominator)).quantize(
                    Decimal("0.01")
                )
                assert abs(got.get(f"T{index}", Decimal(0)) - cents) <= Decimal("0.01"), (model, index, got)


@pytest.mark.postgres("the statement must give the reference's shares on PostgreSQL too")
def test_the_statement_runs_on_postgresql(company):
    test_the_statement_gives_the_same_shares_as_the_reference(company, "five touches, lead created after the fourth")
    test_the_statement_gives_the_same_shares_as_the_reference(company, "touches decades old")


def test_every_models_board_text_is_generated_from_its_definition():
    texts = {model: model_description(model, half_life_days=7) for model in MODELS}
    assert texts["u_shaped"].startswith(
        "40% to the first touch; 40% to the lead-creation touch (the last touch at or before the lead was "
        "created); 20% spread evenly over the touches strictly between the first touch and the lead-creation "
        "touch."
    )
    assert "a first touch that is also the lead-creation touch gets 100%" in texts["u_shaped"]
    assert "touches after the lead-creation touch get nothing" in texts["u_shaped"]
    assert texts["position_based"].startswith(
        "40% to the first touch; 40% to the last touch; 20% spread evenly over the touches "
        "strictly between the first touch and the last touch."
    )
    assert texts["w_shaped"].startswith(
        "30% to the first touch; 30% to the lead-creation touch (the last touch at or before the lead was "
        "created); 30% to the opportunity-creation touch (the last touch before the opportunity was created); "
        "10% spread evenly over all other touches."
    )
    assert "half-life 7 days" in texts["time_decay"] and "capped at 1,000 half-lives" in texts["time_decay"]
    assert texts["first_touch"] == "100% to the first touch; nothing to the other touches."
    # every share named in a text is the definition's own
    for model, definition in DEFINITIONS.items():
        for _name, share in definition.milestones:
            assert f"{share * 100:.0f}%" in texts[model]
