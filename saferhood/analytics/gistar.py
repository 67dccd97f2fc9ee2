"""Getis-Ord Gi* hot and cold spots on a grid, by convolution (pure: no Django).

For cell ``i`` with count ``x_i``, binary weights ``w_ij = 1`` for the cells ``j`` within the
neighbour distance *including ``i`` itself*, over the ``n`` cells in the area (the mask)::

    z_i = (sum_j w_ij x_j - W_i * xbar) / (S * sqrt((n * W_i - W_i^2) / (n - 1)))

with ``W_i = sum_j w_ij``, ``xbar`` the mean and ``S`` the population standard deviation
(divisor ``n``) of the counts over the ``n`` cells (Ord & Getis 1995, eq. 3.4). This is exactly
what PySAL esda's ``G_Local(y, w, star=True, transform='B')`` returns as ``Zs`` for the same cells
and weights (esda puts weight 1 on the diagonal for a binary ``star=True``). The neighbour sums
``sum_j w_ij x_j`` and ``W_i`` are correlations of the count and mask images with the window, so
cells outside the area neither count as neighbours nor enter ``n``, ``xbar`` or ``S``.

p-values are two-sided from the standard normal, ``2 * (1 - Phi(|z|))`` (esda's ``p_norm`` is
the one-sided ``1 - Phi(|z|)``), adjusted by Benjamini–Hochberg across the area's cells unless
``fdr=False``.

Speed (issue 14: at least 500 times esda at 100k cells; benchmarks/analytics_bench.py): record
counts are whole, so the window sums are exact integer prefix-sum runs, and z, p and the BH rank
depend only on a cell's (window sum, window size) pair, of which a grid holds a few hundred:
each figure is computed once per pair and looked up for the cells. Weighted or negative counts
take the cell-by-cell path (correlation, then BH over the cells); both give the same figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from saferhood.analytics.fdr import bh_adjust

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np

# Above this many window cells a direct correlation costs more than an FFT.
_DIRECT_MAX_WINDOW = 15 * 15
# Whole counts up to this size are summed exactly in int64, even squared (the fast path).
_WHOLE_MAX = 2**31
CLASS_NAMES = ("none", "hot", "cold")


def neighbour_window(distance: float | None = None, cell_size: float = 1.0) -> np.ndarray:
    """The binary window of cells counted as neighbours (the centre cell included).

    Parameters
    ----------
    distance : float, optional
        Cells whose centres are within this distance of the cell's centre (same units as
        ``cell_size``). Default: the queen neighbours, a 3x3 window (as sfhotspot's default
        ``nb_dist = cell_size * sqrt(2)``).
    cell_size : float
        Cell side.

    Returns
    -------
    numpy.ndarray of float, square, odd side
    """
    import numpy as np

    if distance is None:
        return np.ones((3, 3))
    if not (distance >= 0 and math.isfinite(distance)):
        raise ValueError("distance must be a non-negative number")
    r = distance / cell_size
    k = int(math.floor(r + 1e-9))
    d = np.arange(-k, k + 1)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    # The tolerance keeps a centre exactly at the distance (e.g. sqrt(2) cells) a neighbour.
    return (dx * dx + dy * dy <= r * r * (1 + 1e-9)).astype(float)


def _window_sum(image: np.ndarray, window: np.ndarray, integer: bool) -> np.ndarray:
    """Sum of ``image`` over ``window`` centred on each cell (zero outside the grid)."""
    import numpy as np
    from scipy import ndimage, signal

    if window.size <= _DIRECT_MAX_WINDOW:
        return ndimage.correlate(image, window, mode="constant", cval=0.0)
    out = signal.fftconvolve(image, window[::-1, ::-1], mode="same")
    # Sums of whole numbers are whole: remove the FFT's rounding.
    return np.rint(out) if integer else out


def _row_runs(window: np.ndarray) -> np.ndarray | None:
    """Half-width of each window row when every row is a run centred on the middle column.

    True of every window :func:`neighbour_window` makes (squares and discs); -1 for an empty
    row. ``None`` for any other shape.
    """
    import numpy as np

    k = window.shape[1] // 2
    half = (window.sum(axis=1).astype(int) - 1) // 2
    cols = np.abs(np.arange(window.shape[1]) - k)
    rebuilt = (cols[None, :] <= half[:, None]).astype(window.dtype)
    return half if np.array_equal(rebuilt, window) else None


def _run_sum(image: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Exact window sums of an int64 image: row prefix sums give each row's run in two reads.

    Cost grows with the window's side, not its area, and whole numbers stay whole.
    """
    import numpy as np

    ny, nx = image.shape
    k, hmax = len(half) // 2, int(half.max())
    padded = np.zeros((ny + 2 * k, nx + 2 * hmax + 1), dtype=image.dtype)
    padded[k : k + ny, hmax + 1 : hmax + 1 + nx] = image
    prefix = np.cumsum(padded, axis=1, out=padded)
    runs = {}
    for h in {int(v) for v in half if v >= 0}:
        runs[h] = prefix[:, hmax + 1 + h : hmax + 1 + h + nx] - prefix[:, hmax - h : hmax - h + nx]
    out = np.zeros((ny, nx), dtype=image.dtype)
    for dy, h in enumerate(half.tolist()):
        if h >= 0:
            out += runs[h][dy : dy + ny]
    return out


