"""Change in counts per grid cell between two periods, and where it is significant (pure: no Django).

Each cell is tested with the exact conditional test of :mod:`saferhood.analytics.change`: given
``n = before + after`` events, ``after ~ Binomial(n, p)`` with ``p = after_months /
(before_months + after_months)`` if the cell's underlying rate did not change (two-sided). Only
cells with at least one event are tests (a cell with none can show no change); their p-values are
adjusted by Benjamini–Hochberg across those cells unless ``fdr=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from saferhood.analytics.change import compare_counts
from saferhood.analytics.fdr import bh_adjust
from saferhood.analytics.grid import Grid, count_points

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

METHOD = (
    "exact conditional test of two Poisson counts per cell (two-sided binomial, period lengths "
    "allowed for), Benjamini-Hochberg FDR across cells with any events"
)


@dataclass(frozen=True)
class HotspotChange:
    """Per-cell arrays (ny, nx); NaN / "none" outside the mask and, for p, where no events."""

    before: np.ndarray
    after: np.ndarray
    difference: np.ndarray
    percent: np.ndarray
    p: np.ndarray
    p_adj: np.ndarray
    classes: np.ndarray
    before_months: float
    after_months: float
    n_tests: int
    alpha: float
    fdr: bool
    method: str = METHOD


def hotspot_change(
    before: Any,
    after: Any,
    mask: Any | None = None,
    *,
    before_months: float = 1,
    after_months: float = 1,
    alpha: float = 0.05,
    fdr: bool = True,
) -> HotspotChange:
    """Compare two count grids cell by cell.

    Parameters
    ----------
    before, after : array_like, shape (ny, nx)
        Whole-number counts per cell in the earlier and later period.
    mask : array_like of bool, optional
        Cells in the area; default all.
    before_months, after_months : float
        Lengths of the periods, so unequal periods compare rates.
    alpha : float
        Significance level for the classes.
    fdr : bool
        Benjamini–Hochberg across the tested cells (default).

    Returns
    -------
    HotspotChange
        ``difference = after - before`` (raw counts, not rates), ``percent`` (the change
        in the per-month rate; NaN where ``before`` is 0), ``p`` and ``p_adj``, and ``classes``: "increase" / "decrease" where
        ``p_adj < alpha`` and the after-rate is above / below the before-rate, else "none".
    """
    import numpy as np

    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("before and after must be 2-D grids of the same shape")
    if np.any(a < 0) or np.any(b < 0) or np.any(a != np.round(a)) or np.any(b != np.round(b)):
        raise ValueError("counts must be non-negative whole numbers")
    if not (before_months > 0 and after_months > 0):
        raise ValueError("period lengths must be positive")
    m = np.ones(a.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    b = np.where(m, b, np.nan)
    a = np.where(m, a, np.nan)
    tested = m & (a + b > 0)
    p = np.full(a.shape, np.nan)
    pairs = np.stack([a[tested], b[tested]], axis=1).astype(np.int64)
    if len(pairs):
        # Cells share small counts, so each distinct (after, before) pair is tested once.
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        pu = np.array(
            [
                compare_counts(
                    int(k), int(j), current_months=after_months, previous_months=before_months
                ).p_value
                for k, j in uniq
            ]
        )
        p[tested] = pu[inverse.ravel()]
    p_adj = bh_adjust(p) if fdr else p.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        # Per unit of exposure, so a 6-month period against a 3-month one is not a doubling.
        percent = np.where(b > 0, 100.0 * ((a / after_months) / (b / before_months) - 1), np.nan)
    classes = np.full(a.shape, "none", dtype=object)
    sig = np.nan_to_num(p_adj, nan=1.0) < alpha
    up = a / after_months > b / before_months
    down = a / after_months < b / before_months
    classes[sig & up] = "increase"
    classes[sig & down] = "decrease"
    return HotspotChange(
        before=b,
        after=a,
        difference=a - b,
        percent=percent,
        p=p,
        p_adj=p_adj,
        classes=classes,
        before_months=float(before_months),
        after_months=float(after_months),
        n_tests=int(tested.sum()),
        alpha=alpha,
        fdr=fdr,
    )


def _month_range(first: str, last: str) -> pd.PeriodIndex:
    import pandas as pd

    return pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")


def hotspot_change_points(
    grid: Grid,
    x: Any,
    y: Any,
    months: Any,
    *,
    split: str | None = None,
    before: tuple[str, str] | None = None,
    after: tuple[str, str] | None = None,
    alpha: float = 0.05,
    fdr: bool = True,
) -> HotspotChange:
    """Hotspot change from points with a month each (police.uk months, "YYYY-MM").

    Parameters
    ----------
    grid : Grid
    x, y : array_like
        BNG metres.
    months : array_like of str
        Each point's month.
    split : str, optional
        "YYYY-MM": before is the first month in the data up to the month before ``split``,
        after is ``split`` to the last month in the data.
    before, after : (first, last) month strings, optional
        Explicit inclusive periods (used instead of ``split``).
    alpha, fdr
        As :func:`hotspot_change`.

    Returns
    -------
    HotspotChange
        With the period lengths in months taken from the periods, not from the data.
    """
    import numpy as np
    import pandas as pd

    mon = pd.PeriodIndex(pd.Series(months).astype(str), freq="M")
    if split is not None:
        if before is not None or after is not None:
            raise ValueError("give split or before/after, not both")
        sp = pd.Period(split, "M")
        before = (str(mon.min()), str(sp - 1))
        after = (str(sp), str(mon.max()))
    if before is None or after is None:
        raise ValueError("give split or both before and after")
    b_range = _month_range(*before)
    a_range = _month_range(*after)
    if len(b_range) == 0 or len(a_range) == 0:
        raise ValueError("each period needs at least one month")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    in_b = np.asarray(mon.isin(b_range))
    in_a = np.asarray(mon.isin(a_range))
    cb = count_points(grid, x[in_b], y[in_b])
    ca = count_points(grid, x[in_a], y[in_a])
    return hotspot_change(
        cb, ca, grid.mask, before_months=len(b_range), after_months=len(a_range), alpha=alpha, fdr=fdr
    )
