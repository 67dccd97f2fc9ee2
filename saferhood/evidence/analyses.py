"""An area's spatial and temporal analyses: the stored records and counts fed to ``saferhood.analytics``.

Each function answers one API route and one part of a page. Every answer echoes the parameters
it used (defaults filled in), names its method, and states what it could not see: months answered
only by counts have no points, missing months have nothing, and police.uk points are snap points.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from saferhood.analytics import alerts as alert_lib
from saferhood.analytics import budget as budget_lib
from saferhood.analytics.change import p_value_text
from saferhood.analytics.classify import ClassifyParams, count_by_period, hotspot_classify
from saferhood.analytics.gistar import gistar
from saferhood.analytics.grid import Grid, count_points, grid_dimensions, grid_features, make_grid
from saferhood.analytics.hotspot_change import hotspot_change_points
from saferhood.analytics.kde import BANDWIDTH_RULE, default_bandwidth, kde
from saferhood.analytics.repeats import SNAP_POINT_CAVEAT, repeat_locations
from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area, AreaLevel
from saferhood.core.months import add_months, month_range
from saferhood.evidence import budget
from saferhood.evidence.coverage import coverage_for
from saferhood.evidence.period import Period
from saferhood.evidence.points import AreaPoints, area_points
from saferhood.evidence.profiles import LEVEL_COLUMN, ProfileError, count_rows, resolve_type, type_matches

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np

ALERT_METHODS = {
    "seasonal": "each area's monthly count against its own history (seasonal Poisson model with 24+ "
    "published months of the previous 36, else the mean of the previous 12 published months; negative "
    "binomial when over-dispersed); Benjamini-Hochberg false discovery rate across all tests of the run",
    "recent": "each area's monthly count against the mean of its previous 3 published months (negative "
    "binomial, its variance allowing for the over-dispersion of the previous 12 published months and for "
    "a mean of only 3 months); Benjamini-Hochberg false discovery rate across all tests of the run",
}
KDE_UNITS = "records per square kilometre over the period"

# What an analyst may ask for; the API's query schema shows the same bounds (api_analytics.py).
CELL_M = (25.0, 5000.0)
BANDWIDTH_M = (10.0, 20000.0)
BANDWIDTH_ADJUST = (0.1, 10.0)
DISTANCE_M = (10.0, 10000.0)
ALPHA = (0.0, 0.5)  # exclusive at both ends
TOP = (1, 500)
PERIOD_MONTHS = (1, 12)


OverBudget = budget_lib.OverBudget  # a request over the analysis budget: a 422 naming the fix


class AnalysisError(ValueError):
    """A parameter an analysis cannot use; ``parameter`` names it for the 422."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass
class GridParams:
    """What the analyst may set for a grid analysis (None: the documented default)."""

    cell: float | None = None  # metres
    bandwidth: float | None = None  # metres
    bandwidth_adjust: float = 1.0
    distance: float | None = None  # metres; None: queen neighbours
    alpha: float = 0.05
    fdr: bool = True

    def check(self) -> None:
        if self.cell is not None and not CELL_M[0] <= self.cell <= CELL_M[1]:
            raise AnalysisError(f"'cell': must be between 25 and 5,000 metres, not {self.cell:g}", "cell")
        if self.bandwidth is not None and not BANDWIDTH_M[0] <= self.bandwidth <= BANDWIDTH_M[1]:
            raise AnalysisError(
                f"'bandwidth': must be between 10 and 20,000 metres, not {self.bandwidth:g}", "bandwidth"
            )
        if not BANDWIDTH_ADJUST[0] <= self.bandwidth_adjust <= BANDWIDTH_ADJUST[1]:
            raise AnalysisError("'bandwidth_adjust': must be between 0.1 and 10", "bandwidth_adjust")
        if self.distance is not None and not DISTANCE_M[0] <= self.distance <= DISTANCE_M[1]:
            raise AnalysisError(
                f"'distance': must be between 10 and 10,000 metres, not {self.distance:g}", "distance"
            )
        if not ALPHA[0] < self.alpha < ALPHA[1]:
            raise AnalysisError(f"'alpha': must be above 0 and below 0.5, not {self.alpha:g}", "alpha")


def _type(type_value: str | None) -> tuple[str, str]:
    """The type filter as (key, label); the period arrives already resolved (``Period``)."""
    try:
        return resolve_type(type_value)
    except ProfileError as exc:
        raise AnalysisError(str(exc), exc.parameter) from exc


