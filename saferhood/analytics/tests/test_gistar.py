"""Gi* against PySAL esda on real records, by hand, and BH against scipy."""

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from saferhood.analytics.fdr import bh_adjust
from saferhood.analytics.gistar import gistar, neighbour_window
from saferhood.analytics.grid import count_points, make_grid, to_bng

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


def staffordshire_points(months="2022-0[1-2]"):
    files = sorted(STREET.glob(f"{months}/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files]).dropna()
    return to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())


def esda_z(counts, mask, window):
    """esda's G_Local Zs on the in-mask cells with a libpysal W built from the same window."""
    from esda.getisord import G_Local
    from libpysal.weights import W

    rows, cols = np.nonzero(mask)
    index = -np.ones(mask.shape, dtype=int)
    index[rows, cols] = np.arange(len(rows))
    k = window.shape[0] // 2
    offsets = [(dj, di) for dj in range(-k, k + 1) for di in range(-k, k + 1) if window[dj + k, di + k]]
    neighbours = {}
    for a, (j, i) in enumerate(zip(rows, cols, strict=True)):
        nb = []
        for dj, di in offsets:
            jj, ii = j + dj, i + di
            if (dj or di) and 0 <= jj < mask.shape[0] and 0 <= ii < mask.shape[1] and index[jj, ii] >= 0:
                nb.append(int(index[jj, ii]))
        neighbours[a] = nb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands on the area's edge
        w = W(neighbours)
        g = G_Local(counts[rows, cols], w, star=True, transform="B", permutations=0)
    return rows, cols, g.Zs


@pytest.fixture(scope="module")
def real_grid():
    x, y = staffordshire_points()
    # A non-rectangular area, 60 x 60 cells of 1.1 km: a 33 km circle about the records' median
    # (the force's records also include a few far outside the county).
    area = shapely.Point(np.median(x), np.median(y)).buffer(33_000)
    g = make_grid(area, cell_size=1_100.0)
    return g, count_points(g, x, y)


@pytest.mark.parametrize("distance", [None, 2_500.0])
def test_z_equals_esda_on_real_records(real_grid, distance):
    g, counts = real_grid
    assert 40 <= g.nx <= 80 and 40 <= g.ny <= 80 and g.n_cells < g.nx * g.ny
    result = gistar(counts, g.mask, distance=distance, cell_size=g.cell_size)
    rows, cols, z = esda_z(counts, g.mask, result.window)
    assert np.abs(result.z[rows, cols] - z).max() <= 1e-9
    assert np.isnan(result.z[~g.mask]).all()
    assert result.n_cells == g.n_cells
    # Two-sided normal p; hot/cold where the BH-adjusted p is below 0.05.
    assert np.allclose(result.p[rows, cols], 2 * stats.norm.sf(np.abs(z)), rtol=1e-9, atol=1e-15)
    assert np.allclose(result.p_adj[rows, cols], stats.false_discovery_control(result.p[rows, cols]))
    hot = (result.p_adj < 0.05) & (result.z > 0)
    assert (result.classes == "hot").sum() == hot.sum() > 0


def test_by_hand_on_a_three_by_three_grid():
    counts = np.zeros((3, 3))
    counts[1, 1] = 9
    r = gistar(counts, fdr=False)
    # n = 9, mean 1, population sd 2*sqrt(2). Corner: 4 cells in its window, sum 9:
    # z = (9 - 4) / (2 sqrt 2 * sqrt((9*4 - 16) / 8)) = sqrt(5)/2.
    assert r.z[0, 0] == pytest.approx(math.sqrt(5) / 2, rel=1e-12)
    # Edge cell: 6 in window: z = (9 - 6) / (2 sqrt 2 * sqrt((54 - 36) / 8)) = 1/sqrt(2).
    assert r.z[0, 1] == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    # The centre's window is the whole area: no variance left, z reported as 0.
    assert r.z[1, 1] == 0.0 and r.p[1, 1] == 1.0
    assert (r.classes == "none").all()


def test_windows():
    assert neighbour_window().sum() == 9
    assert neighbour_window(100 * math.sqrt(2), 100).sum() == 9
    assert neighbour_window(100, 100).sum() == 5
    assert neighbour_window(250, 100).sum() == 21


@pytest.mark.parametrize("weight", [1.0, 0.37])
def test_large_window_matches_esda(real_grid, weight):
    # Whole counts take the exact run sums; weighted ones the FFT (a window over 15 x 15).
    g, counts = real_grid
    big = gistar(counts * weight, g.mask, distance=9_000.0, cell_size=g.cell_size)
    assert big.window.size > 15 * 15
    rows, cols, z = esda_z(counts * weight, g.mask, big.window)
    assert np.abs(big.z[rows, cols] - z).max() <= 1e-9


def test_bh_matches_scipy_and_ignores_nan():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, 500) ** 2
    assert np.allclose(bh_adjust(p), stats.false_discovery_control(p), rtol=1e-12)
    p2 = np.array([0.01, np.nan, 0.04, 0.03])
    assert np.allclose(bh_adjust(p2), [0.03, np.nan, 0.04, 0.04], equal_nan=True)


