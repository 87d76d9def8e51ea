"""The KPI alert rule (reporting.alert_rule) against hand-computed figures."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from reporting.alert_rule import check_value, mad, median

HISTORY = [
    ("2026-05", "May", D(100)),
    ("2026-06", "June", D(110)),
    ("2026-07", "July", D(90)),
    ("2026-08", "August", D(105)),
    ("2026-09", "September", D(95)),
    ("2026-10", "October", D(100)),
]


def test_median_and_mad_by_hand():
    # sorted 90 95 100 100 105 110: median (100 + 100) / 2 = 100; |x - 100| = 0 10 10 5 5 0 -> sorted 0 0 5 5 10 10
    assert median([v for *_x, v in HISTORY]) == D(100)
    assert mad([v for *_x, v in HISTORY]) == D(5)
    assert median([D(3), D(1), D(2)]) == D(2)
    assert mad([D(3), D(1), D(2)]) == D(1)  # deviations 1 1 0
    with pytest.raises(ValueError):
        median([])


@pytest.mark.parametrize(
    ("value", "fires", "direction"),
    [(D(84), True, "below"), (D(85), False, None), (D(115), False, None), (D("115.01"), True, "above")],
)
def test_history_bounds_are_median_plus_minus_k_mad(value, fires, direction):
    # median 100, MAD 5, k 3 -> 85 .. 115, the bounds themselves are inside
    check = check_value(value=value, target=None, higher_is_better=True, history=HISTORY, k=D(3), n=6)
    assert check.fired is fires
    assert check.inputs["median"] == "100" and check.inputs["mad"] == "5"
    assert D(check.inputs["lower"]) == D(85) and D(check.inputs["upper"]) == D(115)
    assert check.inputs.get("direction") == direction
    assert check.reasons == (["history"] if fires else [])


def test_only_the_last_n_periods_count():
    # last 4: 90 105 95 100 -> median 97.5, deviations 7.5 7.5 2.5 2.5 -> MAD 5; k 2 -> 87.5 .. 107.5
    check = check_value(value=D(108), target=None, higher_is_better=True, history=HISTORY, k=D(2), n=4)
    assert [h["period"] for h in check.inputs["history"]] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert D(check.inputs["median"]) == D("97.5") and D(check.inputs["mad"]) == D(5)
    assert D(check.inputs["upper"]) == D("107.5")
    assert check.reasons == ["history"]


def test_too_little_history_skips_the_history_check():
    check = check_value(value=D(1000), target=None, higher_is_better=True, history=HISTORY[:2], k=D(3), n=6)
    assert not check.fired
    assert check.inputs["median"] is None


def test_a_flat_history_flags_any_other_value():
    flat = [("a", "a", D(50)), ("b", "b", D(50)), ("c", "c", D(50))]
    assert not check_value(value=D(50), target=None, higher_is_better=True, history=flat, k=D(3), n=6).fired
    assert check_value(value=D(51), target=None, higher_is_better=True, history=flat, k=D(3), n=6).fired


def test_missing_values_in_the_history_are_left_out():
    gaps = [("a", "a", D(10)), ("b", "b", None), ("c", "c", D(12)), ("d", "d", D(11))]
    check = check_value(value=D(11), target=None, higher_is_better=True, history=gaps, k=D(3), n=6)
    assert [h["period"] for h in check.inputs["history"]] == ["a", "c", "d"]
    assert not check.fired


@pytest.mark.parametrize(
    ("value", "target", "higher", "fires", "attainment"),
    [
        (D(79), D(100), True, True, "79.0"),  # attainment 79 % < 80 %: at risk
        (D(80), D(100), True, False, "80.0"),  # behind, not at risk
        (D(150), D(100), False, True, "66.7"),  # lower is better: 100 / 150
        (D(120), D(100), False, False, "83.3"),
    ],
)
def test_target_trajectory(value, target, higher, fires, attainment):
    check = check_value(value=value, target=target, higher_is_better=higher, history=[], k=D(3), n=6)
    assert check.fired is fires
    assert check.inputs["attainment"] == attainment
    assert check.reasons == (["target"] if fires else [])


def test_both_checks_can_fire_together():
    check = check_value(value=D(50), target=D(100), higher_is_better=True, history=HISTORY, k=D(3), n=6)
    assert check.reasons == ["target", "history"]
