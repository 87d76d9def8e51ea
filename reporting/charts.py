"""Plotly figures of the board: plain data in, a figure out (no queries here). Sized and styled for a projector:
large type, few colours with enough contrast, values written on the marks so nothing depends on hovering.

Each function returns the figure as plotly's figure schema in plain dicts (``{"data": [...], "layout": {...}}``).
Building ``plotly.graph_objects`` instances validates every property on every request, which cost the board
~15 ms per chart (six charts per page view; the tiles' trend lines are server-drawn SVG, reporting/sparkline.py);
the dicts are serialised by ``plotly.io.to_json`` without validation, and tests/reporting/test_board_charts.py
validates every figure through ``go.Figure`` instead.
Pages embed ``figure_json(fig)`` in a ``<script type="application/json">`` block; static/js/board.js draws it with
Plotly.newPlot (no inline script, strict CSP).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import plotly.io as pio
from django.utils.safestring import SafeString, mark_safe

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
INK = "#1d2330"
MUTED = "#5a6272"
GRID = "#e4e7ec"
NAVY = "#17223b"
BLUE = "#1f5fbf"
TEAL = "#0f7b7d"
AMBER = "#b77900"
GREEN = "#2f8f4e"
RED = "#c8322b"
SERIES = [BLUE, TEAL, AMBER, "#7a4fb5", GREEN, RED, "#3d4a63", "#b8509b"]


def _num(value) -> float | None:
    # Plotly needs floats to draw; money stays Decimal everywhere else and is only converted at this edge.
    return None if value is None else float(value)


def _layout(**overrides) -> dict:
    layout = {
        "font": {"family": FONT, "size": 15, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "separators": ",." if overrides.pop("german", False) else ".,",
        "hoverlabel": {"font": {"family": FONT, "size": 14}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    }
    layout.update(overrides)
    # Axes make room for their tick labels (plotly.py's default template did this; plain dicts carry no template).
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return layout


def _figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout}


def figure_json(fig: dict) -> SafeString:
    """The figure as JSON that is safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    text = pio.to_json(fig, validate=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return mark_safe(text)  # noqa: S308 - JSON with <, > and & escaped, like django's json_script


def figure_data(fig: dict) -> dict:
    """The figure as the browser receives it (numbers, strings and lists only)."""
    return json.loads(pio.to_json(fig, validate=False))


def funnel_figure(stages: Sequence[tuple[str, int | Decimal]], *, german: bool = False) -> dict:
    """Lead → MQL → SAL → SQL → opportunity → won: counts with the share of the first stage on each bar."""
    trace = {
        "type": "funnel",
        "y": [str(label) for label, _count in stages],
        "x": [_num(count) for _label, count in stages],
        "textinfo": "value+percent initial",
        "textfont": {"size": 16},
        "marker": {"color": [NAVY, BLUE, "#3f7fd6", TEAL, "#2a9d8f", GREEN][: len(stages)] or [BLUE]},
        "connector": {"line": {"color": GRID, "width": 1}},
        "hovertemplate": "%{y}: %{x:,}<extra></extra>",
    }
    return _figure([trace], _layout(german=german, height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}))