def assert_matches_esda_cell_by_cell(counts, mask, distance=None, cell_size=1.0):
    """z and p as esda gives them on every in-area cell, BH exactly as cell by cell, NaN outside."""
    result = gistar(counts, mask, distance=distance, cell_size=cell_size)
    rows, cols, z = esda_z(np.asarray(counts, float), mask, result.window)
    ok = np.isfinite(z)  # esda gives NaN where a window covers the whole area; we give 0
    assert np.abs(result.z[rows, cols][ok] - z[ok]).max() <= 1e-9
    assert np.allclose(result.p[rows, cols][ok], 2 * stats.norm.sf(np.abs(z[ok])), rtol=1e-9, atol=1e-15)
    assert np.array_equal(result.p_adj, bh_adjust(np.where(mask, result.p, np.nan)), equal_nan=True)
    outside = ~np.asarray(mask, bool)
    assert np.isnan(result.z[outside]).all() and np.isnan(result.p_adj[outside]).all()
    assert (result.classes[outside] == "none").all()
    hot = (result.p_adj < 0.05) & (result.z > 0)
    cold = (result.p_adj < 0.05) & (result.z < 0)
    assert np.array_equal(result.classes == "hot", hot) and np.array_equal(result.classes == "cold", cold)
    return result


@pytest.mark.parametrize("distance", [None, 1.0, 2.5, 4.0])
def test_every_edge_and_corner_of_a_whole_grid_matches_esda(distance):
    # Clustered whole counts on a small rectangle: most cells touch an edge or a corner.
    rng = np.random.default_rng(14)
    counts = rng.poisson(0.8, (9, 13)).astype(float)
    counts[:3, :4] += rng.poisson(6, (3, 4))  # a hot corner
    assert_matches_esda_cell_by_cell(counts, np.ones(counts.shape, bool), distance)


@pytest.mark.parametrize("distance", [None, 2.0, 3.2])
def test_cells_outside_the_area_are_neither_neighbours_nor_counted(distance):
    rng = np.random.default_rng(8)
    counts = rng.poisson(2.0, (20, 24)).astype(float)
    mask = rng.uniform(size=counts.shape) < 0.7
    mask[5, :] = False  # a gap right across the area
    mask[12, 3] = True  # and a cell cut off from everything
    mask[11, 2:5] = mask[13, 2:5] = mask[12, 2] = mask[12, 4] = False
    counts[~mask] = 500  # records outside the area must change nothing
    result = assert_matches_esda_cell_by_cell(counts, mask, distance)
    assert result.n_cells == mask.sum()
    if distance is None:  # the cut-off cell is its own only neighbour: z = (x - mean) / sd
        assert result.z[12, 3] == pytest.approx((counts[12, 3] - counts[mask].mean()) / counts[mask].std())


def test_weighted_and_very_large_counts_match_esda():
    rng = np.random.default_rng(5)
    counts = rng.poisson(3.0, (12, 12)).astype(float)
    mask = rng.uniform(size=counts.shape) < 0.85
    assert_matches_esda_cell_by_cell(counts * 0.25 + 0.1, mask)  # weighted: not whole
    huge = counts.copy()
    huge[4, 4] = 1e5  # whole, but too large to look figures up by window sum: grouped by sorting
    assert_matches_esda_cell_by_cell(huge, mask)
    huge[4, 4] = 3e9  # too large for exact whole sums: cell by cell
    assert_matches_esda_cell_by_cell(huge, mask)
    assert_matches_esda_cell_by_cell(counts - 2.0, mask)  # negative


def test_ties_in_p_share_the_adjusted_p_of_their_last_rank():
    # A checkerboard: every interior cell has one of two window sums, so p has few values and
    # many ties; the grouped BH must equal the cell-by-cell step-up exactly.
    counts = np.indices((30, 30)).sum(axis=0) % 2 * 3.0
    counts[:6, :6] = 7
    result = assert_matches_esda_cell_by_cell(counts, np.ones(counts.shape, bool))
    assert len(np.unique(result.p)) < 60


def test_no_variation_one_cell_and_no_cells():
    flat = gistar(np.full((4, 5), 2.0))
    assert (flat.z == 0).all() and (flat.p == 1).all() and (flat.classes == "none").all()
    one = np.zeros((4, 5), bool)
    one[1, 1] = True
    single = gistar(np.arange(20.0).reshape(4, 5), one)
    assert single.z[1, 1] == 0 and single.p[1, 1] == 1 and np.isnan(single.z[~one]).all()
    empty = gistar(np.ones((3, 3)), np.zeros((3, 3), bool))
    assert np.isnan(empty.z).all() and empty.n_cells == 0


def test_without_fdr_adjusted_p_is_p(real_grid):
    g, counts = real_grid
    result = gistar(counts, g.mask, fdr=False)
    assert np.array_equal(result.p_adj, result.p, equal_nan=True)
