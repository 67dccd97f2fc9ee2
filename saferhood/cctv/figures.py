"""The before/during/after chart, drawn on the server as SVG (see docs/adr/0002-server-svg-charts.md).

A period with no count (the after period not yet over, or months without located records) is
drawn as a hatched "no count" bar, never as a zero bar. All text is escaped here.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from saferhood.ui.charts import BLUE, GREY, LIGHT_GREY, MID_GREY, TEXT, nice_ticks

FONT = "&quot;GDS Transport&quot;, arial, sans-serif"


def _esc(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def periods_svg(rows: list[tuple[str, str, int | None]], *, chart_id: str, title: str) -> str:
    """Vertical bars, one per period: ``rows`` are (label, months, count or None)."""
    width, height = 520, 300
    left, right, top, bottom = 56, 16, 24, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [c for _, _, c in rows if c is not None]
    ticks = nice_ticks(max(known) if known else 0)
    y_max = ticks[-1]
    slot = plot_w / max(len(rows), 1)
    description = "; ".join(
        f"{label} ({months}): {'no count' if count is None else count}" for label, months, count in rows
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_esc(chart_id)}" class="saferhood-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_esc(chart_id)}-title {_esc(chart_id)}-desc" font-family="{FONT}" font-size="14">'
        f'<title id="{_esc(chart_id)}-title">{_esc(title)}</title>'
        f'<desc id="{_esc(chart_id)}-desc">{_esc(description)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<defs><pattern id="{_esc(chart_id)}-gap" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{LIGHT_GREY}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{MID_GREY}" stroke-width="3"/></pattern></defs>'
    ]
    for tick in ticks:
        ty = top + plot_h - plot_h * tick / y_max
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="{LIGHT_GREY}"/>'
            f'<text x="{left - 8}" y="{ty + 5:.1f}" text-anchor="end" fill="{GREY}" font-size="12">{int(tick):,}</text>'
        )
    for i, (label, months, count) in enumerate(rows):
        x0 = left + slot * i + slot * 0.2
        bar_w = slot * 0.6
        parts.append(
            f'<g class="bar" data-label="{_esc(label)}" data-value="{"" if count is None else count}">'
        )
        if count is None:
            parts.append(
                f'<rect x="{x0:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" '
                f'fill="url(#{_esc(chart_id)}-gap)"><title>{_esc(label)}: no count</title></rect>'
                f'<text x="{x0 + bar_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="{TEXT}">no count</text>'
            )
        else:
            h = plot_h * count / y_max
            colour = BLUE if label.lower().startswith("during") else GREY
            parts.append(
                f'<rect x="{x0:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_esc(label)}: {count:,}</title></rect>"
                f'<text x="{x0 + bar_w / 2:.1f}" y="{top + plot_h - h - 6:.1f}" text-anchor="middle" '
                f'fill="{TEXT}">{count:,}</text>'
            )
        parts.append(
            f'<text x="{x0 + bar_w / 2:.1f}" y="{top + plot_h + 22}" text-anchor="middle" fill="{TEXT}">{_esc(label)}</text>'
            f'<text x="{x0 + bar_w / 2:.1f}" y="{top + plot_h + 40}" text-anchor="middle" fill="{GREY}" '
            f'font-size="12">{_esc(months)}</text></g>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{TEXT}"/></svg>'
    )
    return "".join(parts)
