"""The KPI tiles' trend lines as inline SVG, drawn on the server (issue 19, light pages).

A sparkline is a handful of points; drawing ten of them with plotly.js cost the board most of its main-thread time
at start-up (plotly's code had to load before the first tile showed its trend, then one chart task per tile). A
polyline in the page costs nothing in the browser, shows with the first paint and needs no script (strict CSP: no
inline script, no inline style — SVG presentation attributes only).

The figure keeps what the plotly sparkline showed: the line in the status colour, gaps connected, the latest value
marked with a dot, and each month's value on hover (an invisible band per point with a ``<title>``, the browser's
own tooltip). The drawing stretches to the tile's width (``preserveAspectRatio="none"``) while strokes and the dot
keep their size (``vector-effect: non-scaling-stroke``). The tiles hide their sparkline in print (board.css).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 100  # viewBox units; stretched to the tile's width
HEIGHT = 56  # px, as the plotly sparkline (board.css .kpi-spark)
PAD_Y = 7  # room for the dot and the stroke at the top and bottom
PAD_X = 4


def _coordinates(values: Sequence[Decimal | float | None]) -> list[tuple[float, float] | None]:
    known = [float(v) for v in values if v is not None]
    if not known:
        return [None] * len(values)
    low, high = min(known), max(known)
    span = high - low
    steps = max(len(values) - 1, 1)
    out: list[tuple[float, float] | None] = []
    for index, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        x = PAD_X + (WIDTH - 2 * PAD_X) * (index / steps if len(values) > 1 else 0.5)
        share = (float(value) - low) / span if span else 0.5  # a flat series runs through the middle
        y = HEIGHT - PAD_Y - (HEIGHT - 2 * PAD_Y) * share
        out.append((round(x, 2), round(y, 2)))
    return out


def sparkline_svg(
    values: Sequence[Decimal | float | None], labels: Sequence[str], texts: Sequence[str], *, color: str, label: str
) -> SafeString:
    """The trend of ``values`` (oldest first; ``None`` where a period has no figure) as an ``<svg role="img">``.

    ``labels`` name the periods and ``texts`` are the formatted values, for the per-point tooltips; ``label`` is the
    accessible name ("Trend of …").
    """
    points = _coordinates(values)
    drawn = [point for point in points if point is not None]
    parts = [
        f'<svg class="kpi-spark-svg" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" width="100%" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(label)}" focusable="false" data-testid="kpi-sparkline">'
    ]
    if len(drawn) > 1:
        line = " ".join(f"{x},{y}" for x, y in drawn)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{escape(color)}" stroke-width="2.5" '
            'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>'
        )
    if drawn:
        x, y = drawn[-1]
        # the latest value: a zero-length round-capped line is a dot that keeps its size when the SVG stretches
        parts.append(
            f'<path class="kpi-spark-last" d="M{x},{y}h0" stroke="{escape(color)}" stroke-width="7" '
            'stroke-linecap="round" vector-effect="non-scaling-stroke"/>'
        )
    # one hover band per period with its value as the browser's tooltip
    band = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)
    for point, period, text in zip(points, labels, texts, strict=False):
        if point is None:
            continue
        left = max(point[0] - band / 2, 0)
        width = min(band, WIDTH - left)
        parts.append(
            f'<rect x="{round(left, 2)}" y="0" width="{round(width, 2)}" height="{HEIGHT}" fill="transparent">'
            f"<title>{escape(period)}: {escape(text)}</title></rect>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers we computed; every text is escaped above
