"""Plotly figures of the board: plain data in, a figure out (no queries here). Sized and styled for a projector:
large type, few colours with enough contrast, values written on the marks so nothing depends on hovering.

Pages embed ``figure_json(fig)`` in a ``<script type="application/json">`` block; static/js/board.js draws it with
Plotly.newPlot (no inline script, strict CSP).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

import plotly.graph_objects as go
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
    return layout


def figure_json(fig: go.Figure) -> SafeString:
    """The figure as JSON that is safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    text = fig.to_json()
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return mark_safe(text)  # noqa: S308 - JSON with <, > and & escaped, like django's json_script


def figure_data(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())


def sparkline_figure(values: Sequence, labels: Sequence[str], *, color: str = BLUE, german: bool = False) -> go.Figure:
    """A trend line without axes for a KPI tile; the last point is marked."""
    ys = [_num(v) for v in values]
    fig = go.Figure(
        go.Scatter(
            x=list(labels),
            y=ys,
            mode="lines+markers",
            line={"color": color, "width": 2.5, "shape": "spline", "smoothing": 0.6},
            marker={"size": [0] * (len(ys) - 1) + [7], "color": color},
            connectgaps=True,
            hovertemplate="%{x}: %{y:,.4~r}<extra></extra>",
        )
    )
    fig.update_layout(
        **_layout(german=german, margin={"l": 2, "r": 6, "t": 4, "b": 4}, height=56, showlegend=False),
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
    )
    return fig


