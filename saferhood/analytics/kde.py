"""Quartic-kernel density at grid-cell centres, exact and fast (pure: no Django).

The kernel is the quartic (biweight) kernel, the shape sfhotspot uses (SpatialKDE's default
kernel) and ArcGIS's kernel density::

    K(d) = 3 / (pi h^2) * (1 - d^2 / h^2)^2    for d < h, else 0

Tools scale it differently; here it is normalised to integrate to 1 over the plane (in m^-2), so
the values do not depend on the cell size. The density at a cell centre is
``sum_i w_i K(d_i)``: events per square metre; times the cell area it is the expected events in
the cell.

Exact and fast at once: each point is written as its grid cell's centre plus an offset
``delta`` (|delta| <= half a cell on each axis). For a cell at integer offset ``D`` from that
centre, ``(h^2 - |D - delta|^2)^2`` is a polynomial of degree 4 in ``delta`` whose coefficients
depend only on ``D``. So over every offset where the whole source cell lies within ``h`` the sum
is ten convolutions (one per moment of ``delta``: 1, dx, dy, |d|^2, dx^2, dxdy, dy^2, |d|^4,
dx|d|^2, dy|d|^2) with ten fixed kernels, done together by FFT. Offsets where the kernel's edge
cuts through the source cell (a ring about one cell wide) are summed point by point. Nothing is
approximated: the result equals the brute-force sum up to floating-point rounding of the FFT
(relative to the largest value, about 1e-14).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from saferhood.analytics.grid import Grid

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np

# The FFT kernels are (2r+1)^2 cells; beyond this the memory, not the time, is the limit.
MAX_RADIUS_CELLS = 2_000

BANDWIDTH_RULE = (
    "normal-reference rule of MASS::bandwidth.nrd, as sfhotspot uses: for each axis "
    "4 * 1.06 * min(sd, IQR / 1.34) * n^(-1/5); the bandwidth is the mean of the x and y values "
    "(sfhotspot's R code means to do this but, through mean()'s trim argument, uses x only)"
)


def _nrd(v: np.ndarray) -> float:
    import numpy as np

    q1, q3 = np.quantile(v, [0.25, 0.75])  # numpy's default is R's type 7, as MASS uses
    sd = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
    spread = min(sd, (q3 - q1) / 1.34)
    if spread <= 0:
        # Police.uk points pile up on snap points, so the IQR can be 0; fall back to the sd.
        spread = sd
    return 4 * 1.06 * spread * len(v) ** (-1 / 5)


def default_bandwidth(x: Any, y: Any) -> float:
    """Normal-reference bandwidth in metres (see ``BANDWIDTH_RULE``).

    Parameters
    ----------
    x, y : array_like
        BNG metres; non-finite values are ignored.

    Returns
    -------
    float
        ``(nrd(x) + nrd(y)) / 2`` with ``nrd(v) = 4 * 1.06 * min(sd, IQR/1.34) * n^(-1/5)``
        (Venables & Ripley, MASS, ``bandwidth.nrd``; Silverman 1986 eq. 3.31 with the factor
        4 that converts a normal kernel's sd to the support radius used here). When the
        ``min`` is 0 (half the points on one spot) the sd alone is used; 0 if all points
        coincide.
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return 0.0
    return (_nrd(x[ok]) + _nrd(y[ok])) / 2


def _moment_kernels(radius: int, h: float) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The ten coefficient kernels over offsets where the source cell is wholly inside ``h``.

    Also returns the ring offsets (dy, dx) where the kernel's edge may cut through the cell.
    """
    import numpy as np

    d = np.arange(-radius, radius + 1, dtype=float)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    far2 = (np.abs(dx) + 0.5) ** 2 + (np.abs(dy) + 0.5) ** 2
    near2 = np.maximum(np.abs(dx) - 0.5, 0) ** 2 + np.maximum(np.abs(dy) - 0.5, 0) ** 2
    h2 = h * h
    inner = far2 <= h2
    ring = ~inner & (near2 < h2)
    a = np.where(inner, h2 - dx * dx - dy * dy, 0.0)
    z = inner.astype(float)
    # (A + 2D.delta - q)^2 expanded, in the order of the moments built in _moments.
    kernels = [
        a * a,
        4 * a * dx,
        4 * a * dy,
        -2 * a,
        4 * dx * dx * z,
        8 * dx * dy * z,
        4 * dy * dy * z,
        z,
        -4 * dx * z,
        -4 * dy * z,
    ]
    ring_dy, ring_dx = dy[ring].astype(np.int64), dx[ring].astype(np.int64)
    return kernels, ring_dy, ring_dx


def _moments(shape: tuple[int, int], flat: np.ndarray, ex: np.ndarray, ey: np.ndarray, w: np.ndarray):
    import numpy as np

    q = ex * ex + ey * ey
    size = shape[0] * shape[1]
    terms = [
        w,
        w * ex,
        w * ey,
        w * q,
        w * ex * ex,
        w * ex * ey,
        w * ey * ey,
        w * q * q,
        w * ex * q,
        w * ey * q,
    ]
    return [np.bincount(flat, weights=t, minlength=size).reshape(shape) for t in terms]


def kde(
    grid: Grid,
    x: Any,
    y: Any,
    weights: Any | None = None,
    *,
    bandwidth: float | None = None,
    bandwidth_adjust: float = 1.0,
) -> np.ndarray:
    """Quartic-kernel density at every cell centre of ``grid``.

    Parameters
    ----------
    grid : Grid
    x, y : array_like
        BNG metres. Points outside the grid still count within ``bandwidth`` of it.
    weights : array_like, optional
        One per point (default 1).
    bandwidth : float, optional
        Kernel radius ``h`` in metres; default :func:`default_bandwidth` of the points.
    bandwidth_adjust : float
        Multiplier applied to the bandwidth (as sfhotspot's ``bandwidth_adjust``).

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        Density in events per square metre (weights per m^2) at each cell centre, for every
        cell of the rectangle (mask it as needed).

    Raises
    ------
    ValueError
        Messages start with "bandwidth": not positive, more than ``MAX_RADIUS_CELLS`` cells, or
        no default possible (fewer than two distinct points).
    """
    import numpy as np
    from scipy import fft as sfft

    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w != 0)
    x, y, w = x[ok], y[ok], w[ok]
    if bandwidth is None:
        bandwidth = default_bandwidth(x, y)
        if not bandwidth > 0:
            raise ValueError("bandwidth: cannot choose one from fewer than two distinct points; give one")
    h_m = float(bandwidth) * float(bandwidth_adjust)
    if not (h_m > 0 and math.isfinite(h_m)):
        raise ValueError("bandwidth: must be a positive number of metres")
    ny, nx = grid.shape
    out = np.zeros((ny, nx))
    if len(x) == 0:
        return out
    s = grid.cell_size
    h = h_m / s  # work in cell units, so offsets between cells are integers
    radius = int(math.ceil(h + 0.5))
    if radius > MAX_RADIUS_CELLS:
        raise ValueError(
            f"bandwidth: more than {MAX_RADIUS_CELLS} cells; use larger cells or a smaller bandwidth"
        )

    gx = (x - grid.x0) / s
    gy = (y - grid.y0) / s
    bi = np.floor(gx).astype(np.int64)
    bj = np.floor(gy).astype(np.int64)
    keep = (bi >= -radius) & (bi < nx + radius) & (bj >= -radius) & (bj < ny + radius)
    gx, gy, bi, bj, w = gx[keep], gy[keep], bi[keep], bj[keep], w[keep]
    if len(gx) == 0:
        return out
    # Police.uk points share snap points: merging coincident points makes the exact ring sum cheaper.
    pts, inverse = np.unique(np.stack([gx, gy]), axis=1, return_inverse=True)
    w = np.bincount(inverse.ravel(), weights=w)
    gx, gy = pts
    bi = np.floor(gx).astype(np.int64)
    bj = np.floor(gy).astype(np.int64)
    ex = gx - (bi + 0.5)
    ey = gy - (bj + 0.5)

    pshape = (ny + 2 * radius, nx + 2 * radius)
    flat = (bj + radius) * pshape[1] + (bi + radius)
    moments = _moments(pshape, flat, ex, ey, w)
    kernels, ring_dy, ring_dx = _moment_kernels(radius, h)

    ksize = 2 * radius + 1
    fshape = (sfft.next_fast_len(pshape[0] + ksize - 1), sfft.next_fast_len(pshape[1] + ksize - 1, real=True))
    acc = None
    for m, k in zip(moments, kernels, strict=True):
        if not k.any():
            continue
        term = sfft.rfft2(m, fshape, workers=-1) * sfft.rfft2(k, fshape, workers=-1)
        acc = term if acc is None else acc + term
    if acc is not None:
        full = sfft.irfft2(acc, fshape, workers=-1)
        out += full[2 * radius : 2 * radius + ny, 2 * radius : 2 * radius + nx]

    # The ring: offsets where the kernel's edge crosses the source cell, summed exactly. The sum
    # goes to an image padded by two radii and is cropped, so no point needs a bounds check.
    m_ring = len(ring_dx)
    if m_ring:
        a_ring = h * h - (ring_dx * ring_dx + ring_dy * ring_dy).astype(float)
        rshape = (ny + 4 * radius, nx + 4 * radius)
        off = ring_dy * rshape[1] + ring_dx
        base = (bj + 2 * radius) * rshape[1] + (bi + 2 * radius)
        q = ex * ex + ey * ey
        ring_sum = np.zeros(rshape[0] * rshape[1])
        chunk = max(1, 2_000_000 // m_ring)
        for start in range(0, len(gx), chunk):
            sl = slice(start, start + chunk)
            # h^2 - |D - e|^2 = (h^2 - |D|^2) + 2 D.e - |e|^2
            r = a_ring[None, :] + 2.0 * ex[sl, None] * ring_dx[None, :]
            r += 2.0 * ey[sl, None] * ring_dy[None, :]
            r -= q[sl, None]
            np.maximum(r, 0.0, out=r)
            r *= r
            r *= w[sl, None]
            ring_sum += np.bincount(
                (base[sl, None] + off[None, :]).ravel(), weights=r.ravel(), minlength=ring_sum.size
            )
        out += ring_sum.reshape(rshape)[2 * radius : 2 * radius + ny, 2 * radius : 2 * radius + nx]
    if (w >= 0).all():
        # FFT rounding can leave -1e-13 where the density is 0.
        np.maximum(out, 0.0, out=out)
    # Back from cell units: K = 3/(pi h^2) (1 - d^2/h^2)^2 = 3/(pi h_m^2) (h^2 - d^2)^2 / h^4.
    return out * (3.0 / (math.pi * h_m * h_m) / h**4)
