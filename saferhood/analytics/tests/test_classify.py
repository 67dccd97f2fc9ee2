"""Emerging hot-spot classes on hand-built series, Mann-Kendall by hand, and a real-data run."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saferhood.analytics.classify import (
    ClassifyParams,
    classify_series,
    count_by_period,
    hotspot_classify,
    mann_kendall,
    recent_periods,
)
from saferhood.analytics.gistar import gistar
from saferhood.analytics.grid import make_grid, to_bng

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"

T = 10  # periods; the last 2 are recent with the default recent_prop 0.2


def series(hot_periods=(), cold_periods=(), z_hot=None):
    """z and adjusted p for one cell: significant (p 0.001) in the given periods, else p 0.5."""
    z = np.zeros(T) if z_hot is None else np.asarray(z_hot, dtype=float)
    p = np.full(T, 0.5)
    for k in hot_periods:
        z[k] = z[k] if z_hot is not None else 3.0 + 0.1 * (-1) ** k  # no trend
        p[k] = 0.001
    for k in cold_periods:
        z[k] = -3.0 - 0.1 * (-1) ** k
        p[k] = 0.001
    return z, p


CASES = {
    "new hotspot": series([9]),
    "persistent hotspot": series(range(1, 10)),
    "intensifying hotspot": series(range(10), z_hot=np.linspace(2.5, 7, T)),
    "diminishing hotspot": series(range(10), z_hot=np.linspace(7, 2.5, T)),
    "emerging hotspot": series([8, 9]),
    "former hotspot": series([0, 1, 2]),
    "intermittent hotspot": series([1, 4, 9]),
    "none": series(),
    "persistent coldspot": series(cold_periods=range(T)),
    "former coldspot": series(cold_periods=[2, 3]),
    "mixed hot/coldspot": series([0, 1], cold_periods=[8]),
}


def test_each_class_from_a_hand_built_series():
    names = list(CASES)
    z = np.stack([CASES[n][0] for n in names], axis=1)
    p = np.stack([CASES[n][1] for n in names], axis=1)
    result = classify_series(z, p)
    assert result.recent_periods == 2
    assert dict(zip(names, result.classes.tolist(), strict=True)) == {n: n for n in names}


def test_parameters_change_the_classes():
    z, p = series([2, 5, 8])
    # 3 of 10 periods: intermittent by default, persistent when 30% is enough.
    assert classify_series(z[:, None], p[:, None]).classes[0] == "intermittent hotspot"
    params = ClassifyParams(persistent_prop=0.3)
    assert classify_series(z[:, None], p[:, None], params).classes[0] == "persistent hotspot"
    # Less strict critical p makes p = 0.5 significant everywhere.
    loose = ClassifyParams(critical_p=0.6)
    assert classify_series(np.abs(z[:, None]) + 1, p[:, None], loose).classes[0] == "persistent hotspot"


def test_recent_periods():
    assert recent_periods(10, 0.2) == 2
    assert recent_periods(11, 0.2) == 2
    assert recent_periods(3, 0.2) == 1
    with pytest.raises(ValueError):
        recent_periods(1, 0.2)


def test_mann_kendall_by_hand_and_against_kendalls_tau():
    # Strictly rising, T = 5: S = 10, var = 5*4*15/18, Z = (10 - 1)/sqrt(var).
    tau, p = mann_kendall(np.arange(5.0))
    assert tau == 1.0
    assert p == pytest.approx(2 * stats.norm.sf(9 / math.sqrt(5 * 4 * 15 / 18)), rel=1e-12)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12, 30))
    tau, _ = mann_kendall(x)
    want = [stats.kendalltau(np.arange(12), x[:, k]).statistic for k in range(30)]
    assert np.allclose(tau, want, rtol=1e-12)


def test_real_run_on_staffordshire_months():
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Month", "Longitude", "Latitude"]) for f in files]).dropna()
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    keep = (np.abs(x - np.median(x)) < 30_000) & (np.abs(y - np.median(y)) < 30_000)
    x, y, months = x[keep], y[keep], df["Month"].to_numpy()[keep]
    g = make_grid(points_xy=(x, y), cell_size=1_500.0)
    labels, counts = count_by_period(g, x, y, months)
    assert labels[0] == "2022-01..2022-01" and len(labels) == 11
    assert counts.sum() == len(x)
    result = hotspot_classify(counts, g.mask)
    # The hot-period counts are the per-month Gi* results, recomputed independently.
    hot = sum(((r.p_adj < 0.05) & (r.z > 0)).astype(int) for r in (gistar(c, g.mask) for c in counts))
    assert np.array_equal(result.hot_periods, hot)
    persistent = result.classes == "persistent hotspot"
    # Town centres are hot every month: persistent cells exist, each hot in >= 80% of 11 months.
    assert persistent.sum() > 0
    assert (result.hot_periods[persistent] >= 9).all()
    allowed = {n for n in CASES} | {
        f"{k} {s}"
        for k in ("new", "intensifying", "diminishing", "emerging", "intermittent")
        for s in ("coldspot",)
    }
    assert set(result.classes.ravel()) <= allowed
    # Two-month periods drop the odd last month.
    labels2, counts2 = count_by_period(g, x, y, months, period_months=2)
    assert len(labels2) == 5 and counts2.sum() == (months <= "2022-10").sum()
