"""Analytics benchmark: Gi* and KDE speed, and Gi* against PySAL esda, to benchmarks/results/analytics.json.

Run: ``SAFERHOOD_PROFILE=dev .venv/bin/python benchmarks/analytics_bench.py``. Nothing here is a
test: the numbers are reported with the issue's targets beside them and whether each was met.
Points are the real Staffordshire 2022 street records (police.uk snap points), resampled with a
fixed seed; a second KDE run jitters every point so that no two coincide (the worst case for the
exact edge-ring sum).
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.results_file import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from saferhood.analytics.gistar import gistar  # noqa: E402
from saferhood.analytics.grid import Grid, count_points, to_bng  # noqa: E402
from saferhood.analytics.kde import default_bandwidth, kde  # noqa: E402

STREET = ROOT / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
SEED = 20261122


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Best and median seconds over ``repeat`` runs, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def _points(n: int) -> tuple[np.ndarray, np.ndarray]:
    files = sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files]).dropna()
    x, y = to_bng(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    # The county itself: the force's files also hold a few records far outside it.
    keep = (np.abs(x - np.median(x)) < 35_000) & (np.abs(y - np.median(y)) < 35_000)
    x, y = x[keep], y[keep]
    idx = np.random.default_rng(SEED).choice(len(x), n, replace=True)
    return x[idx], y[idx]


def _grid_over(x: np.ndarray, y: np.ndarray, side: int) -> Grid:
    extent = max(x.max() - x.min(), y.max() - y.min()) * (1 + 1e-9)
    cell = extent / side
    return Grid(
        x0=float(x.min()),
        y0=float(y.min()),
        cell_size=cell,
        nx=side,
        ny=side,
        mask=np.ones((side, side), bool),
    )


def bench_gistar(x: np.ndarray, y: np.ndarray) -> dict:
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    out: dict = {}
    for side in (316, 1000):
        g = _grid_over(x, y, side)
        counts = count_points(g, x, y)
        best, median, _ = _timed(lambda c=counts, m=g.mask: gistar(c, m), 7)
        out[f"{side}x{side}"] = {
            "cells": side * side,
            "seconds_best": round(best, 5),
            "seconds_median": round(median, 5),
        }
    # esda at 100k cells: the same queen weights (lat2W is libpysal's fast lattice builder).
    g = _grid_over(x, y, 316)
    counts = count_points(g, x, y)
    t0 = time.perf_counter()
    w = lat2W(316, 316, rook=False)
    weights_s = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        ref = G_Local(counts.ravel(), w, star=True, transform="B", permutations=0)
        glocal_s = time.perf_counter() - t0
    ours = out["316x316"]["seconds_best"]
    diff = float(np.abs(gistar(counts, g.mask).z.ravel() - ref.Zs).max())
    out["esda_100k"] = {
        "weights_build_seconds": round(weights_s, 4),
        "g_local_seconds": round(glocal_s, 4),
        "max_abs_z_difference": diff,
    }
    out["ratio_esda_g_local_to_ours_100k"] = round(glocal_s / ours, 1)
    out["ratio_esda_weights_plus_g_local_to_ours_100k"] = round((glocal_s + weights_s) / ours, 1)
    out["target"] = (
        "issue: Gi* >= 50x faster than esda G_Local at 100k cells (weights build not counted); 1M cells <= 1 s"
    )
    out["met"] = out["ratio_esda_g_local_to_ours_100k"] >= 50 and out["1000x1000"]["seconds_best"] <= 1.0
    return out


def bench_kde(x: np.ndarray, y: np.ndarray) -> dict:
    out: dict = {
        "bandwidth_m": round(default_bandwidth(x, y), 1),
        "bandwidth_rule": "MASS::bandwidth.nrd (see kde.py)",
    }
    rng = np.random.default_rng(SEED + 1)
    jx = x + rng.uniform(-50, 50, len(x))
    jy = y + rng.uniform(-50, 50, len(y))
    for side in (316, 1000):
        g = _grid_over(x, y, side)
        best, median, _ = _timed(lambda g=g: kde(g, x, y), 3)
        jbest, jmedian, _ = _timed(lambda g=g: kde(g, jx, jy), 3)
        out[f"{side}x{side}"] = {
            "cells": side * side,
            "cell_size_m": round(g.cell_size, 1),
            "points": len(x),
            "distinct_points": int(len(np.unique(np.stack([x, y]), axis=1).T)),
            "seconds_best": round(best, 4),
            "seconds_median": round(median, 4),
            "all_points_distinct_seconds_best": round(jbest, 4),
            "all_points_distinct_seconds_median": round(jmedian, 4),
        }
    out["target"] = "issue: KDE 1M cells x 100k points <= 2 s (both the real and the all-distinct point sets)"
    big = out["1000x1000"]
    out["met"] = big["seconds_best"] <= 2.0 and big["all_points_distinct_seconds_best"] <= 2.0
    return out


def main() -> None:
    x, y = _points(100_000)
    payload = {
        "what": "Getis-Ord Gi* (queen, cell included, BH) and quartic KDE on BNG grids, against PySAL esda",
        "points": "100,000 real Staffordshire 2022 police.uk street records (within 35 km of the median), "
        f"resampled with replacement, seed {SEED}; grids square over their extent",
        "gistar": bench_gistar(x, y),
        "kde": bench_kde(x, y),
    }
    payload["met"] = payload["gistar"]["met"] and payload["kde"]["met"]
    write_result("analytics", payload)


if __name__ == "__main__":
    main()
