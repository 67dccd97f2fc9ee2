"""Quartic KDE against a brute-force sum over every point, on real records."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saferhood.analytics.grid import make_grid, to_bng
from saferhood.analytics.kde import default_bandwidth, kde

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


def staffordshire_points():
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files]).dropna()
    return to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())


def brute_force(grid, x, y, w, h):
    cx, cy = grid.centres()
    d2 = (cx.ravel()[:, None] - x[None, :]) ** 2 + (cy.ravel()[:, None] - y[None, :]) ** 2
    k = np.where(d2 < h * h, 3.0 / (math.pi * h * h) * (1.0 - d2 / (h * h)) ** 2, 0.0)
    return (k * w[None, :]).sum(axis=1).reshape(grid.shape)


@pytest.fixture(scope="module")
def sample():
    x, y = staffordshire_points()
    rng = np.random.default_rng(20261122)
    idx = rng.choice(len(x), 4_000, replace=False)
    return x[idx], y[idx], rng.uniform(0.5, 3.0, len(idx))


@pytest.mark.parametrize("bandwidth", [None, 450.0, 1_730.0, 9_000.0])
def test_equals_brute_force_on_real_records(sample, bandwidth):
    x, y, w = sample
    # 1,370 m cells do not divide the bandwidths: points sit anywhere within cells and rings.
    g = make_grid(points_xy=(x, y), cell_size=1_370.0)
    h = bandwidth or default_bandwidth(x, y)
    got = kde(g, x, y, w, bandwidth=bandwidth)
    want = brute_force(g, x, y, w, h)
    assert want.max() > 0
    assert np.abs(got - want).max() <= 1e-9 * want.max()
    # Where the brute force is zero (no point within h) the fast one is zero too.
    assert np.all(got[want == 0] <= 1e-12 * want.max())


def test_unweighted_and_points_outside_the_grid(sample):
    x, y, _ = sample
    g = make_grid(points_xy=(x[:50], y[:50]), cell_size=900.0)
    got = kde(g, x, y, bandwidth=3_000.0)
    assert np.abs(got - brute_force(g, x, y, np.ones_like(x), 3_000.0)).max() <= 1e-9 * got.max()


def test_one_point_gives_the_kernel_and_integrates_to_one():
    g = make_grid(points_xy=([0.0, 2_000.0], [0.0, 2_000.0]), cell_size=10.0)
    got = kde(g, [1_005.0], [1_005.0], bandwidth=500.0)
    # The point is on a cell centre: K(0) = 3 / (pi h^2).
    assert got.max() == pytest.approx(3 / (math.pi * 500.0**2), rel=1e-12)
    assert got.sum() * 100.0 == pytest.approx(1.0, abs=1e-3)
    # Quartic shape: at d = h/2, K = 3/(pi h^2) * (3/4)^2.
    assert got[100 + 25, 100] == pytest.approx(3 / (math.pi * 500.0**2) * 0.5625, rel=1e-12)


def test_default_bandwidth_is_the_mass_normal_reference_rule(sample):
    x, y, _ = sample

    def nrd(v):
        # MASS::bandwidth.nrd written out: 4 * 1.06 * min(sd, IQR/1.34) * n^(-1/5).
        return 4 * 1.06 * min(np.std(v, ddof=1), stats.iqr(v) / 1.34) * len(v) ** -0.2

    assert default_bandwidth(x, y) == pytest.approx((nrd(x) + nrd(y)) / 2, rel=1e-12)
    # By hand for 1..100: sd = sqrt(100 * 101 / 12) = 29.0115 < IQR/1.34 = 36.94, so
    # 4 * 1.06 * 29.0115 * 100^-0.2 = 48.9707.
    assert default_bandwidth(np.arange(1, 101.0), np.arange(1, 101.0)) == pytest.approx(48.9707, abs=1e-4)


def test_bandwidth_adjust_multiplies_the_bandwidth(sample):
    x, y, w = sample
    g = make_grid(points_xy=(x, y), cell_size=2_000.0)
    assert np.allclose(
        kde(g, x, y, w, bandwidth=1_000, bandwidth_adjust=2.5), kde(g, x, y, w, bandwidth=2_500)
    )
    with pytest.raises(ValueError, match="^bandwidth"):
        kde(g, x, y, bandwidth=0)
    with pytest.raises(ValueError, match="^bandwidth"):
        kde(g, x[:1], y[:1])
    with pytest.raises(ValueError, match="^bandwidth"):
        kde(g, x, y, bandwidth=g.cell_size * 5_000)
