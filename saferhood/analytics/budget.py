"""What an analysis will cost, worked out before it runs (pure: no Django).

Every grid analysis is arrays over the grid's rectangle, convolutions over that rectangle padded
by the kernel or neighbour window, and one GeoJSON feature per cell; alerts are one test per
series and month. Each cost below is the size that drives time and memory, so a request can be
refused with a 422 that says what to change, before a record is read or a grid is built.

Limits were measured on a 2-core machine: at the defaults the worst request allowed takes a few
seconds and a few hundred MB (see docs/adr/0004-public-area-data.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from saferhood.analytics.grid import grid_dimensions


@dataclass(frozen=True)
class Limits:
    """The most an analysis may cost; see each check for what is counted."""

    cells: int = 50_000  # grid rectangle cells (nx × ny): arrays, mask, one GeoJSON feature per cell
    points: int = 250_000  # located records read into memory for one analysis
    convolution_cells: int = 4_000_000  # KDE or Gi* window: the grid padded by the kernel, per FFT
    kde_ring: int = 50_000_000  # KDE exact edge sum: distinct points × cells on the kernel's edge
    cell_periods: int = 1_000_000  # hotspot classes: cells × periods (a Gi* and a trend per cell)
    tests: int = 30_000  # alerts: series (area × crime type) × months tested

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Limits:
        """Limits from a settings dict; keys left out keep their defaults."""
        values = values or {}
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown analysis budget limit(s): {', '.join(sorted(unknown))}")
        return cls(**{k: int(v) for k, v in values.items()})


class OverBudget(ValueError):
    """A request that would cost more than a limit; the message names the parameter and the fix."""

    def __init__(self, message: str, parameter: str, *, cost: int, limit: int) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.cost = cost
        self.limit = limit


def _n(value: float) -> str:
    return f"{value:,.0f}"


def grid_cells(
    extent: tuple[float, float, float, float], cell: float | None, *, bounded: bool
) -> tuple[float, int]:
    """The cell size (default filled in) and the number of cells of the grid's rectangle."""
    size, _, _, nx, ny = grid_dimensions(extent, cell, bounded=bounded)
    return size, nx * ny


def smallest_cell(extent: tuple[float, float, float, float], limit: int, *, bounded: bool) -> float:
    """The smallest whole-10 m cell size whose grid over ``extent`` has at most ``limit`` cells."""
    xmin, ymin, xmax, ymax = extent
    area = max(xmax - xmin, 1.0) * max(ymax - ymin, 1.0)
    size = max(10.0, math.ceil(math.sqrt(area / max(limit, 1)) / 10) * 10)
    while grid_cells(extent, size, bounded=bounded)[1] > limit:
        size += 10.0
    return size


def check_cells(
    extent: tuple[float, float, float, float],
    cell: float | None,
    *,
    bounded: bool,
    where: str,
    limits: Limits,
) -> tuple[float, int]:
    """Cell size and cell count of the grid over ``extent``; OverBudget above ``limits.cells``."""
    size, cells = grid_cells(extent, cell, bounded=bounded)
    if cells > limits.cells:
        fit = smallest_cell(extent, limits.cells, bounded=bounded)
        raise OverBudget(
            f"'cell': {size:g} m cells give {_n(cells)} cells over {where}; the limit is "
            f"{_n(limits.cells)}: use cell ≥ {fit:g} m or a smaller area",
            "cell",
            cost=cells,
            limit=limits.cells,
        )
    return size, cells


def check_points(points: int, *, where: str, limits: Limits) -> None:
    """OverBudget when more located records than ``limits.points`` would be read."""
    if points > limits.points:
        raise OverBudget(
            f"'from': this period has {_n(points)} located records in {where}; the limit is "
            f"{_n(limits.points)}: choose a shorter period, one crime type, or a smaller area",
            "from",
            cost=points,
            limit=limits.points,
        )


def kde_radius_cells(bandwidth: float, cell: float) -> int:
    """The kernel's reach in cells, as :func:`saferhood.analytics.kde.kde` pads the grid."""
    return int(math.ceil(bandwidth / cell + 0.5))


def check_kde(
    nx: int, ny: int, cell: float, bandwidth: float, distinct_points: int, *, limits: Limits
) -> None:
    """OverBudget when the KDE's padded FFT grid or its exact edge sum is too large.

    ``bandwidth`` is the kernel radius in metres after any adjustment.
    """
    r = kde_radius_cells(bandwidth, cell)
    padded = (nx + 4 * r) * (ny + 4 * r)
    # Cells a kernel edge can cut: an annulus one cell-diagonal wide around the radius.
    ring = math.ceil(2 * math.pi * (bandwidth / cell + 1) * math.sqrt(2))
    fix = "use a smaller bandwidth or larger cells"
    if padded > limits.convolution_cells:
        raise OverBudget(
            f"'bandwidth': a {bandwidth:,.0f} m kernel over {cell:g} m cells needs {_n(padded)} cells; the "
            f"limit is {_n(limits.convolution_cells)}: {fix}",
            "bandwidth",
            cost=padded,
            limit=limits.convolution_cells,
        )
    if distinct_points * ring > limits.kde_ring:
        raise OverBudget(
            f"'bandwidth': a {bandwidth:,.0f} m kernel over {cell:g} m cells and {_n(distinct_points)} "
            f"distinct points needs {_n(distinct_points * ring)} exact edge terms; the limit is "
            f"{_n(limits.kde_ring)}: {fix}, or a shorter period",
            "bandwidth",
            cost=distinct_points * ring,
            limit=limits.kde_ring,
        )


def check_window(nx: int, ny: int, cell: float, distance: float | None, *, limits: Limits) -> None:
    """OverBudget when the Gi* neighbour window, padded around the grid, is too large."""
    if distance is None:
        return
    k = int(math.floor(distance / cell + 1e-9))
    padded = (nx + 2 * k) * (ny + 2 * k)
    if padded > limits.convolution_cells:
        raise OverBudget(
            f"'distance': neighbours within {distance:,.0f} m over {cell:g} m cells need {_n(padded)} cells; "
            f"the limit is {_n(limits.convolution_cells)}: use a smaller distance or larger cells",
            "distance",
            cost=padded,
            limit=limits.convolution_cells,
        )


def check_cell_periods(cells: int, periods: int, cell: float, *, limits: Limits) -> None:
    """OverBudget when cells × periods (one Gi* per period, a trend per cell) is too large."""
    cost = cells * periods
    if cost > limits.cell_periods:
        most = max(limits.cell_periods // max(cells, 1), 0)
        raise OverBudget(
            f"'period_months': {_n(periods)} periods × {_n(cells)} cells of {cell:g} m is {_n(cost)} "
            f"cell-periods; the limit is {_n(limits.cell_periods)}: use at most {_n(most)} periods "
            "(longer period_months or a shorter period), larger cells or a smaller area",
            "period_months",
            cost=cost,
            limit=limits.cell_periods,
        )


def check_tests(series: int, months: int, *, level: str, limits: Limits) -> None:
    """OverBudget when alerts would run more than ``limits.tests`` tests (series × months)."""
    cost = series * months
    if cost > limits.tests:
        raise OverBudget(
            f"'level': {_n(series)} {level} × crime type series over {months} month(s) is {_n(cost)} tests; "
            f"the limit is {_n(limits.tests)}: test fewer months, one crime type, or a higher level "
            "(ward or town rather than lsoa)",
            "level",
            cost=cost,
            limit=limits.tests,
        )