@dataclass(frozen=True)
class GiStar:
    """Gi* results; arrays are (ny, nx) with NaN (classes: "none") outside the mask."""

    z: np.ndarray
    p: np.ndarray
    p_adj: np.ndarray
    classes: np.ndarray
    n_cells: int
    window: np.ndarray
    alpha: float
    fdr: bool
    method: str = field(
        default="Getis-Ord Gi* (cell included, binary weights), two-sided normal p, "
        "Benjamini-Hochberg FDR across the area's cells"
    )


def gistar(
    counts: Any,
    mask: Any | None = None,
    *,
    distance: float | None = None,
    cell_size: float = 1.0,
    alpha: float = 0.05,
    fdr: bool = True,
) -> GiStar:
    """Gi* z-scores, p-values and hot/cold classes per cell.

    Parameters
    ----------
    counts : array_like, shape (ny, nx)
        Counts (or weighted counts) per cell.
    mask : array_like of bool, shape (ny, nx), optional
        Cells in the area; default all.
    distance : float, optional
        Neighbour distance (see :func:`neighbour_window`); default queen (3x3).
    cell_size : float
        Cell side in the units of ``distance``.
    alpha : float
        Significance level for the classes.
    fdr : bool
        Adjust p by Benjamini–Hochberg across the area's cells (default). With ``False``
        ``p_adj`` equals ``p``.

    Returns
    -------
    GiStar
        ``z``, ``p`` (two-sided), ``p_adj``, ``classes`` ("hot" where ``p_adj < alpha`` and
        ``z > 0``, "cold" where ``z < 0``, else "none"). Where the counts do not vary, or a
        cell's window covers the whole area, z is 0 and p is 1 (esda returns NaN there).
    """
    import numpy as np

    y = np.asarray(counts, dtype=float)
    if y.ndim != 2:
        raise ValueError("counts must be a 2-D grid")
    m = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != y.shape:
        raise ValueError("mask and counts must have the same shape")
    window = neighbour_window(distance, cell_size)
    whole_area = bool(m.all())
    yy = y if whole_area else np.where(m, y, 0.0)
    n = int(np.count_nonzero(m))
    half = _row_runs(window)
    result = None
    if n >= 2 and half is not None:
        result = _gistar_whole(yy, m, whole_area, n, half, window, alpha, fdr)
    if result is None:
        result = _gistar_any(yy, m, n, window, alpha, fdr)
    z, p, p_adj, code = result
    return GiStar(
        z=z,
        p=p,
        p_adj=p_adj,
        classes=np.array(CLASS_NAMES, dtype=object)[code],
        n_cells=n,
        window=window,
        alpha=alpha,
        fdr=fdr,
    )


