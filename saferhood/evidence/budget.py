"""The analysis budget against the database: what a request would read and build, known before it runs.

The arithmetic is ``saferhood.analytics.budget``; this module supplies the sizes from aggregates
(a count and an extent), so an over-budget request is refused without reading one record into
memory or building one grid cell. The limits are ``settings.SAFERHOOD_ANALYSIS_BUDGET``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max, Min

from saferhood.analytics import budget
from saferhood.analytics.budget import Limits, OverBudget
from saferhood.analytics.grid import to_bng
from saferhood.areas.models import Area
from saferhood.core.months import month_range
from saferhood.crime.models import MonthlyCount
from saferhood.evidence.points import area_boundary, record_query, type_filter
from saferhood.evidence.profiles import area_filter

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.

__all__ = [
    "Limits",
    "OverBudget",
    "limits",
    "check_records",
    "check_grid_request",
    "check_alerts",
    "extent_of",
]


def limits() -> Limits:
    """The limits in force (read per request, so settings overrides apply at once)."""
    return Limits.from_mapping(getattr(settings, "SAFERHOOD_ANALYSIS_BUDGET", None))


def _lonlat_box_to_bng(
    lon0: float, lat0: float, lon1: float, lat1: float
) -> tuple[float, float, float, float]:
    """The BNG bounding box of a lon/lat box: its edges sampled, since they project to curves."""
    import numpy as np

    t = np.linspace(0.0, 1.0, 21)
    lon = np.concatenate(
        [lon0 + (lon1 - lon0) * t, np.full(21, lon1), lon0 + (lon1 - lon0) * t, np.full(21, lon0)]
    )
    lat = np.concatenate(
        [np.full(21, lat0), lat0 + (lat1 - lat0) * t, np.full(21, lat1), lat0 + (lat1 - lat0) * t]
    )
    x, y = to_bng(lon, lat)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def extent_of(area: Area, start: str, end: str, type_key: str) -> tuple[int, tuple[float, ...] | None, bool]:
    """Located records, and the extent their grid would cover, from one aggregate query.

    Returns ``(records, extent, bounded)``: the extent is the area's boundary when it has one
    (``bounded``), else the records' bounding box; None when there are no located records.
    """
    records = record_query(area, start, end, type_key)[0]
    agg = records.filter(longitude__isnull=False, latitude__isnull=False).aggregate(
        n=Count("pk"),
        lon0=Min("longitude"),
        lon1=Max("longitude"),
        lat0=Min("latitude"),
        lat1=Max("latitude"),
    )
    n = int(agg["n"] or 0)
    boundary, _ = area_boundary(area)
    if boundary is not None and not boundary.is_empty:
        return n, tuple(boundary.bounds), True
    if n == 0:
        return 0, None, False
    box = _lonlat_box_to_bng(float(agg["lon0"]), float(agg["lat0"]), float(agg["lon1"]), float(agg["lat1"]))
    return n, box, False


def check_grid_request(
    area: Area, start: str, end: str, type_key: str, cell: float | None, *, periods: int = 1
) -> None:
    """Refuse a grid analysis whose records, cells or cells × periods exceed the budget.

    Runs before any record is read: a count, an extent and arithmetic.
    """
    lim = limits()
    n, extent, bounded = extent_of(area, start, end, type_key)
    budget.check_points(n, where=area.name, limits=lim)
    if n < 2 or extent is None:
        return  # nothing to grid: the analysis answers "too few records"
    size, cells = budget.check_cells(extent, cell, bounded=bounded, where=area.name, limits=lim)
    if periods > 1:
        budget.check_cell_periods(cells, periods, size, limits=lim)


def check_records(area: Area, start: str, end: str, type_key: str) -> None:
    """Refuse an analysis of points (repeat locations) that would read too many records."""
    records = record_query(area, start, end, type_key)[0]
    n = records.filter(longitude__isnull=False, latitude__isnull=False).count()
    budget.check_points(n, where=area.name, limits=limits())


def check_alerts(
    area: Area, column: str, level: str, type_key: str, history_start: str, start: str, end: str
) -> None:
    """Refuse alerts that would run more tests (area × type series × months) than the budget."""
    rows = MonthlyCount.objects.filter(**area_filter(area), month__gte=history_start, month__lte=end)
    series = type_filter(rows, type_key).values(column, "crime_type").distinct().count()
    budget.check_tests(series, len(month_range(start, end)), level=level, limits=limits())
