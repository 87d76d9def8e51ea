"""The KPI tiles' server-drawn trend lines (issue 19, light pages): what the plotly sparkline showed, as SVG — the line
through the known values (gaps connected), higher values drawn higher, the latest value marked, each period's value
as a tooltip, an accessible name, every text escaped."""

from __future__ import annotations

import re
from decimal import Decimal

from reporting.sparkline import HEIGHT, sparkline_svg


def points(svg: str) -> list[tuple[float, float]]:
    line = re.search(r'<polyline points="([^"]+)"', svg).group(1)
    return [tuple(float(c) for c in pair.split(",")) for pair in line.split()]


def test_the_line_connects_known_values_higher_is_higher_and_the_last_is_marked():
    svg = str(
        sparkline_svg(
            [Decimal("1"), None, Decimal("3.5"), Decimal("2")],
            ["Sep", "Okt", "Nov", "Dez"],
            ["1", "–", "3,5", "2"],
            color="#2f8f4e",
            label="Verlauf: Leads",
        )
    )
    drawn = points(svg)
    assert len(drawn) == 3  # the gap (Okt) is connected, not drawn as zero
    xs = [x for x, _y in drawn]
    assert xs == sorted(xs)
    ys = {value: y for value, (_x, y) in zip(("1", "3.5", "2"), drawn, strict=True)}
    assert ys["3.5"] < ys["2"] < ys["1"]  # SVG y grows downwards: the highest value is nearest the top
    assert all(0 <= y <= HEIGHT for _x, y in drawn)
    last = re.search(r'class="kpi-spark-last" d="M([\d.]+),([\d.]+)h0"', svg)
    assert (float(last.group(1)), float(last.group(2))) == drawn[-1]
    assert 'stroke="#2f8f4e"' in svg
    assert re.findall(r"<title>([^<]+)</title>", svg) == ["Sep: 1", "Nov: 3,5", "Dez: 2"]
    assert 'role="img"' in svg and 'aria-label="Verlauf: Leads"' in svg


def test_a_flat_single_or_empty_history_draws_without_dividing_by_zero():
    flat = str(sparkline_svg([Decimal("5"), Decimal("5")], ["a", "b"], ["5", "5"], color="#000", label="x"))
    assert {y for _x, y in points(flat)} == {HEIGHT / 2}
    single = str(sparkline_svg([Decimal("5")], ["a"], ["5"], color="#000", label="x"))
    assert "<polyline" not in single and "kpi-spark-last" in single  # one value: just the dot
    empty = str(sparkline_svg([None, None], ["a", "b"], ["–", "–"], color="#000", label="x"))
    assert "<polyline" not in empty and "kpi-spark-last" not in empty and "<title>" not in empty


def test_texts_are_escaped():
    svg = str(sparkline_svg([1, 2], ['<b>"Q1"</b>', "Q2"], ["1 &", "2"], color="#000", label='Trend "<x>"'))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "1 &amp;" in svg
    assert 'aria-label="Trend &quot;&lt;x&gt;&quot;"' in svg
