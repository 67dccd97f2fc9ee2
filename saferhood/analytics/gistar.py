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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage, signal, stats

from saferhood.analytics.fdr import bh_adjust

# Above this many window cells a direct correlation costs more than an FFT.
_DIRECT_MAX_WINDOW = 15 * 15


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
    if window.size <= _DIRECT_MAX_WINDOW:
        return ndimage.correlate(image, window, mode="constant", cval=0.0)
    out = signal.fftconvolve(image, window[::-1, ::-1], mode="same")
    # Sums of whole numbers are whole: remove the FFT's rounding.
    return np.rint(out) if integer else out


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
    y = np.asarray(counts, dtype=float)
    if y.ndim != 2:
        raise ValueError("counts must be a 2-D grid")
    m = np.ones(y.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != y.shape:
        raise ValueError("mask and counts must have the same shape")
    window = neighbour_window(distance, cell_size)
    yy = np.where(m, y, 0.0)
    n = int(m.sum())
    z = np.full(y.shape, np.nan)
    if n >= 2:
        vals = yy[m]
        mean = vals.mean()
        sd = math.sqrt(max(float(np.mean(vals * vals)) - mean * mean, 0.0))
        integer = bool(np.all(vals == np.round(vals)))
        local = _window_sum(yy, window, integer)[m]
        card = _window_sum(m.astype(float), window, True)[m]
        denom = sd * np.sqrt(np.maximum(n * card - card * card, 0.0) / (n - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            zi = np.where(denom > 0, (local - card * mean) / denom, 0.0)
        z[m] = zi
    elif n == 1:
        z[m] = 0.0
    p = np.where(np.isnan(z), np.nan, 2.0 * stats.norm.sf(np.abs(z)))
    p_adj = bh_adjust(p) if fdr else p.copy()
    classes = np.full(y.shape, "none", dtype=object)
    sig = np.nan_to_num(p_adj, nan=1.0) < alpha
    classes[sig & (z > 0)] = "hot"
    classes[sig & (z < 0)] = "cold"
    return GiStar(z=z, p=p, p_adj=p_adj, classes=classes, n_cells=n, window=window, alpha=alpha, fdr=fdr)
