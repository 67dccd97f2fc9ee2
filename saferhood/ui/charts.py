"""Charts and maps drawn on the server as SVG.

Why SVG from Python rather than a JavaScript charting library (docs/adr/0002-server-svg-charts.md):
the page works without JavaScript, the strict Content Security Policy needs no exceptions, the
chart on the page is byte for byte the file a user downloads (and the PNG is rendered from it),
and the figures in it can be read back by tests. Every chart has a data table beside it.

All text is escaped here; callers may mark the result safe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.

FONT = "&quot;GDS Transport&quot;, arial, sans-serif"
TEXT = "#0b0c0c"
BLUE = "#1d70b8"
GREY = "#505a5f"
MID_GREY = "#b1b4b6"
LIGHT_GREY = "#f3f2f1"
# Sequential blues, light to dark (ColorBrewer "Blues"); dark enough at the top to show on white.
SEQUENTIAL = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _esc(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "no data"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def month_label(month: str, with_year: bool = True) -> str:
    """'2025-04' → 'Apr 2025'."""
    year, mm = month.split("-")
    return f"{MONTH_NAMES[int(mm) - 1]} {year}" if with_year else MONTH_NAMES[int(mm) - 1]


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``maximum`` (steps of 1, 2 or 5 × 10^k)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if step < 1:
        step = 1
    top = step * math.ceil(maximum / step)
    return [i * step for i in range(int(round(top / step)) + 1)]


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str, role: str = "img") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_esc(chart_id)}" class="saferhood-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="{role}" '
        f'aria-labelledby="{_esc(chart_id)}-title {_esc(chart_id)}-desc" font-family="{FONT}" font-size="14">'
        f'<title id="{_esc(chart_id)}-title">{_esc(title)}</title>'
        f'<desc id="{_esc(chart_id)}-desc">{_esc(description)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
    )


def _gap_pattern(chart_id: str) -> str:
    return (
        f'<defs><pattern id="{_esc(chart_id)}-gap" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{LIGHT_GREY}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{MID_GREY}" stroke-width="3"/></pattern></defs>'
    )


def trend_chart(
    months: Sequence[str],
    values: Sequence[int | None],
    before_values: Sequence[int | None] | None,
    *,
    chart_id: str,
    title: str,
    description: str,
    current_label: str,
    before_label: str,
    value_label: str,
    before_months: Sequence[str] | None = None,
    gap_reasons: Mapping[str, str] | None = None,
) -> str:
    """A monthly line chart: this period, and (dashed) the same months a year earlier.

    A month without a figure (None) breaks the line and is drawn as a hatched "gap" band, so a
    missing month is never read as a zero; ``gap_reasons`` (month → why: no data loaded, a partial
    month, not applicable) titles each band.
    """
    gap_reasons = gap_reasons or {}
    width, height = 680, 320
    left, right, top, bottom = 64, 16, 52, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(months)
    known = [v for v in list(values) + list(before_values or []) if v is not None]
    ticks = nice_ticks(max(known) if known else 0)
    y_max = ticks[-1]
    slot = plot_w / max(n, 1)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    parts = [_svg_open(chart_id, width, height, title, description), _gap_pattern(chart_id)]
    # Legend first, so it reads before the plot.
    parts.append(
        f'<g class="legend"><line x1="{left}" y1="20" x2="{left + 28}" y2="20" stroke="{BLUE}" stroke-width="3"/>'
        f'<text x="{left + 36}" y="25" fill="{TEXT}">{_esc(current_label)}</text>'
    )
    offset = left + 44 + 8 * len(current_label)
    if before_values is not None:
        parts.append(
            f'<line x1="{offset}" y1="20" x2="{offset + 28}" y2="20" stroke="{GREY}" stroke-width="2" '
            f'stroke-dasharray="6 4"/><text x="{offset + 36}" y="25" fill="{TEXT}">{_esc(before_label)}</text>'
        )
        offset += 44 + 8 * len(before_label)
    if any(v is None for v in values):
        parts.append(
            f'<rect x="{offset}" y="12" width="20" height="16" fill="url(#{_esc(chart_id)}-gap)" stroke="{MID_GREY}"/>'
            f'<text x="{offset + 28}" y="25" fill="{TEXT}">Gap: no figure</text>'
        )
    parts.append("</g>")
    for i, v in enumerate(values):
        if v is None:
            parts.append(
                f'<rect class="gap" data-month="{_esc(months[i])}" x="{left + slot * i:.1f}" y="{top}" '
                f'width="{slot:.1f}" height="{plot_h}" fill="url(#{_esc(chart_id)}-gap)">'
                f"<title>{_esc(month_label(months[i]))}: {_esc(gap_reasons.get(months[i], 'no data loaded'))}"
                "</title></rect>"
            )
    for t in ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="{MID_GREY}" '
            f'stroke-width="{1.5 if t == 0 else 0.5}"/>'
            f'<text x="{left - 8}" y="{y(t) + 5:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(t)}</text>'
        )
    parts.append(
        f'<text transform="translate(16 {top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle" '
        f'fill="{TEXT}">{_esc(value_label)}</text>'
    )
    for i, month in enumerate(months):
        # Long series: one label per year, at January; short ones: every month (or every few).
        if n > 24:
            if month.endswith("-01") or (i == 0 and int(month[5:]) <= 9):
                parts.append(
                    f'<line x1="{left + slot * i:.1f}" x2="{left + slot * i:.1f}" y1="{top + plot_h}" '
                    f'y2="{top + plot_h + 6}" stroke="{GREY}"/>'
                    f'<text x="{left + slot * i + 3:.1f}" y="{top + plot_h + 20}" fill="{TEXT}" font-size="12">'
                    f"{_esc(month[:4])}</text>"
                )
            continue
        if i % max(1, math.ceil(n / 12)) == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 20}" text-anchor="middle" fill="{TEXT}" font-size="12">'
                f"{_esc(month_label(month, with_year=False))}</text>"
            )
            if i == 0 or month.endswith("-01"):
                parts.append(
                    f'<text x="{x(i):.1f}" y="{top + plot_h + 38}" text-anchor="middle" fill="{TEXT}" '
                    f'font-size="12">{_esc(month[:4])}</text>'
                )
    if before_values is not None:
        parts.append(
            _series_path(before_values, x, y, GREY, 2, "6 4", "before", before_months or months, before_label)
        )
    parts.append(_series_path(values, x, y, BLUE, 3, None, "current", months, current_label))
    parts.append("</svg>")
    return "".join(parts)


def _series_path(values, x, y, colour, stroke_width, dash, css_class, months, label) -> str:
    """One line, broken wherever a month has no data, with a marker per month that has."""
    segments: list[list[tuple[float, float]]] = [[]]
    markers = []
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((x(i), y(v)))
        markers.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{3.5 if css_class == "current" else 2.5}" fill="{colour}" '
            f'data-month="{_esc(months[i])}" data-value="{v}"><title>{_esc(label)}, '
            f"{_esc(month_label(months[i]))}: {_fmt(v)}</title></circle>"
        )
    paths = []
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    for seg in segments:
        if len(seg) >= 2:
            d = "M" + " L".join(f"{px:.1f} {py:.1f}" for px, py in seg)
            paths.append(
                f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{stroke_width}"{dash_attr}/>'
            )
    return f'<g class="series-{css_class}">' + "".join(paths) + "".join(markers) + "</g>"


def bar_chart(
    rows: Sequence[tuple[str, int, int | None]],
    *,
    chart_id: str,
    title: str,
    description: str,
    current_label: str,
    before_label: str | None,
) -> str:
    """Horizontal bars, one per category, with the comparison period as a thin grey bar below."""
    label_w, width, row_h, top = 250, 680, 34, 40
    height = top + row_h * max(len(rows), 1) + 12
    plot_w = width - label_w - 70
    maximum = max([max(c, p or 0) for _, c, p in rows] or [0]) or 1
    parts = [_svg_open(chart_id, width, height, title, description)]
    parts.append(
        f'<rect x="{label_w}" y="10" width="16" height="12" fill="{BLUE}"/>'
        f'<text x="{label_w + 22}" y="21" fill="{TEXT}">{_esc(current_label)}</text>'
    )
    if before_label:
        lx = label_w + 40 + 8 * len(current_label)
        parts.append(
            f'<rect x="{lx}" y="13" width="16" height="6" fill="{GREY}"/>'
            f'<text x="{lx + 22}" y="21" fill="{TEXT}">{_esc(before_label)}</text>'
        )
    for i, (label, current, previous) in enumerate(rows):
        y0 = top + i * row_h
        w = plot_w * current / maximum
        parts.append(
            f'<g class="bar" data-label="{_esc(label)}" data-value="{current}">'
            f'<text x="{label_w - 8}" y="{y0 + 15}" text-anchor="end" fill="{TEXT}">{_esc(label)}</text>'
            f'<rect x="{label_w}" y="{y0 + 2}" width="{w:.1f}" height="16" fill="{BLUE}">'
            f"<title>{_esc(label)}: {_fmt(current)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y0 + 15}" fill="{TEXT}" font-size="13">{_fmt(current)}</text>'
        )
        if previous is not None and before_label:
            pw = plot_w * previous / maximum
            parts.append(
                f'<rect x="{label_w}" y="{y0 + 21}" width="{pw:.1f}" height="6" fill="{GREY}">'
                f"<title>{_esc(label)}, {_esc(before_label)}: {_fmt(previous)}</title></rect>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class MapArea:
    """One area on a choropleth: its boundary (GeoJSON, lon/lat) and the value it is shaded by."""

    code: str
    name: str
    geometry: dict[str, Any]
    value: float | None
    url: str | None = None


@lru_cache(maxsize=1)
def _to_bng():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform


def quantile_breaks(values: Sequence[float], classes: int = 5) -> list[float]:
    """Upper bounds of up to ``classes`` equal-count classes (fewer when values repeat)."""
    ordered = sorted(values)
    if not ordered:
        return []
    breaks = []
    for k in range(1, classes + 1):
        idx = min(len(ordered) - 1, math.ceil(k * len(ordered) / classes) - 1)
        if not breaks or ordered[idx] > breaks[-1]:
            breaks.append(ordered[idx])
    return breaks


def class_of(value: float, breaks: Sequence[float]) -> int:
    for i, upper in enumerate(breaks):
        if value <= upper:
            return i
    return len(breaks) - 1


class _Frame:
    """Fits British National Grid coordinates into the drawing, north up, aspect kept."""

    def __init__(self, bounds: tuple[float, float, float, float], width: int, max_height: int, pad: int):
        minx, miny, maxx, maxy = bounds
        span_x, span_y = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
        self.minx, self.maxy, self.pad = minx, maxy, pad
        self.height = int(span_y * self.scale + 2 * pad)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.pad + (x - self.minx) * self.scale, self.pad + (self.maxy - y) * self.scale

    def path(self, geom) -> str:
        polygons = getattr(geom, "geoms", [geom])
        out = []
        for polygon in polygons:
            for ring in [polygon.exterior, *polygon.interiors]:
                pts = [self.point(x, y) for x, y in ring.coords]
                out.append("M" + " L".join(f"{px:.1f} {py:.1f}" for px, py in pts) + "Z")
        return "".join(out)


def project(geometry: dict[str, Any]):
    """A GeoJSON geometry (lon/lat) as a shapely geometry in British National Grid metres."""
    import shapely
    from shapely.geometry import shape

    return shapely.transform(shape(geometry), lambda x, y: _to_bng()(x, y), interleaved=False)


def choropleth(
    areas: Sequence[MapArea],
    *,
    chart_id: str,
    title: str,
    description: str,
    value_label: str,
) -> str:
    """Areas shaded by value in five equal-count classes; areas without a value are hatched."""
    width, legend_h, pad = 680, 40, 12
    shapes = [(a, project(a.geometry)) for a in areas]
    minx = min(g.bounds[0] for _, g in shapes)
    miny = min(g.bounds[1] for _, g in shapes)
    maxx = max(g.bounds[2] for _, g in shapes)
    maxy = max(g.bounds[3] for _, g in shapes)
    frame = _Frame((minx, miny, maxx, maxy), width, 560, pad)
    height = frame.height + legend_h + 50
    breaks = quantile_breaks([a.value for a in areas if a.value is not None])
    role = "group" if any(a.url for a in areas) else "img"
    parts = [_svg_open(chart_id, width, height, title, description, role=role), _gap_pattern(chart_id)]
    for area, geom in shapes:
        if area.value is None:
            fill = f"url(#{_esc(chart_id)}-gap)"
        else:
            fill = SEQUENTIAL[class_of(area.value, breaks) + (len(SEQUENTIAL) - len(breaks))]
        label = f"{area.name}: {_fmt(area.value)} {value_label}"
        shape_el = (
            f'<path d="{frame.path(geom)}" fill="{fill}" fill-rule="evenodd" stroke="#ffffff" '
            f'stroke-width="1.5" data-code="{_esc(area.code)}" data-value="{"" if area.value is None else area.value}">'
            f"<title>{_esc(label)}</title></path>"
        )
        if area.url:
            shape_el = f'<a href="{_esc(area.url)}" aria-label="{_esc(label)}">{shape_el}</a>'
        parts.append(shape_el)
    if len(shapes) <= 8:
        for area, geom in shapes:
            px, py = frame.point(*geom.representative_point().coords[0])
            parts.append(
                f'<text x="{px:.1f}" y="{py:.1f}" text-anchor="middle" fill="{TEXT}" font-weight="700" '
                f'stroke="#ffffff" stroke-width="3" paint-order="stroke" aria-hidden="true">{_esc(area.name)}</text>'
            )
    parts.append(
        _legend(chart_id, breaks, frame.height + 10, value_label, any(a.value is None for a in areas))
    )
    parts.append("</svg>")
    return "".join(parts)


def _legend(chart_id: str, breaks: Sequence[float], y0: float, value_label: str, has_gaps: bool) -> str:
    colours = SEQUENTIAL[len(SEQUENTIAL) - len(breaks) :]
    parts = [f'<g class="legend"><text x="12" y="{y0 + 14:.0f}" fill="{TEXT}">{_esc(value_label)}</text>']
    x, y0 = 12, y0 + 26
    lower = None
    for colour, upper in zip(colours, breaks, strict=True):
        text = f"up to {_fmt(upper)}" if lower is None else f"{_fmt(lower)}–{_fmt(upper)}"
        parts.append(
            f'<rect x="{x}" y="{y0}" width="18" height="18" fill="{colour}" stroke="{GREY}" stroke-width="0.5"/>'
            f'<text x="{x + 24}" y="{y0 + 14:.0f}" fill="{TEXT}" font-size="13">{_esc(text)}</text>'
        )
        x += 34 + 7 * len(text)
        lower = upper
    if has_gaps:
        parts.append(
            f'<rect x="{x}" y="{y0}" width="18" height="18" fill="url(#{_esc(chart_id)}-gap)" stroke="{GREY}" '
            f'stroke-width="0.5"/><text x="{x + 24}" y="{y0 + 14:.0f}" fill="{TEXT}" font-size="13">no data</text>'
        )
    parts.append("</g>")
    return "".join(parts)


HOT = "#d4351c"  # GOV.UK red
COLD = "#003078"  # GOV.UK dark blue


@dataclass(frozen=True)
class CellGrid:
    """A hotspot grid to draw: BNG origin and cell size, per-cell density and Gi* class (row 0 south)."""

    x0: float
    y0: float
    size: float
    density: Any  # (ny, nx) floats, NaN outside the area
    classes: Any  # (ny, nx) "hot" / "cold" / "none"


def hotspot_map(cells: CellGrid, boundary: Any | None, *, chart_id: str, title: str, description: str) -> str:
    """Cells shaded by KDE (five equal-count classes of the non-zero cells), Gi* hot and cold spots outlined."""
    import numpy as np

    ny, nx = cells.density.shape
    bounds = (cells.x0, cells.y0, cells.x0 + nx * cells.size, cells.y0 + ny * cells.size)
    frame = _Frame(bounds, 680, 560, 12)
    width, height = 680, frame.height + 85
    positive = cells.density[np.isfinite(cells.density) & (cells.density > 0)]
    breaks = quantile_breaks([round(float(v), 3) for v in positive])
    colours = SEQUENTIAL[len(SEQUENTIAL) - len(breaks) :]
    parts = [_svg_open(chart_id, width, height, title, description)]
    cell_px = cells.size * frame.scale
    outlines = []
    for r, c in zip(*np.nonzero(np.isfinite(cells.density)), strict=True):
        value = float(cells.density[r, c])
        cls = str(cells.classes[r, c])
        px, py = frame.point(cells.x0 + c * cells.size, cells.y0 + (r + 1) * cells.size)
        if value > 0:
            fill = colours[class_of(round(value, 3), breaks)]
            parts.append(
                f'<rect x="{px:.1f}" y="{py:.1f}" width="{cell_px + 0.3:.1f}" height="{cell_px + 0.3:.1f}" fill="{fill}"/>'
            )
        if cls in ("hot", "cold"):
            colour, dash = (HOT, "") if cls == "hot" else (COLD, ' stroke-dasharray="3 2"')
            outlines.append(
                f'<rect class="{cls}" data-row="{r}" data-col="{c}" x="{px:.1f}" y="{py:.1f}" width="{cell_px:.1f}" '
                f'height="{cell_px:.1f}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
    if boundary is not None:
        parts.append(f'<path d="{frame.path(boundary)}" fill="none" stroke="{TEXT}" stroke-width="1.5"/>')
    parts.extend(outlines)
    y0 = frame.height + 8
    parts.append(_legend(chart_id, breaks, y0, "Density (records per km²)", False))
    lx = 12
    ly = y0 + 64
    parts.append(
        f'<g class="legend"><rect x="{lx}" y="{ly - 13}" width="16" height="16" fill="none" stroke="{HOT}" stroke-width="2"/>'
        f'<text x="{lx + 24}" y="{ly}" fill="{TEXT}" font-size="13">Gi* hot spot (significant after FDR)</text>'
        f'<rect x="{lx + 300}" y="{ly - 13}" width="16" height="16" fill="none" stroke="{COLD}" stroke-width="2" '
        f'stroke-dasharray="3 2"/><text x="{lx + 324}" y="{ly}" fill="{TEXT}" font-size="13">Gi* cold spot</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)
