"""The board's figures are plain plotly figure dicts (no validation per request): every one must still be a valid
plotly figure — ``go.Figure`` validates each property and raises on anything plotly.js would not understand — and
carry what the page promises (values on the marks, German separators)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.utils.translation import gettext_lazy

from reporting import charts


@dataclass
class Objective:
    id: int
    parent_id: int | None
    title: str
    progress: Decimal


@dataclass
class Spend:
    channel: str
    planned: Decimal
    actual: Decimal


FIGURES = {
    "funnel": lambda: charts.funnel_figure([("Leads", 1000), (gettext_lazy("MQL"), 400), ("Won", 12)], german=True),
    "attribution": lambda: charts.attribution_figure(
        [
            {"channel": "SEO", "campaign": "a", "pipeline": Decimal("1200.50"), "won": Decimal("300")},
            {"channel": "SEO", "campaign": "b", "pipeline": Decimal("99.50"), "won": Decimal("0")},
            {"channel": "Messen", "campaign": "", "pipeline": Decimal("5000"), "won": Decimal("5000")},
        ],
        pipeline_label=gettext_lazy("Pipeline"),
        won_label=gettext_lazy("Won revenue"),
        currency_symbol="€",
    ),
    "okr": lambda: charts.okr_cascade_figure(
        [Objective(1, None, "Grow", Decimal("0.8")), Objective(2, 1, "Leads", Decimal("0.3"))],
        root_label=gettext_lazy("Company"),
    ),
    "bound": lambda: charts.budget_bound_figure(Decimal("72.5"), Decimal("80")),
    "spend": lambda: charts.spend_figure(
        [Spend("SEO", Decimal("1000"), Decimal("800"))],
        planned_label=gettext_lazy("Planned"),
        actual_label=gettext_lazy("Actual"),
        currency_symbol="€",
    ),
    "segments": lambda: charts.segment_trend_figure(["Q1", "Q2"], {"Stadtwerke": [Decimal("4"), Decimal("9")]}),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_board_figure_is_a_valid_plotly_figure(name):
    figure = FIGURES[name]()
    go.Figure(figure)  # raises ValueError on an unknown or invalid property
    payload = json.loads(str(charts.figure_json(figure)))
    assert payload["data"] and payload["layout"]["font"]["family"] == charts.FONT


def test_figures_carry_what_the_board_shows():
    funnel = charts.figure_data(FIGURES["funnel"]())
    assert funnel["layout"]["separators"] == ",."  # German: 1.000,5
    assert funnel["data"][0]["y"] == ["Leads", "MQL", "Won"]
    assert funnel["layout"]["yaxis"]["automargin"] is True  # stage names are not cut off
    attribution = charts.figure_data(FIGURES["attribution"]())
    pipeline, won = attribution["data"]
    assert pipeline["name"] == "Pipeline" and won["name"] == "Won revenue"
    assert pipeline["y"] == ["SEO", "Messen"]  # largest channel on top (plotly draws the last category on top)
    assert pipeline["x"] == [1300.0, 5000.0]
    okr = charts.figure_data(FIGURES["okr"]())
    assert okr["data"][0]["customdata"][1] == ["80 %", "Grow"]
    assert okr["data"][0]["marker"]["colors"] == [charts.NAVY, charts.GREEN, charts.RED]


def test_chart_json_cannot_break_out_of_its_script_block():
    figure = charts.segment_trend_figure(["Q1"], {"</script><script>alert(1)</script>": [Decimal("1")]})
    text = str(charts.figure_json(figure))
    assert "</script>" not in text and "<" not in text
    assert json.loads(text)["data"][0]["name"] == "</script><script>alert(1)</script>"