def attribution_figure(
    rows: Sequence[dict],
    *,
    pipeline_label: str,
    won_label: str,
    currency_symbol: str,
    german: bool = False,
) -> dict:
    """Attributed pipeline and won revenue per channel (campaigns summed), largest channel on top."""
    totals: dict[str, list[float]] = {}
    for row in rows:
        channel = str(row.get("channel") or "–")
        pipeline, won = totals.setdefault(channel, [0.0, 0.0])
        totals[channel] = [pipeline + (_num(row.get("pipeline")) or 0.0), won + (_num(row.get("won")) or 0.0)]
    ordered = sorted(totals.items(), key=lambda item: item[1][0])
    channels = [name for name, _values in ordered]
    pipeline_label, won_label = str(pipeline_label), str(won_label)  # lazy translations are not JSON
    money = f"%{{x:,.0f}} {currency_symbol}"
    traces = [
        {
            "type": "bar",
            "name": label,
            "y": channels,
            "x": [v[index] for _n, v in ordered],
            "orientation": "h",
            "marker": {"color": colour},
            "texttemplate": money,
            "textposition": "auto",
            "hovertemplate": f"%{{y}} · {label}: {money}<extra></extra>",
        }
        for index, (label, colour) in enumerate(((pipeline_label, BLUE), (won_label, GREEN)))
    ]
    layout = _layout(
        german=german,
        height=max(320, 70 + 64 * len(channels)),
        barmode="group",
        xaxis={"gridcolor": GRID, "tickformat": ",.0f", "ticksuffix": f" {currency_symbol}", "fixedrange": True},
        yaxis={"automargin": True, "fixedrange": True},
    )
    return _figure(traces, layout)


def _progress_colour(progress: float, *, amber_from: float, green_from: float) -> str:
    if progress >= green_from:
        return GREEN
    if progress >= amber_from:
        return AMBER
    return RED


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def okr_cascade_figure(
    objectives: Sequence,
    *,
    root_label: str = "",
    amber_from: float = 0.4,
    green_from: float = 0.7,
    german: bool = False,
) -> dict:
    """The cascade as an icicle (a sunburst unrolled from left to right, so every label reads horizontally on a
    projector): the company on the left, its objectives next to it, the objectives contributing to them further
    right. Each box is coloured by progress (red / amber / green at the company's score thresholds) and carries its
    percentage; a box's height is the number of objectives at the end of its branch, so children fill their parent.
    """
    known = {o.id for o in objectives}
    children: dict = {}
    for o in objectives:
        children.setdefault(o.parent_id if o.parent_id in known else None, []).append(o.id)

    def leaves(node_id) -> int:
        kids = children.get(node_id, [])
        return sum(leaves(k) for k in kids) if kids else 1

    root = "root"
    root_label = str(root_label)
    ids = [root] + [str(o.id) for o in objectives]
    parents = [""] + [str(o.parent_id) if o.parent_id in known else root for o in objectives]
    values = [sum(leaves(k) for k in children.get(None, []))] + [leaves(o.id) for o in objectives]
    progress = [round(float(o.progress) * 100) for o in objectives]
    trace = {
        "type": "icicle",
        "ids": ids,
        "labels": [root_label] + [_short(o.title, 40) for o in objectives],
        "parents": parents,
        "values": values,
        "branchvalues": "total",
        "customdata": [["", root_label]] + [[f"{p} %", o.title] for p, o in zip(progress, objectives, strict=True)],
        "texttemplate": "<b>%{customdata[0]}</b>  %{label}",
        "hovertemplate": "%{customdata[1]}: %{customdata[0]}<extra></extra>",
        "tiling": {"orientation": "h", "pad": 2},
        "marker": {
            "colors": [NAVY]
            + [_progress_colour(p / 100, amber_from=amber_from, green_from=green_from) for p in progress],
            "line": {"color": "#ffffff", "width": 2},
        },
        "insidetextfont": {"color": "#ffffff", "size": 14},
        "pathbar": {"visible": False},
        "maxdepth": 4,
        "sort": False,
    }
    layout = _layout(
        german=german,
        height=max(300, 46 * values[0] + 40),
        margin={"l": 2, "r": 2, "t": 2, "b": 2},
        # Labels that would shrink below legibility are hidden (hover, a click into the box and the table below
        # the chart still give them) instead of turning into specks on a projector.
        uniformtext={"minsize": 11, "mode": "hide"},
    )
    return _figure([trace], layout)


