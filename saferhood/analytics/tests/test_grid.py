"""Grids: projection, default cell size, clipping, counting and GeoJSON cells."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from saferhood.analytics.grid import (
    cell_polygons_lonlat,
    count_points,
    default_cell_size,
    grid_features,
    make_grid,
    to_bng,
    to_lonlat,
)

ROOT = Path(__file__).resolve().parents[3]
STREET = ROOT / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


def staffordshire_points(months: str = "2022-*"):
    files = sorted(STREET.glob(f"{months}/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files]).dropna()
    return to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())


def test_library_never_imports_django():
    modules = "grid, kde, gistar, fdr, hotspot_change, classify, repeats, alerts, change"
    code = (
        f"from saferhood.analytics import {modules}; import sys; "
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_true_origin_of_the_national_grid():
    # The projection's true origin, 49N 2W, is at easting 400 000, northing -100 000 (OS definition).
    x, y = to_bng(-2.0, 49.0)
    assert float(x) == pytest.approx(400_000.0, abs=1e-3)
    assert float(y) == pytest.approx(-100_000.0, abs=1e-3)
    lon, lat = to_lonlat(x, y)
    assert float(lon) == pytest.approx(-2.0, abs=1e-9)
    assert float(lat) == pytest.approx(49.0, abs=1e-9)


@pytest.mark.parametrize(
    "width,height,expected",
    [(20_000, 12_000, 200.0), (60_000, 80_000, 1200.0), (3_000, 9_000, 60.0), (400, 400, 8.0), (30, 90, 1.0)],
)
def test_default_cell_size_is_a_fiftieth_of_the_shorter_side_rounded_down(width, height, expected):
    assert default_cell_size(width, height) == expected


def test_grid_from_points_is_aligned_and_covers_the_far_edge():
    g = make_grid(points_xy=([150.0, 1000.0], [230.0, 480.0]), cell_size=100)
    assert (g.x0, g.y0) == (100.0, 200.0)
    assert (g.nx, g.ny) == (10, 3)
    c = count_points(g, [150.0, 1000.0], [230.0, 480.0])
    assert c.sum() == 2 and c[2, 9] == 1 and c[0, 0] == 1


def test_mask_keeps_cells_sharing_area_with_the_boundary():
    circle = shapely.Point(5_000, 5_000).buffer(2_345)
    g = make_grid(circle, cell_size=500)
    expected = np.zeros(g.shape, dtype=bool)
    for j in range(g.ny):
        for i in range(g.nx):
            box = shapely.box(g.x0 + i * 500, g.y0 + j * 500, g.x0 + (i + 1) * 500, g.y0 + (j + 1) * 500)
            expected[j, i] = box.intersection(circle).area > 0
    assert np.array_equal(g.mask, expected)
    # Cells that only touch the boundary's bounding box are not in the grid at all.
    assert g.nx == 10 and g.ny == 10


def test_counts_match_an_independent_histogram_on_real_records():
    x, y = staffordshire_points("2022-0[1-3]")
    g = make_grid(points_xy=(x, y), cell_size=1_000)
    c = count_points(g, x, y)
    xe = g.x0 + np.arange(g.nx + 1) * g.cell_size
    ye = g.y0 + np.arange(g.ny + 1) * g.cell_size
    hist, _, _ = np.histogram2d(y, x, bins=[ye, xe])
    assert np.array_equal(c, hist)
    assert c.sum() == len(x)


def test_weights_and_points_outside_and_the_mask():
    square = shapely.box(0, 0, 300, 300)
    g = make_grid(square, cell_size=100)
    c = count_points(g, [50, 50, 250, 999, np.nan], [50, 50, 150, 50, 1], weights=[2.0, 0.5, 1.0, 7.0, 1.0])
    assert c[0, 0] == 2.5 and c[1, 2] == 1.0 and c.sum() == 3.5


def test_geojson_cells_are_the_bng_squares():
    square = shapely.box(400_000, 300_000, 400_300, 300_200)
    g = make_grid(square, cell_size=100)
    cells = cell_polygons_lonlat(g)
    assert len(cells["row"]) == g.n_cells == 6
    ring = cells["rings"][0]
    x, y = to_bng(ring[:, 0], ring[:, 1])
    # Corners round-trip to the cell's corners (6 decimals of a degree is about 0.1 m).
    assert np.allclose(x, [400_000, 400_100, 400_100, 400_000, 400_000], atol=0.2)
    assert np.allclose(y, [300_000, 300_000, 300_100, 300_100, 300_000], atol=0.2)
    values = np.arange(6, dtype=float).reshape(2, 3)
    values[1, 2] = np.nan
    feats = grid_features(g, {"count": values})
    assert feats[0]["properties"] == {"row": 0, "col": 0, "count": 0.0}
    assert feats[-1]["properties"]["count"] is None
    assert feats[0]["geometry"]["type"] == "Polygon"
