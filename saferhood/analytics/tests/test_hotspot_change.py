"""Hotspot change: per-cell exact tests against scipy, on real records and by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saferhood.analytics.grid import make_grid, to_bng
from saferhood.analytics.hotspot_change import hotspot_change, hotspot_change_points

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


@pytest.fixture(scope="module")
def records():
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Month", "Longitude", "Latitude"]) for f in files]).dropna()
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    keep = (np.abs(x - np.median(x)) < 30_000) & (np.abs(y - np.median(y)) < 30_000)
    return x[keep], y[keep], df["Month"].to_numpy()[keep]


def test_by_hand():
    before = np.array([[10, 0, 3], [0, 20, 5]])
    after = np.array([[30, 0, 3], [4, 20, 1]])
    r = hotspot_change(before, after, fdr=False)
    assert r.difference.tolist() == [[20, 0, 0], [4, 0, -4]]
    assert np.isnan(r.p[0, 1]) and r.n_tests == 5
    # 30 of 40 after, p = 1/2: scipy's exact two-sided binomial test.
    assert r.p[0, 0] == pytest.approx(stats.binomtest(30, 40, 0.5).pvalue, rel=1e-12)
    assert r.classes[0, 0] == "increase"
    assert r.classes[1, 0] == "none"  # 4 vs 0: p = 0.125
    assert r.percent[0, 0] == 200.0 and np.isnan(r.percent[1, 0])


def test_unequal_periods_compare_rates():
    r = hotspot_change(np.array([[12]]), np.array([[24]]), before_months=3, after_months=6, fdr=False)
    assert r.p[0, 0] == pytest.approx(1.0) and r.classes[0, 0] == "none"
    assert r.percent[0, 0] == 0.0  # the same rate per month: no change, not "+100%"
    r = hotspot_change(np.array([[20]]), np.array([[2]]), before_months=6, after_months=6)
    assert r.classes[0, 0] == "decrease"


def test_real_records_split_at_june(records):
    x, y, months = records
    g = make_grid(points_xy=(x, y), cell_size=2_000.0)
    r = hotspot_change_points(g, x, y, months, split="2022-06")
    assert (r.before_months, r.after_months) == (5.0, 6.0)
    assert np.nansum(r.before) == (months < "2022-06").sum()
    assert np.nansum(r.after) == (months >= "2022-06").sum()
    tested = ~np.isnan(r.p)
    a, b = r.after[tested].astype(int), r.before[tested].astype(int)
    # Each cell's p is the exact binomial test of after | total with p = 6/11.
    for k in np.flatnonzero(a + b > 20)[:40]:
        want = stats.binomtest(a[k], a[k] + b[k], 6 / 11).pvalue
        assert r.p[tested][k] == pytest.approx(want, rel=1e-12)
    assert np.allclose(r.p_adj[tested], stats.false_discovery_control(r.p[tested]))
    sig = r.p_adj < 0.05
    assert ((r.classes == "increase") == (sig & (r.after / 6 > r.before / 5))).all()
    assert ((r.classes == "decrease") == (sig & (r.after / 6 < r.before / 5))).all()


def test_explicit_periods(records):
    x, y, months = records
    g = make_grid(points_xy=(x, y), cell_size=3_000.0)
    r = hotspot_change_points(g, x, y, months, before=("2022-01", "2022-03"), after=("2022-09", "2022-11"))
    assert np.nansum(r.before) == ((months >= "2022-01") & (months <= "2022-03")).sum()
    assert np.nansum(r.after) == ((months >= "2022-09") & (months <= "2022-11")).sum()
    with pytest.raises(ValueError):
        hotspot_change_points(g, x, y, months)