def funnel_figure(stages: Sequence[tuple[str, int | Decimal]], *, german: bool = False) -> go.Figure:
    """Lead → MQL → SAL → SQL → opportunity → won: counts with the share of the first stage on each bar."""
    fig = go.Figure(
        go.Funnel(
            y=[label for label, _count in stages],
            x=[_num(count) for _label, count in stages],
            textinfo="value+percent initial",
            textfont={"size": 16},
            marker={"color": [NAVY, BLUE, "#3f7fd6", TEAL, "#2a9d8f", GREEN][: len(stages)] or [BLUE]},
            connector={"line": {"color": GRID, "width": 1}},
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    fig.update_layout(**_layout(german=german, height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10}))
    return fig


def attribution_figure(
    rows: Sequence[dict],
    *,
    pipeline_label: str,
    won_label: str,
    currency_symbol: str,
    german: bool = False,
) -> go.Figure:
    """Attributed pipeline and won revenue per channel (campaigns summed), largest channel on top."""
    totals: dict[str, list[float]] = {}
    for row in rows:
        channel = str(row.get("channel") or "–")
        pipeline, won = totals.setdefault(channel, [0.0, 0.0])
        totals[channel] = [pipeline + (_num(row.get("pipeline")) or 0.0), won + (_num(row.get("won")) or 0.0)]
    ordered = sorted(totals.items(), key=lambda item: item[1][0])
    channels = [name for name, _values in ordered]
    money = f"%{{x:,.0f}} {currency_symbol}"
    fig = go.Figure(
        [
            go.Bar(
                name=pipeline_label,
                y=channels,
                x=[v[0] for _n, v in ordered],
                orientation="h",
                marker={"color": BLUE},
                texttemplate=money,
                textposition="auto",
                hovertemplate=f"%{{y}} · {pipeline_label}: {money}<extra></extra>",
            ),
            go.Bar(
                name=won_label,
                y=channels,
                x=[v[1] for _n, v in ordered],
                orientation="h",
                marker={"color": GREEN},
                texttemplate=money,
                textposition="auto",
                hovertemplate=f"%{{y}} · {won_label}: {money}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        **_layout(german=german, height=max(320, 70 + 64 * len(channels)), barmode="group"),
        xaxis={"gridcolor": GRID, "tickformat": ",.0f", "ticksuffix": f" {currency_symbol}", "fixedrange": True},
        yaxis={"automargin": True, "fixedrange": True},
    )
    return fig


def _progress_colour(progress: float, *, amber_from: float, green_from: float) -> str:
    if progress >= green_from:
        return GREEN
    if progress >= amber_from:
        return AMBER
    return RED


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def okr_sunburst_figure(
    objectives: Sequence, *, amber_from: float = 0.4, green_from: float = 0.7, german: bool = False
) -> go.Figure:
    """The cascade as a sunburst: company objectives in the centre ring, their children outside; each segment is
    coloured by progress (red / amber / green at the company's score thresholds) and carries its percentage."""
    ids = [str(o.id) for o in objectives]
    fig = go.Figure(
        go.Sunburst(
            ids=ids,
            labels=[_short(o.title) for o in objectives],
            parents=[str(o.parent_id) if o.parent_id else "" for o in objectives],
            values=[1] * len(ids),
            branchvalues="remainder",
            customdata=[[round(float(o.progress) * 100), o.title] for o in objectives],
            texttemplate="%{label}<br><b>%{customdata[0]} %</b>",
            hovertemplate="%{customdata[1]}: %{customdata[0]} %<extra></extra>",
            marker={
                "colors": [
                    _progress_colour(float(o.progress), amber_from=amber_from, green_from=green_from)
                    for o in objectives
                ],
                "line": {"color": "#ffffff", "width": 2},
            },
            insidetextorientation="horizontal",
            insidetextfont={"color": "#ffffff", "size": 14},
            maxdepth=3,
        )
    )
    fig.update_layout(**_layout(german=german, height=460, margin={"l": 4, "r": 4, "t": 4, "b": 4}))
    return fig


def budget_bound_figure(value: Decimal | None, target: Decimal | None, *, german: bool = False) -> go.Figure:
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
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=_num(value) if value is not None else 0,
            number={"suffix": " %", "valueformat": ",.1f", "font": {"size": 44}},
            gauge=gauge,
        )
    )
    fig.update_layout(**_layout(german=german, height=300, margin={"l": 30, "r": 30, "t": 30, "b": 10}))
    return fig


def spend_figure(
    rows: Sequence, *, planned_label: str, actual_label: str, currency_symbol: str, german: bool = False
) -> go.Figure:
    """Planned (approved, pro-rated) against actual spend per channel."""
    channels = [r.channel for r in rows]
    money = f"%{{y:,.0f}} {currency_symbol}"
    fig = go.Figure(
        [
            go.Bar(
                name=planned_label,
                x=channels,
                y=[_num(r.planned) for r in rows],
                marker={"color": "#b9c6dc", "line": {"color": NAVY, "width": 1}},
                texttemplate=money,
                textposition="outside",
                hovertemplate=f"%{{x}} · {planned_label}: {money}<extra></extra>",
            ),
            go.Bar(
                name=actual_label,
                x=channels,
                y=[_num(r.actual) for r in rows],
                marker={"color": NAVY},
                texttemplate=money,
                textposition="outside",
                hovertemplate=f"%{{x}} · {actual_label}: {money}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        **_layout(german=german, height=360, barmode="group", uniformtext={"minsize": 11, "mode": "hide"}),
        yaxis={"gridcolor": GRID, "tickformat": ",.0f", "ticksuffix": f" {currency_symbol}", "fixedrange": True},
        xaxis={"fixedrange": True},
    )
    return fig


def segment_trend_figure(labels: Sequence[str], series: dict[str, Sequence], *, german: bool = False) -> go.Figure:
    """Qualified leads per focus segment over time: one line per segment, the latest value labelled."""
    traces = []
    for index, (segment, values) in enumerate(series.items()):
        ys = [_num(v) for v in values]
        colour = SERIES[index % len(SERIES)]
        traces.append(
            go.Scatter(
                name=segment,
                x=list(labels),
                y=ys,
                mode="lines+markers+text",
                line={"color": colour, "width": 3},
                marker={"size": 7},
                text=[""] * (len(ys) - 1) + [f"{ys[-1]:,.0f}" if ys and ys[-1] is not None else ""],
                textposition="middle right",
                textfont={"color": colour, "size": 14},
                hovertemplate=f"{segment} · %{{x}}: %{{y:,.0f}}<extra></extra>",
                cliponaxis=False,
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        **_layout(german=german, height=360, margin={"l": 10, "r": 50, "t": 10, "b": 10}),
        yaxis={"gridcolor": GRID, "rangemode": "tozero", "fixedrange": True},
        xaxis={"fixedrange": True},
    )
    return fig
