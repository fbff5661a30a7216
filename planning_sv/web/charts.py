"""Charts drawn on the server as inline SVG: no script, no CDN, readable without JavaScript.

`delivery_chart` draws one measure's due and verified-delivered quantities per year as
paired bars. Every chart sits beside a table of the same figures (templates/public/
_delivery.html), which is what screen readers and people who prefer numbers read; the SVG
is `role="img"` with a title and description. Text in the SVG (labels, years) is escaped:
measure labels come from data files, and nothing from users is placed here unescaped.
"""

from __future__ import annotations

import math
import re

from markupsafe import Markup, escape

from planning_sv.core.delivery import MeasureOverTime
from planning_sv.core.figures import format_number

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 24, 48
DUE_COLOUR = "#b1b4b6"  # GOV.UK mid-grey
DELIVERED_COLOUR = "#00703c"  # GOV.UK green
TEXT_COLOUR = "#0b0c0c"


def nice_ceiling(value: float) -> float:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power


def delivery_chart(series: MeasureOverTime, chart_id: str) -> Markup:
    """Paired bars per year (due, delivered) for one measure, as an inline <svg>."""
    # The id goes into attributes: kept to the characters an id needs, whatever the caller gave.
    chart_id = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
    years = series.years
    top = nice_ceiling(max([max(y.due, y.delivered) for y in years] + [0.0]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(years))
    bar = min(28.0, slot * 0.35)
    unit = series.unit_label or series.unit

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * (value / top)

    title = f"{series.label}: due and verified delivered per year ({unit})"
    desc = "; ".join(
        f"{y.year}: due {format_number(round(y.due, 2))}, delivered {format_number(round(y.delivered, 2))}"
        for y in years
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'id="{chart_id}" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    # Grid lines and y-axis labels at 0, 1/2 and the top.
    for fraction in (0.0, 0.5, 1.0):
        value = top * fraction
        y = y_of(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e4e4e4" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT_COLOUR}">{escape(format_number(round(value, 2)))}</text>'
        )
    for index, year in enumerate(years):
        centre = LEFT + slot * index + slot / 2
        for offset, value, colour, kind in (
            (-bar - 1, year.due, DUE_COLOUR, "due"),
            (1, year.delivered, DELIVERED_COLOUR, "delivered"),
        ):
            y = y_of(value)
            height = TOP + plot_h - y
            parts.append(
                f'<rect x="{centre + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}" data-year="{year.year}" '
                f'data-kind="{kind}" data-value="{value:g}"/>'
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'font-size="12" fill="{TEXT_COLOUR}">{year.year}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    # Legend.
    legend_y = HEIGHT - 12
    parts.append(
        f'<rect x="{LEFT}" y="{legend_y - 10}" width="12" height="12" fill="{DUE_COLOUR}"/>'
        f'<text x="{LEFT + 16}" y="{legend_y}" font-size="12" fill="{TEXT_COLOUR}">Due</text>'
        f'<rect x="{LEFT + 64}" y="{legend_y - 10}" width="12" height="12" '
        f'fill="{DELIVERED_COLOUR}"/>'
        f'<text x="{LEFT + 80}" y="{legend_y}" font-size="12" fill="{TEXT_COLOUR}">'
        f"Delivered (verified)</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
