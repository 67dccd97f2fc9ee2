"""The analysis budget's arithmetic: the grid it costs is the grid make_grid builds."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from saferhood.analytics.budget import Limits, OverBudget, check_cells, grid_cells, smallest_cell
from saferhood.analytics.grid import make_grid


@pytest.mark.parametrize("cell", [None, 25.0, 100.0, 333.0])
def test_costed_cells_are_the_cells_make_grid_builds(cell) -> None:
    rng = np.random.default_rng(7)
    x, y = rng.uniform(400_000, 412_345, 500), rng.uniform(280_000, 287_654, 500)
    points_grid = make_grid(None, (x, y), cell)
    extent = (x.min(), y.min(), x.max(), y.max())
    assert grid_cells(extent, cell, bounded=False) == (points_grid.cell_size, points_grid.nx * points_grid.ny)
    area = shapely.Polygon([(400_010, 280_020), (405_000, 287_000), (411_999, 281_000)])
    area_grid = make_grid(area, None, cell)
    assert grid_cells(area.bounds, cell, bounded=True) == (area_grid.cell_size, area_grid.nx * area_grid.ny)


def test_the_smallest_cell_is_the_first_that_fits() -> None:
    extent = (400_000.0, 280_000.0, 460_000.0, 345_000.0)
    fit = smallest_cell(extent, 50_000, bounded=True)
    assert grid_cells(extent, fit, bounded=True)[1] <= 50_000 < grid_cells(extent, fit - 10, bounded=True)[1]


def test_over_the_cell_limit_names_the_cell_that_fits() -> None:
    extent = (0.0, 0.0, 10_000.0, 10_000.0)
    with pytest.raises(OverBudget) as caught:
        check_cells(extent, 25.0, bounded=True, where="Somewhere", limits=Limits(cells=10_000))
    assert str(caught.value) == (
        "'cell': 25 m cells give 160,000 cells over Somewhere; the limit is 10,000: use cell ≥ 100 m or a smaller area"
    )
    assert caught.value.parameter == "cell" and caught.value.cost == 160_000


def test_unknown_limits_in_settings_are_an_error() -> None:
    with pytest.raises(ValueError, match="unknown analysis budget limit"):
        Limits.from_mapping({"cels": 1})
