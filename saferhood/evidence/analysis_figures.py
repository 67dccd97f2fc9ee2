"""The analyses on an area page: hotspot map, repeat locations and emerging-trend alerts.

Built from the same service functions as the API routes, so the page and the API agree.
"""

from __future__ import annotations

from typing import Any

from saferhood.analytics import alerts as alert_lib
from saferhood.analytics.change import p_value_text
from saferhood.analytics.grid import to_lonlat
from saferhood.areas.models import Area
from saferhood.core.months import add_months, spans
from saferhood.evidence import analyses
from saferhood.evidence.analyses import GridParams, HotspotGrid
from saferhood.evidence.figures import Table
from saferhood.evidence.period import Period
from saferhood.evidence.points import months_with_records
from saferhood.ui import charts

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.


def hotspot_grid(area: Area, period: Period, type_key: str) -> HotspotGrid:
    return analyses.hotspot_grid(area, period, type_key, GridParams())


def hotspot_svg(area_name: str, hs: HotspotGrid) -> str:
    grid, gi = hs.grid, hs.gi
    p = hs.parameters
    hot = int((gi.classes[grid.mask] == "hot").sum())
    return charts.hotspot_map(
        charts.CellGrid(grid.x0, grid.y0, grid.cell_size, hs.density, gi.classes),
        hs.points.boundary,
        chart_id="hotspot-map",
        title=f"Hotspots, {area_name}, {p['from']} to {p['to']} ({p['type']})",
        description=f"{len(hs.points.records):,} located records in {grid.cell_size:g} m cells, shaded by "
        f"quartic kernel density (bandwidth {p['bandwidth']:,.0f} m); {hot} cells outlined in red are Gi* hot "
        "spots after the false discovery rate adjustment. The table below lists them.",
    )


def hot_cells(hs: HotspotGrid, limit: int = 15) -> Table:
    """The hot-spot cells, strongest first: where they are, and the figures behind them."""
    import numpy as np

    grid, gi = hs.grid, hs.gi
    rows, cols = np.nonzero((gi.classes == "hot") & grid.mask)
    order = np.argsort(-gi.z[rows, cols], kind="stable")[:limit]
    rows, cols = rows[order], cols[order]
    lon, lat = to_lonlat(grid.x0 + (cols + 0.5) * grid.cell_size, grid.y0 + (rows + 0.5) * grid.cell_size)
    return Table(
        ["row", "col", "centre_lat", "centre_lon", "records", "density_per_km2", "gi_z", "p_adjusted"],
        [
            [int(r), int(c), round(float(la), 5), round(float(lo), 5), int(hs.counts[r, c]),
             round(float(hs.density[r, c]), 1), round(float(gi.z[r, c]), 2), p_value_text(float(gi.p_adj[r, c]))]
            for r, c, la, lo in zip(rows, cols, lat, lon, strict=True)
        ],
    )  # fmt: skip


def cells_table(hs: HotspotGrid) -> Table:
    """Every cell of the grid in the area, for download."""
    import numpy as np

    grid, gi = hs.grid, hs.gi
    rows, cols = np.nonzero(grid.mask)
    lon, lat = to_lonlat(grid.x0 + (cols + 0.5) * grid.cell_size, grid.y0 + (rows + 0.5) * grid.cell_size)
    return Table(
        ["row", "col", "centre_lat", "centre_lon", "records", "density_per_km2", "gi_z", "p", "p_adjusted", "class"],
        [
            [int(r), int(c), round(float(la), 6), round(float(lo), 6), int(hs.counts[r, c]),
             float(hs.density[r, c]), float(gi.z[r, c]), float(gi.p[r, c]), float(gi.p_adj[r, c]), str(gi.classes[r, c])]
            for r, c, la, lo in zip(rows, cols, lat, lon, strict=True)
        ],
    )  # fmt: skip


def repeat_locations(area: Area, period: Period, type_key: str, top: int = 10, points=None) -> dict[str, Any]:
    return analyses.repeat_locations_for(area, period, type_key, top=top, points=points)


LABEL_SEPARATOR = " | "  # between the labels police.uk gave one snap point, in the download


def repeat_table(result: dict[str, Any]) -> Table:
    return Table(
        ["rank", "location", "all_labels", "lat", "lon", "records", "share_of_area", "months_active", "first_month",
         "last_month"],
        [
            [r["rank"], r["location"], LABEL_SEPARATOR.join(r["labels"]), r["lat"], r["lon"], r["count"],
             round(r["share"], 4), r["months_active"], r["first_month"], r["last_month"]]
            for r in result["locations"]
        ],
    )  # fmt: skip


BASELINE_CHOICES = [
    ("seasonal", "Own history, allowing for the time of year", "The seasonal pattern of up to 36 months"),
    ("recent", "The previous 3 months", "The mean of the previous 3 published months"),
]


def alerts(
    area: Area, period: Period, type_key: str, baseline: str = alert_lib.DEFAULT_BASELINE
) -> dict[str, Any]:
    """Alerts for the period's last month, for the areas within this one, against ``baseline``."""
    return analyses.alerts_for(area, period.last_month(), type_key, baseline=baseline)


RECENT_SEPARATOR = " | "  # between the recent months, in the download


def alerts_table(result: dict[str, Any]) -> Table:
    return Table(
        ["area_code", "area", "crime_type", "month", "observed", "expected", "baseline", "previous_months",
         "probability", "p_adjusted", "method"],
        [
            [a["area"]["code"], a["area"]["name"], a["crime_type"], a["month"], a["observed"], a["expected"],
             a["baseline"], RECENT_SEPARATOR.join(f"{r['month']}: {r['observed']}" for r in a["recent_months"]),
             a["probability"], a["p_adj"], a["method"]]
            for a in result["alerts"]
        ],
    )  # fmt: skip


def latest_record_period(area: Area) -> tuple[str, str] | None:
    """The latest run of up to twelve months with records, to offer when a period has none."""
    months = months_with_records(area)
    if not months:
        return None
    first, last = spans(months)[-1]
    return max(first, add_months(last, -11)), last
