"""The priority matrix as a plotly figure: data in, figure out (rendered by static/js/priorities.js)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go

from .models import SCALE_MAX, SCALE_MIN

AXIS_MIN = SCALE_MIN - 0.5
AXIS_MAX = SCALE_MAX + 0.5
MIN_SIZE, MAX_SIZE, NO_COST_SIZE = 16, 48, 16

# Colour and symbol by state: the symbol and the legend carry the state too (colour is never the only signal).
STATE_STYLE = {
    "active": ("#1e7a3c", "circle"),
    "proposed": ("#5a6272", "diamond"),
    "paused": ("#9a6700", "square"),
    "done": ("#1f5fbf", "star"),
    "dropped": ("#b42318", "x"),
}
STATE_ORDER = ["active", "proposed", "paused", "done", "dropped"]


@dataclass
class ChartPoint:
    id: int
    title: str
    state: str
    state_label: str
    contribution: Decimal
    effort: Decimal
    cost: Decimal | None
    rank: int | None
    hover: str  # already-escaped HTML lines (see hover_text)
    url: str


@dataclass
class ChartQuadrant:
    key: str
    label: str
    colour: str


def hover_text(*, title: str, lines: list[str]) -> str:
    """Hover content; every user-entered text is escaped before plotly renders it as HTML."""
    return "<br>".join([f"<b>{html.escape(title)}</b>", *(html.escape(line) for line in lines)])


def _sizes(points: list[ChartPoint]) -> list[float]:
    costs = [float(p.cost) for p in points if p.cost]
    top = max(costs) if costs else 0
    sizes = []
    for p in points:
        if not p.cost or not top:
            sizes.append(NO_COST_SIZE)
        else:
            # area proportional to cost
            sizes.append(MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt(float(p.cost) / top))
    return sizes


def _spread_duplicates(points: list[ChartPoint]) -> dict[int, tuple[float, float]]:
    """Points on the same spot are placed on a small circle around it, so none hides another."""
    groups: dict[tuple[Decimal, Decimal], list[ChartPoint]] = {}
    for p in points:
        groups.setdefault((p.effort, p.contribution), []).append(p)
    positions = {}
    for (x, y), group in groups.items():
        if len(group) == 1:
            positions[group[0].id] = (float(x), float(y))
            continue
        radius = 0.14 if len(group) <= 4 else 0.2
        for index, p in enumerate(sorted(group, key=lambda q: (q.rank or 0, q.id))):
            angle = 2 * math.pi * index / len(group) + math.pi / 4
            positions[p.id] = (float(x) + radius * math.cos(angle), float(y) + radius * math.sin(angle))
    return positions


def priority_matrix_figure(
    *,
    points: list[ChartPoint],
    quadrants: dict[str, ChartQuadrant],
    midpoint: Decimal,
    x_title: str,
    y_title: str,
    state_labels: dict[str, str],
) -> go.Figure:
    mid = float(midpoint)
    fig = go.Figure()
    boxes = {
        "quick_wins": (AXIS_MIN, mid, mid, AXIS_MAX, "left", "top"),
        "big_bets": (mid, AXIS_MAX, mid, AXIS_MAX, "right", "top"),
        "fill_ins": (AXIS_MIN, mid, AXIS_MIN, mid, "left", "bottom"),
        "time_sinks": (mid, AXIS_MAX, AXIS_MIN, mid, "right", "bottom"),
    }
    for key, (x0, x1, y0, y1, xanchor, yanchor) in boxes.items():
        q = quadrants[key]
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=q.colour, line={"width": 0}, layer="below")
        fig.add_annotation(
            x=x0 + 0.08 if xanchor == "left" else x1 - 0.08,
            y=y1 - 0.08 if yanchor == "top" else y0 + 0.08,
            text=f"<b>{html.escape(q.label)}</b>",
            showarrow=False,
            xanchor=xanchor,
            yanchor=yanchor,
            font={"size": 14, "color": "#374151"},
        )
    fig.add_shape(type="line", x0=mid, x1=mid, y0=AXIS_MIN, y1=AXIS_MAX, line={"color": "#9aa3b2", "dash": "dot"})
    fig.add_shape(type="line", x0=AXIS_MIN, x1=AXIS_MAX, y0=mid, y1=mid, line={"color": "#9aa3b2", "dash": "dot"})

    positions = _spread_duplicates(points)
    sizes = dict(zip([p.id for p in points], _sizes(points), strict=True))
    for state in STATE_ORDER:
        group = [p for p in points if p.state == state]
        if not group:
            continue
        colour, symbol = STATE_STYLE[state]
        fig.add_trace(
            go.Scatter(
                name=state_labels[state],
                x=[positions[p.id][0] for p in group],
                y=[positions[p.id][1] for p in group],
                mode="markers+text",
                text=[str(p.rank) if p.rank else "" for p in group],
                # a cross has no body to carry the rank, so it goes above the mark
                textposition="top center" if symbol == "x" else "middle center",
                textfont={"color": colour if symbol == "x" else "#fff", "size": 11},
                marker={
                    "size": [sizes[p.id] for p in group],
                    "color": colour,
                    "symbol": symbol,
                    "opacity": 0.85,
                    "line": {"color": "#ffffff", "width": 1.5},
                },
                customdata=[[p.id, p.url] for p in group],
                hovertext=[p.hover for p in group],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        template="none",
        height=540,
        margin={"l": 64, "r": 16, "t": 40, "b": 56},
        font={
            "family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif",
            "size": 13,
            "color": "#1d2330",
        },
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        showlegend=True,
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.01, "yanchor": "bottom", "font": {"size": 12}},
        hoverlabel={"bgcolor": "#ffffff", "bordercolor": "#9aa3b2", "font": {"color": "#1d2330"}, "align": "left"},
        dragmode=False,
    )
    axis = {
        "range": [AXIS_MIN, AXIS_MAX],
        "tickmode": "array",
        "tickvals": list(range(SCALE_MIN, SCALE_MAX + 1)),
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
        "linecolor": "#9aa3b2",
        "showline": True,
    }
    fig.update_xaxes(title={"text": x_title}, **axis)
    fig.update_yaxes(title={"text": y_title}, **axis)
    return fig