def _z(local: Any, card: Any, n: int, mean: float, sd: float) -> np.ndarray:
    """Gi* z from the window sums ``local`` and window sizes ``card`` (0 where no variance is left)."""
    import numpy as np

    denom = sd * np.sqrt(np.maximum(n * card - card * card, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, (local - card * mean) / denom, 0.0)


def _code(z: np.ndarray, p_adj: np.ndarray, alpha: float) -> np.ndarray:
    """Index into CLASS_NAMES: 1 hot, 2 cold, 0 neither (or outside the area)."""
    import numpy as np

    sig = np.nan_to_num(p_adj, nan=1.0) < alpha
    return (sig & (z > 0)).astype(np.int8) + 2 * (sig & (z < 0)).astype(np.int8)


def _gistar_whole(
    yy: np.ndarray,
    m: np.ndarray,
    whole_area: bool,
    n: int,
    half: np.ndarray,
    window: np.ndarray,
    alpha: float,
    fdr: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Gi* for whole, non-negative counts (record counts), or ``None`` for any other counts.

    The window sums are exact integer sums, and z, p and the BH rank depend only on a cell's
    (window sum, window size) pair, of which a grid holds few: each is computed once per pair
    and spread back to the cells, so there is no per-cell sort. Same figures as cell by cell.
    """
    import numpy as np
    from scipy import special

    top = float(yy.max())
    stride = int(window.sum()) + 1
    # Both window sums in one: local * stride + card (the sum is linear); must fit the dtype.
    largest = (top * window.size + 1) * stride
    # Beyond these sizes int64 keys or float squares would not be exact: the general path.
    if not (float(yy.min()) >= 0 and largest < 2**62 and top * top * yy.size < 2**53):
        return None
    dtype = np.int32 if largest < 2**31 else np.int64
    counts = yy.astype(dtype)
    if not np.array_equal(counts, yy):
        return None
    total = int(counts.sum(dtype=np.int64))
    mean = total / n
    squares = float(np.dot(yy.ravel(), yy.ravel()))  # exact: whole numbers below 2**53
    sd = math.sqrt(max(squares / n - mean * mean, 0.0))
    counts *= stride
    counts += m
    key = _run_sum(counts, half)
    outside = int(key.max()) + 1
    if not whole_area:
        key[~m] = outside
    key = key.ravel()
    if outside < max(8 * key.size, 1 << 16):
        # Figures are looked up by key itself: no per-cell group index to build.
        mult = np.bincount(key, minlength=outside + 1)
        present = np.flatnonzero(mult[:outside])
        mult = mult[present]
        index, size, slot = key, outside + 1, present
    else:  # very large counts: group by sorting instead
        present, index, mult = np.unique(key, return_inverse=True, return_counts=True)
        if not whole_area:
            present, mult = present[:-1], mult[:-1]  # the last key is "outside"
        size, slot = len(present) + 1, np.arange(len(present))
    local, card = np.divmod(present, stride)
    z = _z(local.astype(float), card.astype(float), n, mean, sd)
    p = 2.0 * special.ndtr(-np.abs(z))  # = 2 * norm.sf(|z|)
    if fdr:
        # Benjamini-Hochberg with each distinct p standing for ``mult`` cells: cells with equal p
        # all take the value at the group's last rank, as the cell-by-cell step-up gives them.
        order = np.argsort(p, kind="stable")
        scaled = p[order] * n / np.cumsum(mult[order])
        p_adj = np.empty_like(p)
        p_adj[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    else:
        p_adj = p
    code = _code(z, p_adj, alpha)

    # z, p and adjusted p share one block: one allocation instead of three (on a busy machine
    # each fresh block of memory costs page faults that outweigh the arithmetic here).
    out = np.empty((3, *m.shape))
    for values, target in zip((z, p, p_adj), out, strict=True):
        table = np.full(size, np.nan)
        table[slot] = values
        table.take(index, out=target.reshape(-1))
    codes = np.zeros(size, dtype=np.int8)
    codes[slot] = code
    return out[0], out[1], out[2], codes.take(index).reshape(m.shape)


def _gistar_any(
    yy: np.ndarray, m: np.ndarray, n: int, window: np.ndarray, alpha: float, fdr: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Any counts (weighted, negative): window sums by correlation, p and BH cell by cell."""
    import numpy as np
    from scipy import stats

    z = np.full(yy.shape, np.nan)
    if n >= 2:
        vals = yy[m]
        mean = vals.mean()
        sd = math.sqrt(max(float(np.mean(vals * vals)) - mean * mean, 0.0))
        integer = bool(np.all(vals == np.round(vals)))
        local = _window_sum(yy, window, integer)[m]
        card = _window_sum(m.astype(float), window, True)[m]
        z[m] = _z(local, card, n, mean, sd)
    elif n == 1:
        z[m] = 0.0
    p = np.where(np.isnan(z), np.nan, 2.0 * stats.norm.sf(np.abs(z)))
    p_adj = bh_adjust(p) if fdr else p.copy()
    return z, p, p_adj, _code(z, p_adj, alpha)