def _coverage_part(points: AreaPoints) -> dict[str, Any]:
    return {
        "records": int(len(points.records)),
        "months_with_points": points.months_with_points,
        "months_counts_only": points.months_counts_only,
        "months_missing": points.months_missing,
        "caveats": [*points.caveats, SNAP_POINT_CAVEAT],
    }


def _grid(points: AreaPoints, cell: float | None, area: Area, distance: float | None = None) -> Grid:
    """The grid over the area (or its records), refused before it is built if over budget."""
    xy = (points.records.x.to_numpy(), points.records.y.to_numpy())
    if points.boundary is not None and not points.boundary.is_empty:
        extent, bounded = tuple(points.boundary.bounds), True
    else:
        extent, bounded = (xy[0].min(), xy[1].min(), xy[0].max(), xy[1].max()), False
    limits = budget.limits()
    size, _ = budget_lib.check_cells(extent, cell, bounded=bounded, where=area.name, limits=limits)
    nx, ny = grid_dimensions(extent, size, bounded=bounded)[3:]
    budget_lib.check_window(nx, ny, size, distance, limits=limits)
    try:
        return make_grid(points.boundary, xy, cell)
    except ValueError as exc:
        raise AnalysisError(f"'cell': {exc}", "cell") from exc


def _grid_part(grid: Grid, points: AreaPoints) -> dict[str, Any]:
    return {
        "cell_size_m": grid.cell_size,
        "nx": grid.nx,
        "ny": grid.ny,
        "cells": grid.n_cells,
        "crs": "cells built in British National Grid (EPSG:27700); GeoJSON in WGS84",
        "boundary": points.boundary_note,
    }


def _empty(area: Area, parameters: dict[str, Any], points: AreaPoints, why: str) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [],
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parameters": parameters,
        "message": why,
        **_coverage_part(points),
    }


@dataclass
class HotspotGrid:
    """Hotspot arrays for one area, period and type, before they become GeoJSON or a map."""

    area: Area
    points: AreaPoints
    parameters: dict[str, Any]
    grid: Grid | None = None
    counts: np.ndarray | None = None
    density: np.ndarray | None = None  # records per km² (NaN outside the area)
    gi: Any = None

    @property
    def empty(self) -> bool:
        return self.grid is None


def hotspot_grid(area: Area, period: Period, type_value: str | None, params: GridParams) -> HotspotGrid:
    """Counts, quartic KDE and Gi* per grid cell over the area's located records."""
    import numpy as np

    start, end = period.start, period.end
    type_key, type_label = _type(type_value)
    params.check()
    budget.check_grid_request(area, start, end, type_key, params.cell)
    points = area_points(area, start, end, type_key)
    parameters = {"from": start, "to": end, "type": type_label, **asdict(params)}
    result = HotspotGrid(area, points, parameters)
    if len(points.records) < 2:
        return result
    x, y = points.records.x.to_numpy(), points.records.y.to_numpy()
    grid = _grid(points, params.cell, area, params.distance)
    counts = count_points(grid, x, y)
    bandwidth = params.bandwidth or default_bandwidth(x, y)
    rule = "set by the analyst" if params.bandwidth else BANDWIDTH_RULE
    if not bandwidth > 0:
        # Every record on one spot (police.uk snaps records to a few thousand points; a quiet
        # LSOA's month can share one): no spread to choose a bandwidth from, so one cell's width.
        bandwidth = float(grid.cell_size)
        rule = "one cell's width: every record is on one point, so there is no spread to choose from"
    distinct = len(points.records[["x", "y"]].drop_duplicates())
    budget_lib.check_kde(
        grid.nx,
        grid.ny,
        grid.cell_size,
        bandwidth * params.bandwidth_adjust,
        distinct,
        limits=budget.limits(),
    )
    try:
        density = kde(grid, x, y, bandwidth=bandwidth, bandwidth_adjust=params.bandwidth_adjust) * 1e6
    except ValueError as exc:
        raise AnalysisError(str(exc), "bandwidth") from exc
    density[~grid.mask] = np.nan
    parameters.update(
        cell=grid.cell_size,
        bandwidth=round(bandwidth * params.bandwidth_adjust, 1),
        bandwidth_rule=rule,
        neighbours="queen (the 8 cells around, and the cell itself)"
        if params.distance is None
        else f"cells within {params.distance:g} m (and the cell itself)",
    )
    result.grid, result.counts, result.density = grid, counts, density
    result.gi = gistar(
        counts,
        grid.mask,
        distance=params.distance,
        cell_size=grid.cell_size,
        alpha=params.alpha,
        fdr=params.fdr,
    )
    return result


