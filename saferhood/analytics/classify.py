"""Emerging hot-spot classification over a series of periods (pure: no Django).

Follows sfhotspot's ``hotspot_classify`` (Ashby), itself after Chainey's taxonomy and ArcGIS's
emerging hot spot analysis. In each period every cell gets a Gi* test
(:mod:`saferhood.analytics.gistar`); a cell is a *significant hot spot* in a period when its
adjusted p is below ``critical_p`` and z > 0 (cold: z < 0). With ``T`` periods, the last
``r = max(1, floor(recent_prop * T))`` are "recent" and the rest "older". Per cell, with
``share`` the proportion of periods in which it was a significant hot spot (``older_share`` and
``recent_share`` over the older and recent periods), the first rule that holds gives the class:

1. **new** – hot in the final period and in no earlier one (ArcGIS/Chainey "new").
2. **intensifying** – ``share >= persistent_prop`` and the Gi* z-scores rise over the periods
   (Mann–Kendall trend test, two-sided ``p < trend_p``, tau > 0).
3. **diminishing** – as intensifying with a falling trend (tau < 0).
4. **persistent** – ``share >= persistent_prop`` (sfhotspot).
5. **emerging** – ``older_share < hotspot_prop`` and ``recent_share >= recent_prop`` (sfhotspot).
6. **former** – ``older_share >= hotspot_prop`` and ``recent_share < hotspot_prop`` (sfhotspot).
7. **intermittent** (Chainey's "sporadic") – ``share >= hotspot_prop`` (sfhotspot).
8. otherwise none.

Cold spots are classified the same way with "coldspot" in the name; a cell with both a hot and
a cold class is "mixed hot/coldspot" (sfhotspot). Differences from sfhotspot, on purpose: p is
adjusted by Benjamini–Hochberg across the area's cells within each period (sfhotspot adjusts
across the periods of each cell, by its ``p_adjust_method``); the recent window has exactly
``r`` periods (sfhotspot's R indexing takes ``r + 1`` columns); "new", "intensifying" and
"diminishing" are added to name the Chainey classes sfhotspot folds into "emerging" and
"persistent".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from saferhood.analytics.gistar import gistar
from saferhood.analytics.grid import Grid, count_points

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ClassifyParams:
    """Parameters of the classification (defaults: sfhotspot's ``hotspot_classify_params``).

    Attributes
    ----------
    hotspot_prop : float
        Minimum share of periods a cell must be significant in to be any kind of hot spot.
    persistent_prop : float
        Minimum share for a persistent (or intensifying / diminishing) hot spot.
    recent_prop : float
        Share of the periods that are "recent"; also the share of recent periods needed for an
        emerging hot spot (as sfhotspot).
    critical_p : float
        Gi* adjusted-p threshold in each period.
    trend_p : float
        Mann–Kendall p threshold for intensifying / diminishing.
    fdr : bool
        Benjamini–Hochberg across cells within each period.
    """

    hotspot_prop: float = 0.1
    persistent_prop: float = 0.8
    recent_prop: float = 0.2
    critical_p: float = 0.05
    trend_p: float = 0.05
    fdr: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Classification:
    """Per-cell (ny, nx) results; ``classes`` is "none" outside the mask."""

    classes: np.ndarray
    hot_periods: np.ndarray
    cold_periods: np.ndarray
    trend_tau: np.ndarray
    trend_p: np.ndarray
    n_periods: int
    recent_periods: int
    params: ClassifyParams


def mann_kendall(series: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mann–Kendall trend test along axis 0, vectorised over the other axes.

    Parameters
    ----------
    series : array_like, shape (T, ...)

    Returns
    -------
    tau, p : numpy.ndarray
        Kendall's tau against time (``S / (T(T-1)/2)``) and the two-sided normal p with the
        continuity correction and the no-ties variance ``T(T-1)(2T+5)/18`` (Kendall 1975).
        NaN where ``T < 3``.
    """
    import numpy as np
    from scipy import stats

    x = np.asarray(series, dtype=float)
    t = x.shape[0]
    if t < 3:
        nan = np.full(x.shape[1:], np.nan)
        return nan, nan.copy()
    s = np.zeros(x.shape[1:])
    for i in range(t - 1):
        s += np.sign(x[i + 1 :] - x[i]).sum(axis=0)
    var = t * (t - 1) * (2 * t + 5) / 18.0
    zs = np.where(s > 0, (s - 1) / math.sqrt(var), np.where(s < 0, (s + 1) / math.sqrt(var), 0.0))
    return s / (t * (t - 1) / 2), 2 * stats.norm.sf(np.abs(zs))


def _one_side(sig: np.ndarray, trend_tau, trend_p, recent: int, p: ClassifyParams, word: str) -> np.ndarray:
    import numpy as np

    t = sig.shape[0]
    share = sig.mean(axis=0)
    older = sig[: t - recent].mean(axis=0)
    recent_share = sig[t - recent :].mean(axis=0)
    new = sig[-1] & ~sig[:-1].any(axis=0)
    persistent = share >= p.persistent_prop
    trending = np.nan_to_num(trend_p, nan=1.0) < p.trend_p
    # A hot spot intensifies when z rises; a cold spot when z falls (more negative).
    sign = 1.0 if word == "hotspot" else -1.0
    rising = trending & (sign * np.nan_to_num(trend_tau) > 0)
    falling = trending & (sign * np.nan_to_num(trend_tau) < 0)
    out = np.full(sig.shape[1:], "none", dtype=object)
    rules = [
        (new, "new"),
        (persistent & rising, "intensifying"),
        (persistent & falling, "diminishing"),
        (persistent, "persistent"),
        ((older < p.hotspot_prop) & (recent_share >= p.recent_prop), "emerging"),
        ((older >= p.hotspot_prop) & (recent_share < p.hotspot_prop), "former"),
        (share >= p.hotspot_prop, "intermittent"),
    ]
    # Apply in reverse so the first rule that holds wins.
    for cond, name in reversed(rules):
        out[cond] = f"{name} {word}"
    return out


def recent_periods(n_periods: int, recent_prop: float) -> int:
    """Number of recent periods: ``max(1, floor(recent_prop * n_periods))``; needs one older."""
    r = max(1, math.floor(recent_prop * n_periods + 1e-9))
    if n_periods - r < 1:
        raise ValueError("need at least one older period: use more periods or a smaller recent_prop")
    return r


def classify_series(
    z: Any, p_adj: Any, params: ClassifyParams | None = None, mask: Any | None = None
) -> Classification:
    """Classify cells from per-period Gi* z-scores and adjusted p-values.

    Parameters
    ----------
    z, p_adj : array_like, shape (T, ...)
        Per-period Gi* z and adjusted p, periods in time order (T >= 2).
    params : ClassifyParams, optional
    mask : array_like of bool, shape (...), optional
        Cells in the area.

    Returns
    -------
    Classification
    """
    import numpy as np

    params = params or ClassifyParams()
    z = np.asarray(z, dtype=float)
    p_adj = np.asarray(p_adj, dtype=float)
    if z.shape != p_adj.shape or z.ndim < 2:
        raise ValueError("z and p_adj must have the same shape (periods, ...)")
    t = z.shape[0]
    recent = recent_periods(t, params.recent_prop)
    sig = np.nan_to_num(p_adj, nan=1.0) < params.critical_p
    hot = sig & (z > 0)
    cold = sig & (z < 0)
    tau, tp = mann_kendall(np.nan_to_num(z))
    ch = _one_side(hot, tau, tp, recent, params, "hotspot")
    cc = _one_side(cold, tau, tp, recent, params, "coldspot")
    classes = np.where(ch != "none", ch, cc)
    classes[(ch != "none") & (cc != "none")] = "mixed hot/coldspot"
    classes = classes.astype(object)
    if mask is not None:
        classes[~np.asarray(mask, dtype=bool)] = "none"
    return Classification(
        classes=classes,
        hot_periods=hot.sum(axis=0),
        cold_periods=cold.sum(axis=0),
        trend_tau=tau,
        trend_p=tp,
        n_periods=t,
        recent_periods=recent,
        params=params,
    )


def hotspot_classify(
    counts: Any,
    mask: Any | None = None,
    *,
    distance: float | None = None,
    cell_size: float = 1.0,
    params: ClassifyParams | None = None,
) -> Classification:
    """Gi* in each period, then :func:`classify_series`.

    Parameters
    ----------
    counts : array_like, shape (T, ny, nx)
        Counts per cell for each period, in time order.
    mask : array_like of bool, shape (ny, nx), optional
    distance, cell_size
        Gi* neighbour distance (default queen), as :func:`saferhood.analytics.gistar.gistar`.
    params : ClassifyParams, optional

    Returns
    -------
    Classification
    """
    import numpy as np

    params = params or ClassifyParams()
    c = np.asarray(counts, dtype=float)
    if c.ndim != 3:
        raise ValueError("counts must be (periods, ny, nx)")
    results = [
        gistar(c[k], mask, distance=distance, cell_size=cell_size, alpha=params.critical_p, fdr=params.fdr)
        for k in range(c.shape[0])
    ]
    z = np.stack([r.z for r in results])
    p_adj = np.stack([r.p_adj for r in results])
    return classify_series(z, p_adj, params, mask)


def count_by_period(
    grid: Grid, x: Any, y: Any, months: Any, *, period_months: int = 1, start: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Counts per cell in consecutive periods of whole months.

    Parameters
    ----------
    grid : Grid
    x, y : array_like
        BNG metres.
    months : array_like of str
        "YYYY-MM" per point.
    period_months : int
        Months per period.
    start : str, optional
        First month of the first period; default the earliest month. A last period shorter
        than the others is dropped, so every period has the same length.

    Returns
    -------
    labels : list of str
        "YYYY-MM..YYYY-MM" per period.
    counts : numpy.ndarray, shape (T, ny, nx)
    """
    import numpy as np
    import pandas as pd

    if period_months < 1:
        raise ValueError("period_months must be at least 1")
    mon = pd.PeriodIndex(pd.Series(months).astype(str), freq="M")
    first = pd.Period(start, "M") if start else mon.min()
    idx = (mon.asi8 - first.ordinal) // period_months
    n_periods = ((mon.max() - first).n + 1) // period_months
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    labels, grids = [], []
    for k in range(n_periods):
        sel = idx == k
        labels.append(f"{first + k * period_months}..{first + (k + 1) * period_months - 1}")
        grids.append(count_points(grid, x[sel], y[sel]))
    return labels, np.stack(grids) if grids else np.zeros((0, *grid.shape))
