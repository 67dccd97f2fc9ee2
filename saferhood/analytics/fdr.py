"""Benjamini–Hochberg false discovery rate adjustment (pure: no Django)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np


def bh_adjust(p: Any) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values ("q-values"), any array shape.

    Parameters
    ----------
    p : array_like
        p-values. NaN entries are not tests: they stay NaN and do not count in ``m``.

    Returns
    -------
    numpy.ndarray
        Same shape: ``min(1, min_{j >= i} p_(j) * m / j)`` for the i-th smallest p. Rejecting
        where the adjusted p is below ``alpha`` keeps the expected share of false alarms among
        the flagged at most ``alpha`` (Benjamini & Hochberg 1995); equals R's
        ``p.adjust(method="BH")`` and ``scipy.stats.false_discovery_control``.
    """
    import numpy as np

    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = ~np.isnan(flat)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = flat[ok]
    order = np.argsort(vals, kind="stable")
    scaled = vals[order] * m / np.arange(1, m + 1)
    # Step-up: each adjusted p is the smallest scaled value at or above its rank.
    adj = np.minimum.accumulate(scaled[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out_flat = out.ravel()
    out_flat[ok] = res
    return out_flat.reshape(p.shape)
