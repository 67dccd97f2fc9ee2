"""Evidence for deployable CCTV: score candidate sites, and evaluate a deployment before/during/after.

Pure: arrays in, numbers out (no Django). Coordinates are British National Grid metres.

Scoring. A site's score is the weighted count of incidents within ``radius`` metres over the
recent months, ``sum(weight[type])`` (default weight 1; a partnership can weight violence or ASB
higher). Sites are ranked by score, ties by the unweighted count.

Evaluation. For a deployment from ``start`` to ``end`` (months, inclusive), the incidents within
the radius are counted for the deployment months and for periods of the same length just before
and just after it; the change during against before is tested with the exact conditional
(binomial) test of two Poisson counts in ``change.py``, with the periods' days as exposure (three
months from May hold 92 days, the three before 89), and the change is stated per day. The counts
within a radius are small, so the exact test is used rather than a dispersion-adjusted one. A fall inside the radius may have moved
elsewhere (displacement) rather than stopped: the result says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from saferhood.analytics.change import compare_counts

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DISPLACEMENT_CAVEAT = (
    "Counts inside the radius only: crime may have moved to nearby streets (displacement) or fallen "
    "there too (diffusion of benefit); neither is measured here."
)


TEST_NAME = (
    "exact conditional test of two Poisson counts with the periods' days as exposure "
    "(two-sided binomial test), alpha 0.05; change stated per day"
)


def within(site_x: float, site_y: float, x: Any, y: Any, radius: float) -> np.ndarray:
    """Which points lie within ``radius`` metres of the site (on the boundary counts as within)."""
    import numpy as np

    dx = np.asarray(x, dtype=float) - site_x
    dy = np.asarray(y, dtype=float) - site_y
    return dx * dx + dy * dy <= radius * radius


def score_sites(
    sites: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    radius: float = 200.0,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Rank candidate sites by the weighted incidents around them.

    Parameters
    ----------
    sites : DataFrame with columns ``x``, ``y`` (and any others, kept)
    incidents : DataFrame with columns ``x``, ``y``, ``crime_type`` — already limited to the
        months that count (the caller chooses them)
    radius : metres
    weights : crime type → weight; types not named weigh 1

    Returns
    -------
    DataFrame
        ``sites`` plus ``incidents`` (count within the radius), ``score`` (weighted) and ``rank``
        (1 = strongest evidence), sorted by rank.
    """
    import numpy as np

    if radius <= 0:
        raise ValueError("radius must be positive")
    weights = weights or {}
    w = incidents["crime_type"].map(lambda t: weights.get(t, 1.0)).to_numpy(dtype=float)
    counts, scores = [], []
    for sx, sy in zip(sites["x"].to_numpy(float), sites["y"].to_numpy(float), strict=True):
        near = within(sx, sy, incidents["x"], incidents["y"], radius)
        counts.append(int(near.sum()))
        scores.append(float(w[near].sum()))
    out = sites.copy()
    out["incidents"] = counts
    out["score"] = scores
    out = out.sort_values(["score", "incidents"], ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


@dataclass(frozen=True)
class Evaluation:
    """Counts within the radius before, during and after a deployment, and the change test."""

    months: int
    before: tuple[str, str]
    during: tuple[str, str]
    after: tuple[str, str]
    count_before: int | None  # None: some month of the period has no located records
    count_during: int | None
    count_after: int | None  # None while the after period has not finished (or lacks records)
    change_percent: float | None
    p_value: float | None
    significant: bool | None
    after_finished: bool = True
    days_before: int | None = None
    days_during: int | None = None
    caveat: str = DISPLACEMENT_CAVEAT
    test: str = TEST_NAME


def _shift(month: str, n: int) -> str:
    import pandas as pd

    return str(pd.Period(month, "M") + n)


def _days(period: tuple[str, str]) -> int:
    import numpy as np
    import pandas as pd

    return int(np.sum(pd.period_range(period[0], period[1], freq="M").days_in_month))


def evaluate_deployment(
    site_x: float,
    site_y: float,
    incidents: pd.DataFrame,
    *,
    start: str,
    end: str,
    radius: float = 200.0,
    latest_month: str | None = None,
    available: Collection[str] | None = None,
) -> Evaluation:
    """Before/during/after counts within ``radius`` for equal periods around a deployment.

    Parameters
    ----------
    site_x, site_y : the camera's position, BNG metres
    incidents : DataFrame with ``x``, ``y``, ``month`` ("YYYY-MM")
    start, end : first and last month of the deployment (inclusive)
    radius : metres
    latest_month : the last month with data; an after period that has not finished by then is
        left out (None), never counted as zero
    available : the months that have located records (None: every month up to ``latest_month``).
        A period with any month outside it has no count (None): a month loaded only as counts
        per area has no points, and counting it as nothing would fake a fall.

    Returns
    -------
    Evaluation
        The three periods and their counts; the change during against before, tested with the
        exact conditional test, when both counts are known and not both zero.
    """
    import pandas as pd

    n = pd.Period(end, "M").ordinal - pd.Period(start, "M").ordinal + 1
    if n < 1:
        raise ValueError("end is before start")
    if radius <= 0:
        raise ValueError("radius must be positive")
    if available is not None:
        available = set(available)
        if latest_month is None and available:
            latest_month = max(available)
    before = (_shift(start, -n), _shift(start, -1))
    during = (start, end)
    after = (_shift(end, 1), _shift(end, n))
    near = incidents[within(site_x, site_y, incidents["x"], incidents["y"], radius)]
    months = near["month"].astype(str)

    def count(period: tuple[str, str]) -> int | None:
        if latest_month is not None and latest_month < period[1]:
            return None
        if available is not None:
            wanted = pd.period_range(period[0], period[1], freq="M").astype(str)
            if not set(wanted) <= available:
                return None
        return int(((months >= period[0]) & (months <= period[1])).sum())

    after_finished = latest_month is not None and latest_month >= after[1]
    c_before, c_during = count(before), count(during)
    c_after = count(after) if after_finished else None
    known = c_before is not None and c_during is not None and c_before + c_during > 0
    days_before, days_during = _days(before), _days(during)
    test = (
        compare_counts(c_during, c_before, current_months=days_during, previous_months=days_before)
        if known
        else None
    )
    return Evaluation(
        months=n,
        before=before,
        during=during,
        after=after,
        count_before=c_before,
        count_during=c_during,
        count_after=c_after,
        change_percent=None if test is None else test.percent,
        p_value=None if test is None else test.p_value,
        significant=None if test is None else test.significant,
        after_finished=after_finished,
        days_before=days_before,
        days_during=days_during,
    )
