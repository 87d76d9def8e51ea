"""Plotly figures of the cascade: data in, figure out. Pages embed ``fig.to_json()`` in a JSON data block and
static/js/cascade-charts.js draws it (no inline script, CSP stays strict)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape

import plotly.graph_objects as go
from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbers import format_percent

from .models import Cycle, KeyResult

STATUS_COLOURS = {"red": "#c8322b", "amber": "#c98a00", "green": "#2f8f4e"}
ROOT_COLOUR = "#e4e7ec"
# Text colour per segment colour with enough contrast (dark text on amber).
TEXT_ON = {"#c98a00": "#1d2330", ROOT_COLOUR: "#1d2330"}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"


def cascade_sunburst(roots: Iterable, *, root_label: str) -> go.Figure:
    """Objectives as rings (children outside their parent), key results as the outermost leaves, each coloured by
    its traffic light; hover and label carry the percentage and the status word (colour is never the only signal)."""
    ids, labels, parents, colours, texts, hovers = (
        ["root"],
        [root_label or _("Cascade")],
        [""],
        [ROOT_COLOUR],
        [""],
        [""],
    )

    def add(node, parent_id: str) -> None:
        node_id = f"o{node.id}"
        ids.append(node_id)
        labels.append(escape(_short(node.title)))
        parents.append(parent_id)
        colours.append(STATUS_COLOURS.get(node.status, "#9aa3b2"))
        texts.append(f"{format_percent(node.progress)} · {node.status_label}")
        hovers.append(
            f"<b>{escape(node.title)}</b><br>{_('Objective')}: {format_percent(node.progress)} · {node.status_label}"
        )
        for kr in node.key_results:
            ids.append(f"k{kr.key_result.pk}")
            labels.append(escape(_short(kr.key_result.title)))
            parents.append(node_id)
            colours.append(STATUS_COLOURS.get(kr.status, "#9aa3b2"))
            texts.append(f"{format_percent(kr.progress)} · {kr.status_label}")
            kr_title = escape(kr.key_result.title)
            hovers.append(f"<b>{kr_title}</b><br>{_('Key result')}: {format_percent(kr.progress)} · {kr.status_label}")
        for child in node.children:
            add(child, node_id)

    for root in roots:
        add(root, "root")
    figure = go.Figure(
        go.Sunburst(
            ids=ids,
            labels=labels,
            parents=parents,
            text=texts,
            hovertext=hovers,
            hoverinfo="text",
            texttemplate="%{label}<br>%{text}",
            marker={"colors": colours, "line": {"color": "#ffffff", "width": 1.5}},
            insidetextfont={"color": [TEXT_ON.get(c, "#ffffff") for c in colours]},
            leaf={"opacity": 1},
            insidetextorientation="auto",
            maxdepth=4,
        )
    )
    figure.update_layout(
        margin={"t": 10, "l": 10, "r": 10, "b": 10},
        height=720,
        font={"family": FONT, "size": 13},
        uniformtext={"minsize": 11, "mode": "hide"},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return figure


def _short(title: str, limit: int = 30) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _expected_line(kr: KeyResult, cycle: Cycle) -> tuple[list[dt.date], list[float]]:
    start, end = cycle.start_date, cycle.end_date
    if kr.kind in (KeyResult.Kind.STAY_ABOVE, KeyResult.Kind.STAY_BELOW):
        return [start, end], [float(kr.target_value), float(kr.target_value)]
    if kr.kind == KeyResult.Kind.MILESTONE:
        return [start, end], [0.0, 1.0]
    return [start, end], [float(kr.start_value), float(kr.target_value)]


def key_result_history(kr: KeyResult, check_ins: Sequence, *, cycle: Cycle, today: dt.date | None = None) -> go.Figure:
    """Actual values (the check-ins, as steps: a value holds until the next check-in) against the expected path
    (start value at the cycle's start to the target at its end; a flat line for stay above/below)."""
    today = today or timezone.localdate()
    x_actual: list = []
    y_actual: list[float] = []
    if kr.kind in (KeyResult.Kind.INCREASE_TO, KeyResult.Kind.DECREASE_TO, KeyResult.Kind.MILESTONE):
        # these start from the start value (a milestone from "not done"); a bound to stay above/below has no start
        x_actual.append(cycle.start_date)
        y_actual.append(float(kr.start_value) if kr.kind != KeyResult.Kind.MILESTONE else 0.0)
    for check_in in check_ins:
        x_actual.append(timezone.localtime(check_in.created_at))
        y_actual.append(float(check_in.value))
    x_expected, y_expected = _expected_line(kr, cycle)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=x_expected,
            y=y_expected,
            name=_("Expected"),
            mode="lines",
            line={"color": "#5a6272", "dash": "dash", "width": 2},
            hovertemplate="%{x|%d.%m.%Y}: %{y}<extra>" + _("Expected") + "</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x_actual,
            y=y_actual,
            name=_("Actual"),
            mode="lines+markers",
            line={"color": "#1f5fbf", "width": 3, "shape": "hv"},
            marker={"size": 7},
            hovertemplate="%{x|%d.%m.%Y}: %{y}<extra>" + _("Actual") + "</extra>",
        )
    )
    if cycle.start_date <= today <= cycle.end_date:
        figure.add_vline(x=today.isoformat(), line={"color": "#9aa3b2", "width": 1, "dash": "dot"})
    figure.update_layout(
        margin={"t": 10, "l": 50, "r": 10, "b": 40},
        height=260,
        font={"family": FONT, "size": 12},
        legend={"orientation": "h", "y": -0.25},
        xaxis={"range": [cycle.start_date.isoformat(), cycle.end_date.isoformat()], "gridcolor": "#eceff3"},
        yaxis={"gridcolor": "#eceff3", "zerolinecolor": "#d8dce3"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    if kr.kind == KeyResult.Kind.MILESTONE:
        figure.update_yaxes(tickvals=[0, 1], ticktext=[_("Not done"), _("Done")], range=[-0.1, 1.1])
    return figure