def hotspots(area: Area, period: Period, type_value: str | None, params: GridParams) -> dict[str, Any]:
    """Counts, quartic KDE and Gi* per grid cell, as a GeoJSON FeatureCollection."""
    import numpy as np

    hs = hotspot_grid(area, period, type_value, params)
    if hs.empty:
        why = "Fewer than two located records in this period: no hotspot analysis."
        return _empty(area, hs.parameters, hs.points, why)
    grid, gi = hs.grid, hs.gi
    classes = gi.classes
    return {
        "type": "FeatureCollection",
        "features": grid_features(
            grid,
            {
                "count": hs.counts,
                "kde": np.round(hs.density, 6),
                "gi_z": gi.z,
                "p": gi.p,
                "p_adj": gi.p_adj,
                "class": classes,
            },
        ),  # fmt: skip
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parameters": hs.parameters,
        "grid": _grid_part(grid, hs.points),
        "records_in_grid": int(hs.counts[grid.mask].sum()),
        "summary": {
            "hot": int((classes[grid.mask] == "hot").sum()),
            "cold": int((classes[grid.mask] == "cold").sum()),
        },
        "method": gi.method + f"; KDE: quartic kernel, {KDE_UNITS}",
        **_coverage_part(hs.points),
    }


def hotspot_change(
    area: Area,
    period: Period,
    type_value: str | None,
    params: GridParams,
    *,
    before: Period | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """Change per cell between a period and its comparison (``before``, else ``period.comparison``),
    or either side of the month ``split``."""
    start, end = period.start, period.end
    type_key, type_label = _type(type_value)
    params.check()
    if split is not None:
        if not start < split <= end:
            raise AnalysisError(
                f"'split': must be a month after 'from' ({start}) and up to 'to' ({end})", "split"
            )
        before_period, after_period = (start, add_months(split, -1)), (split, end)
    else:
        before = before or period.comparison
        before_period, after_period = (before.start, before.end), (start, end)
    budget.check_grid_request(area, min(before_period[0], start), end, type_key, params.cell)
    points = area_points(area, min(before_period[0], start), end, type_key)
    parameters = {
        "before": {"from": before_period[0], "to": before_period[1]},
        "after": {"from": after_period[0], "to": after_period[1]},
        "type": type_label,
        "cell": params.cell,
        "alpha": params.alpha,
        "fdr": params.fdr,
    }
    frame = points.records
    if len(frame) < 2:
        return _empty(
            area, parameters, points, "Fewer than two located records in these periods: no change analysis."
        )
    grid = _grid(points, params.cell, area)
    parameters["cell"] = grid.cell_size
    change = hotspot_change_points(
        grid, frame.x.to_numpy(), frame.y.to_numpy(), frame.month.to_numpy(),
        before=before_period, after=after_period, alpha=params.alpha, fdr=params.fdr,
    )  # fmt: skip
    before_months = set(month_range(*before_period))
    blind = [
        m
        for m in points.months_counts_only + points.months_missing
        if m in before_months or m >= after_period[0]
    ]
    return {
        "type": "FeatureCollection",
        "features": grid_features(
            grid,
            {
                "before": change.before,
                "after": change.after,
                "difference": change.difference,
                "percent": change.percent,
                "p": change.p,
                "p_adj": change.p_adj,
                "class": change.classes,
            },
        ),
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parameters": parameters,
        "grid": _grid_part(grid, points),
        "summary": {
            "increase": int((change.classes[grid.mask] == "increase").sum()),
            "decrease": int((change.classes[grid.mask] == "decrease").sum()),
            "tests": change.n_tests,
        },
        "method": change.method,
        "comparable": not blind,
        **_coverage_part(points),
    }


def hotspot_classes(
    area: Area,
    period: Period,
    type_value: str | None,
    params: GridParams,
    *,
    period_months: int = 1,
    classify: ClassifyParams | None = None,
) -> dict[str, Any]:
    """Emerging-hotspot class per cell over consecutive periods (Chainey's taxonomy, as sfhotspot)."""
    import numpy as np

    start, end = period.start, period.end
    type_key, type_label = _type(type_value)
    params.check()
    if not PERIOD_MONTHS[0] <= period_months <= PERIOD_MONTHS[1]:
        raise AnalysisError("'period_months': must be between 1 and 12", "period_months")
    classify = classify or ClassifyParams(critical_p=params.alpha, fdr=params.fdr)
    periods = len(month_range(start, end)) // period_months
    budget.check_grid_request(area, start, end, type_key, params.cell, periods=periods)
    points = area_points(area, start, end, type_key)
    parameters = {"from": start, "to": end, "type": type_label, "cell": params.cell,
                  "period_months": period_months, **classify.as_dict()}  # fmt: skip
    frame = points.records
    if len(frame) < 2 or periods < 3:
        why = "Fewer than three periods" if periods < 3 else "Fewer than two located records"
        return _empty(area, parameters, points, f"{why}: no classification.")
    if points.months_counts_only or points.months_missing:
        return _empty(
            area, parameters, points,
            "Some months of this period have no points (see caveats): a classification over periods needs every "
            "period complete. Choose a period with records for every month.",
        )  # fmt: skip
    grid = _grid(points, params.cell, area, params.distance)
    parameters["cell"] = grid.cell_size
    budget_lib.check_cell_periods(grid.nx * grid.ny, periods, grid.cell_size, limits=budget.limits())
    labels, counts = count_by_period(
        grid,
        frame.x.to_numpy(),
        frame.y.to_numpy(),
        frame.month.to_numpy(),
        period_months=period_months,
        start=start,
    )
    result = hotspot_classify(
        counts, grid.mask, distance=params.distance, cell_size=grid.cell_size, params=classify
    )
    classes = result.classes
    names, totals = np.unique(classes[grid.mask], return_counts=True)
    return {
        "type": "FeatureCollection",
        "features": grid_features(
            grid,
            {
                "class": classes,
                "hot_periods": result.hot_periods,
                "cold_periods": result.cold_periods,
                "trend_tau": result.trend_tau,
                "trend_p": result.trend_p,
            },
        ),  # fmt: skip
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parameters": parameters,
        "periods": labels,
        "recent_periods": result.recent_periods,
        "grid": _grid_part(grid, points),
        "summary": {str(n): int(t) for n, t in zip(names, totals, strict=True)},
        "method": "Gi* hot and cold spots in each period (FDR within each period), then each cell's run of "
        "periods classified as new, intensifying, persistent, diminishing, emerging, former, intermittent "
        "or none (Chainey; sfhotspot hotspot_classify), trend by Mann-Kendall",
        **_coverage_part(points),
    }


def repeat_locations_for(
    area: Area,
    period: Period,
    type_value: str | None,
    *,
    top: int = 20,
    points: AreaPoints | None = None,
) -> dict[str, Any]:
    """Snap points ranked by how many of the area's records fall on them.

    ``points`` may pass in the same period's records already read (the page's hotspot map).
    """
    import pandas as pd

    start, end = period.start, period.end
    type_key, type_label = _type(type_value)
    if not TOP[0] <= top <= TOP[1]:
        raise AnalysisError("'top': must be between 1 and 500", "top")
    if points is None:
        budget.check_records(area, start, end, type_key)
        points = area_points(area, start, end, type_key)
    parameters = {"from": start, "to": end, "type": type_label, "top": top}
    ranked = repeat_locations(points.records, top=top) if len(points.records) else pd.DataFrame()
    locations = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items() if k != "caveat"}
        for row in ranked.to_dict("records")
    ]
    return {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "parameters": parameters,
        "locations": locations,
        "snap_point_caveat": SNAP_POINT_CAVEAT,
        **_coverage_part(points),
    }


