"""Plotly figures of the budget overview: data in, figure out. Pages embed ``fig.to_json()`` in a JSON data block
and static/js/budgets.js renders it (no inline script, CSP stays strict)."""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go
from django.utils.translation import get_language
from django.utils.translation import gettext as _

PLANNED = "#9aa3b2"
APPROVED = "#1f5fbf"
ACTUAL = "#2f8f4e"
OVER = "#c8322b"
UNBOUND = "#c98a00"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 13, "color": "#1d2330"}


def labels() -> dict[str, str]:
    """Chart texts in the request's language."""
    return {
        "planned": _("Planned"),
        "approved": _("Approved"),
        "actual": _("Actual"),
        "bound": _("Bound to key results"),
        "unbound": _("Not bound yet"),
        "not_bound_group": _("Not bound to a key result"),
        "month_actual": _("Actual spend per month"),
        "cumulative": _("Cumulative actual"),
        "approved_total": _("Approved budget"),
        "share": _("bound"),
        "no_data": _("No budget planned in this cycle yet."),
    }


def _layout(fig: go.Figure, *, height: int = 340, **extra) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font=FONT,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        separators=",." if (get_language() or "de").startswith("de") else ".,",
        **extra,
    )
    return fig


def _f(value) -> float:
    # Plotly needs floats to draw; the amounts shown in tables stay Decimal.
    return float(value or Decimal(0))


def bound_share_figure(totals: dict, *, labels: dict) -> go.Figure:
    bound = totals["bound_amount"]
    unbound = max(Decimal(0), totals["total_planned"] - bound)
    share = totals["share"]
    fig = go.Figure(
        go.Pie(
            labels=[labels["bound"], labels["unbound"]],
            values=[_f(bound), _f(unbound)],
            hole=0.62,
            sort=False,
            marker={"colors": [APPROVED, UNBOUND], "line": {"color": "#fff", "width": 2}},
            textinfo="percent",
            hovertemplate="%{label}: %{value:,.0f}<extra></extra>",
        )
    )
    text = f"{share * 100:.0f} %" if share is not None else "–"
    fig.add_annotation(text=f"<b>{text}</b><br>{labels['share']}", showarrow=False, font={"size": 20})
    return _layout(fig, height=300, showlegend=True)


def budget_treemap_figure(rows: list[dict], *, labels: dict) -> go.Figure:
    ids, names, parents, values, colors = [], [], [], [], []
    objectives_seen = set()
    for row in rows:
        if row["key_result_id"] is None:
            ids.append("unbound")
            names.append(labels["not_bound_group"])
            parents.append("")
            values.append(_f(row["planned"]))
            colors.append(UNBOUND)
            continue
        objective_id = f"o{row['objective_id']}"
        if objective_id not in objectives_seen:
            objectives_seen.add(objective_id)
            total = sum(_f(r["planned"]) for r in rows if r["objective_id"] == row["objective_id"])
            ids.append(objective_id)
            names.append(row["objective"])
            parents.append("")
            values.append(total)
            colors.append("#dbe6f7")
        ids.append(f"k{row['key_result_id']}")
        names.append(row["key_result"])
        parents.append(objective_id)
        values.append(_f(row["planned"]))
        colors.append(APPROVED if row["approved"] else "#7fa4dc")
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=names,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={"colors": colors},
            texttemplate="<b>%{label}</b><br>%{value:,.0f}",
            hovertemplate="%{label}<br>%{value:,.0f}<extra></extra>",
            tiling={"pad": 2},
        )
    )
    return _layout(fig, height=420)


def plan_vs_actual_figure(rows: list[dict], *, labels: dict) -> go.Figure:
    names = [row["channel"] for row in rows]
    fig = go.Figure()
    fig.add_bar(name=labels["planned"], x=names, y=[_f(r["planned"]) for r in rows], marker_color=PLANNED)
    fig.add_bar(name=labels["approved"], x=names, y=[_f(r["approved"]) for r in rows], marker_color=APPROVED)
    fig.add_bar(
        name=labels["actual"],
        x=names,
        y=[_f(r["actual"]) for r in rows],
        marker_color=[OVER if r["overspent"] else ACTUAL for r in rows],
    )
    fig.update_yaxes(gridcolor="#e4e7ec", tickformat=",.0f")
    return _layout(fig, barmode="group", hovermode="x unified")


def monthly_figure(rows: list[dict], approved_total, *, labels: dict) -> go.Figure:
    months = [row["month"].isoformat() for row in rows]
    cumulative, running = [], Decimal(0)
    for row in rows:
        running += row["actual"]
        cumulative.append(_f(running))
    fig = go.Figure()
    fig.add_bar(name=labels["month_actual"], x=months, y=[_f(r["actual"]) for r in rows], marker_color=ACTUAL)
    fig.add_scatter(name=labels["cumulative"], x=months, y=cumulative, mode="lines+markers", line={"color": "#17223b"})
    fig.add_scatter(
        name=labels["approved_total"],
        x=months,
        y=[_f(approved_total)] * len(months),
        mode="lines",
        line={"color": APPROVED, "dash": "dash"},
    )
    fig.update_xaxes(tickformat="%b", dtick="M1")
    fig.update_yaxes(gridcolor="#e4e7ec", tickformat=",.0f")
    return _layout(fig, hovermode="x unified")