def budget_bound_figure(value: Decimal | None, target: Decimal | None, *, german: bool = False) -> dict:
    """Share of the approved budget that is bound to key results, as a 0–100 % gauge with the target marked."""
    gauge: dict = {
        "axis": {"range": [0, 100], "ticksuffix": " %", "tickwidth": 1},
        "bar": {"color": NAVY, "thickness": 0.35},
        "bgcolor": "#ffffff",
        "borderwidth": 0,
        "steps": [
            {"range": [0, 50], "color": "#f6d5d3"},
            {"range": [50, 80], "color": "#f5e6c4"},
            {"range": [80, 100], "color": "#d4ecdb"},
        ],
    }
    if target is not None:
        gauge["threshold"] = {"line": {"color": INK, "width": 4}, "thickness": 0.9, "value": _num(target)}
    trace = {
        "type": "indicator",
        "mode": "gauge+number",
        "value": _num(value) if value is not None else 0,
        "number": {"suffix": " %", "valueformat": ",.1f", "font": {"size": 44}},
        "gauge": gauge,
    }
    # Side margins wide enough for the "0 %" and "100 %" tick labels at the ends of the arc (they were clipped).
    return _figure([trace], _layout(german=german, height=300, margin={"l": 56, "r": 56, "t": 36, "b": 10}))


def spend_figure(
    rows: Sequence, *, planned_label: str, actual_label: str, currency_symbol: str, german: bool = False
) -> dict:
    """Planned (approved, pro-rated) against actual spend per channel."""
    channels = [r.channel for r in rows]
    planned_label, actual_label = str(planned_label), str(actual_label)  # lazy translations are not JSON
    money = f"%{{y:,.0f}} {currency_symbol}"
    bar = {"type": "bar", "x": channels, "texttemplate": money, "textposition": "outside"}
    traces = [
        {
            **bar,
            "name": planned_label,
            "y": [_num(r.planned) for r in rows],
            "marker": {"color": "#b9c6dc", "line": {"color": NAVY, "width": 1}},
            "hovertemplate": f"%{{x}} · {planned_label}: {money}<extra></extra>",
        },
        {
            **bar,
            "name": actual_label,
            "y": [_num(r.actual) for r in rows],
            "marker": {"color": NAVY},
            "hovertemplate": f"%{{x}} · {actual_label}: {money}<extra></extra>",
        },
    ]
    layout = _layout(
        german=german,
        height=360,
        barmode="group",
        uniformtext={"minsize": 11, "mode": "hide"},
        yaxis={"gridcolor": GRID, "tickformat": ",.0f", "ticksuffix": f" {currency_symbol}", "fixedrange": True},
        xaxis={"fixedrange": True},
    )
    return _figure(traces, layout)


def segment_trend_figure(labels: Sequence[str], series: dict[str, Sequence], *, german: bool = False) -> dict:
    """Qualified leads per focus segment over time: one line per segment, the latest value labelled."""
    traces = []
    for index, (segment, values) in enumerate(series.items()):
        ys = [_num(v) for v in values]
        colour = SERIES[index % len(SERIES)]
        traces.append(
            {
                "type": "scatter",
                "name": segment,
                "x": list(labels),
                "y": ys,
                "mode": "lines+markers+text",
                "line": {"color": colour, "width": 3},
                "marker": {"size": 7},
                "text": [""] * (len(ys) - 1) + [f"{ys[-1]:,.0f}" if ys and ys[-1] is not None else ""],
                "textposition": "middle right",
                "textfont": {"color": colour, "size": 14},
                "hovertemplate": f"{segment} · %{{x}}: %{{y:,.0f}}<extra></extra>",
                "cliponaxis": False,
            }
        )
    layout = _layout(
        german=german,
        height=360,
        margin={"l": 10, "r": 50, "t": 10, "b": 10},
        yaxis={"gridcolor": GRID, "rangemode": "tozero", "fixedrange": True},
        xaxis={"fixedrange": True, "tickangle": 0, "automargin": True},
    )
    return _figure(traces, layout)