def alerts_for(
    area: Area,
    period: Period,
    type_value: str | None,
    *,
    level: str | None = None,
    alpha: float = 0.05,
    baseline: str = alert_lib.DEFAULT_BASELINE,
) -> dict[str, Any]:
    """Emerging-trend alerts for the areas within ``area`` × crime type, each month of ``period`` tested.

    Counts come from the monthly count table (records and count imports alike), with each
    area's own history back 36 months; missing months are gaps the method skips. ``baseline``
    is what "expected" means (``alert_lib.BASELINES``); every alert states it in words and shows
    the previous three published months' counts beside it.
    """
    import numpy as np
    import pandas as pd

    start, end = period.start, period.end
    type_key, type_label = _type(type_value)
    if level is None:  # default: the level just below the area (towns, or wards where there are none)
        level = Area.objects.filter(parent=area).values_list("level", flat=True).first() or area.level
        if level in (AreaLevel.CSP, AreaLevel.PFA):
            level = AreaLevel.LAD  # a force area's partnerships: compare their local authorities
    column = LEVEL_COLUMN.get(level)
    if column is None:
        raise AnalysisError(f"'level': must be lsoa, ward or town, not {level!r}", "level")
    if not ALPHA[0] < alpha < ALPHA[1]:
        raise AnalysisError(f"'alpha': must be above 0 and below 0.5, not {alpha:g}", "alpha")
    if baseline not in alert_lib.BASELINES:
        raise AnalysisError(
            f"'baseline': must be {' or '.join(alert_lib.BASELINES)}, not {baseline!r}", "baseline"
        )
    history_start = add_months(start, -36)
    budget.check_alerts(area, column, level, type_key, history_start, start, end)
    cov = coverage_for(lad_codes(area), need_lsoa=level == AreaLevel.LSOA)
    months = month_range(history_start, end)
    # count_rows keeps only covered local authority-months (never a missing or partial one).
    rows = [
        r for r in count_rows(area, cov, history_start, end, column)
        if type_matches(type_key, r["crime_type"]) and r[column]
    ]  # fmt: skip
    # Each area reads only its own local authorities' covered months: a month missing or partial
    # there is a gap (NaN), never a zero, even where the rest of a force area is covered.
    lads_of: dict[str, set[str]] = {}
    for r in rows:
        lads_of.setdefault(r[column], set()).add(r["lad_code"])
    covered_of = {code: cov.months_for(sorted(lads)) for code, lads in lads_of.items()}
    covered = set().union(*covered_of.values()) if covered_of else set()
    names = dict(Area.objects.filter(code__in={r[column] for r in rows}).values_list("code", "name"))
    parameters = {"from": start, "to": end, "type": type_label, "level": level, "alpha": alpha,
                  "baseline": baseline, "history_from": history_start}  # fmt: skip
    base = {"area": {"code": area.code, "name": area.name, "level": area.level}, "parameters": parameters,
            "baseline": alert_lib.BASELINES[baseline]}  # fmt: skip
    tested = [m for m in month_range(start, end) if m in covered]
    if not rows or not tested:
        return {**base, "alerts": [], "tests": 0, "method": "", "months_missing": month_range(start, end)}
    frame = pd.DataFrame(rows)
    frame["label"] = frame[column].map(lambda c: f"{names.get(c, c)}")
    table = frame.pivot_table(index=["label", "crime_type"], columns="month", values="n", aggfunc="sum")
    table = table.reindex(columns=months)
    code_of = {f"{names.get(c, c)}": c for c in frame[column].unique()}
    loaded = np.array(
        [[m in covered_of[code_of[label]] for m in months] for label in table.index.get_level_values(0)]
    )
    table = table.fillna(0.0).where(loaded)
    table.index.names = ["area", "crime_type"]
    run = alert_lib.emerging_alerts(table.astype(float), test_months=tested, alpha=alpha, baseline=baseline)
    alerts = []
    for row in run.alerts.to_dict("records"):
        alerts.append(
            {
                "area": {"code": code_of.get(row["area"], row["area"]), "name": row["area"], "level": level},
                "crime_type": row["crime_type"],
                "month": row["month"],
                "observed": int(row["observed"]),
                "expected": round(float(row["expected"]), 2),
                "baseline": row["baseline_text"],
                "recent_months": [{"month": m, "observed": n} for m, n in row["recent_months"]],
                "probability": float(row["probability"]),
                "p_adj": float(row["p_adj"]),
                "p_value_text": p_value_text(float(row["probability"])),
                "p_adj_text": p_value_text(float(row["p_adj"])),
                "method": row["method"],
                "sentence": row["sentence"],
            }
        )
    return {
        **base,
        "alerts": alerts,
        "tests": run.n_tests,
        "method": ALERT_METHODS[baseline],
        "months_missing": [m for m in month_range(start, end) if m not in covered],
    }
