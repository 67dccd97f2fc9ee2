"""Emerging-trend alerts: months improbably high for an area and crime type (pure: no Django).

For each area x crime type and each month tested, the expected count comes from the area's own
earlier months only (months with no published data are gaps, skipped, never zeros):

* **Seasonal** – when at least ``seasonal_min`` (24) of the previous 36 months are published and
  the tested calendar month appears at least twice among them: a Poisson log-linear model
  ``log mu_t = a + b t + g[month of year]`` fitted by maximum likelihood (IRLS) to those months,
  predicted for the tested month (the usual seasonal baseline, as in Farrington et al. 1996
  without the reweighting).
* **Recent mean** – otherwise (or when that model has no finite fit, e.g. a calendar month with
  only zeros), when at least ``min_history`` (6) earlier months are published:
  the mean of the last ``k`` (12) published months.
* Fewer than ``min_history`` months: not tested.

That is the default ``baseline="seasonal"``. With ``baseline="recent"`` the expected count is the
mean of the previous ``recent_k`` (3) published months instead, so a month is judged against what
the area has just been recording ("12 against 3.4 expected" is not read without "January and
February were 12 too"). Three months estimate the mean loosely, so the test allows for it: the
variance is ``phi * mu * (1 + 1 / recent_k)``, with ``phi`` the dispersion of the previous ``k``
published months (the count of a new month less the mean of ``recent_k`` others varies by
``mu + mu / recent_k`` under Poisson). ``min_history`` published months are still needed.

Whatever the baseline, every test carries the previous ``recent_k`` published months' observed
counts (``recent_months``) and its baseline in words (``baseline_text``), so an alert is never
read without them.

The probability is the upper tail ``P(X >= observed)`` under Poisson with that mean or, when the
history is over-dispersed (variance above the mean: Pearson dispersion ``phi > 1`` for the model,
sample variance above the mean for the recent mean), under the negative binomial with the same
mean and that variance (``size = mu / (phi - 1)``, resp. ``mean^2 / (var - mean)``), which is
more cautious. A zero expected count is floored at half an event over the history
(``0.5 / months``) so one event after a quiet year is not "impossible".

False alarms are controlled across all the tests of a run (every area x type x month tested):
Benjamini–Hochberg at ``alpha`` (0.05), so of the months flagged, on average at most 5% are
chance. A month is flagged when its adjusted p is below ``alpha`` and it has at least
``min_observed`` (5) records, so one or two records never make an alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from saferhood.analytics.fdr import bh_adjust

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SEASONAL = "seasonal Poisson model (trend + month of year) on the previous 36 months"
RECENT = "mean of the previous {k} published months"
RECENT_MONTHS = "mean of the previous {k} published months ({months})"

BASELINES = {
    "seasonal": "the area's own history allowing for the time of year (a seasonal Poisson model on 24 or "
    "more of the previous 36 months, else the mean of the previous 12 published months)",
    "recent": "the mean of the previous 3 published months",
}
DEFAULT_BASELINE = "seasonal"
RECENT_K = 3


@dataclass(frozen=True)
class AlertRun:
    """The alerts (a DataFrame, most improbable first), every test, and the run's settings."""

    alerts: pd.DataFrame
    tests: pd.DataFrame
    n_tests: int
    alpha: float
    params: dict[str, Any]


def monthly_counts(
    records: pd.DataFrame,
    *,
    area: str = "area",
    crime_type: str = "crime_type",
    month: str = "month",
    months: list[str] | None = None,
) -> pd.DataFrame:
    """Counts per area x crime type x month, as a wide table with gaps as NaN.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per record.
    area, crime_type, month : str
        Column names ("YYYY-MM" months).
    months : list of str, optional
        The months for which data were published. Default: the months present in ``records``.
        Other months in the range are gaps (NaN); published months with no record of a type in
        an area are 0.

    Returns
    -------
    pandas.DataFrame
        Index (area, crime_type), one column per calendar month "YYYY-MM" from the first to the
        last, in order.
    """
    import pandas as pd

    # A record with no area or type cannot be placed in a series.
    df = records[[area, crime_type, month]].dropna().astype(str)
    published = sorted(set(months) if months is not None else set(df[month]))
    table = df.groupby([area, crime_type, month]).size().unstack(month)
    table.index.names = ["area", "crime_type"]
    full = [str(p) for p in pd.period_range(published[0], published[-1], freq="M")]
    table = table.reindex(columns=full)
    pub = [m for m in full if m in set(published)]
    table[pub] = table[pub].fillna(0.0)
    return table.astype(float)


def _poisson_irls(x: np.ndarray, ys: np.ndarray, iters: int = 50) -> list[np.ndarray | None]:
    """Poisson log-linear fits by IRLS of several series sharing one design ``x`` (n, p).

    ``ys`` is (B, n). Each series stops when its own update is below 1e-10, exactly as a fit of
    that series alone would; a series whose fit breaks down (singular, non-finite, or not
    converged within ``iters`` steps) gets None.
    """
    import numpy as np

    b, p = ys.shape[0], x.shape[1]
    beta = np.zeros((b, p))
    beta[:, 0] = np.log(np.maximum(ys.mean(axis=1), 1e-3))
    result: list[np.ndarray | None] = [None] * b
    active = np.arange(b)
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)  # row n: x_n x_n'

    for _ in range(iters):
        eta = np.clip(beta[active] @ x.T, -30, 30)  # (A, n)
        mu = np.exp(eta)
        zw = eta + (ys[active] - mu) / mu
        xtwx = (mu @ outer).reshape(-1, p, p)  # X'WX for every series in one BLAS product
        xtwz = (mu * zw) @ x
        try:
            new = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
        except np.linalg.LinAlgError:  # one singular system: solve them one by one
            new = np.full_like(xtwz, np.nan)
            for i in range(len(active)):
                try:
                    new[i] = np.linalg.solve(xtwx[i], xtwz[i])
                except np.linalg.LinAlgError:
                    pass  # stays NaN: no fit
        broken = ~np.all(np.isfinite(new), axis=1)
        done = ~broken & (np.max(np.abs(new - beta[active]), axis=1) < 1e-10)
        for i in np.flatnonzero(done):
            result[active[i]] = new[i]
        keep = ~broken & ~done
        beta[active[keep]] = new[keep]
        active = active[keep]
        if not len(active):
            break
    # Still moving after ``iters`` steps: the likelihood has no finite maximum (a calendar month
    # with only zeros drifts to -inf, a lone burst to +inf), so such a series gets no seasonal fit
    # and the caller uses the recent mean instead.
    return result


def _seasonal_design(ordinals: np.ndarray, target: int) -> np.ndarray | None:
    """Intercept, trend (years, 0 at the tested month) and month-of-year dummies; None if unusable.

    The tested calendar month is the baseline level, so the prediction is exp(intercept).
    """
    import numpy as np

    moy = ordinals % 12
    tm = target % 12
    if (moy == tm).sum() < 2:
        return None
    others = sorted(set(moy.tolist()) - {tm})
    t = (ordinals - target) / 12.0
    return np.column_stack([np.ones(len(ordinals)), t, *[(moy == m).astype(float) for m in others]])


def _seasonal_expected(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> tuple[float, float]:
    """Expected count and Pearson dispersion (1 = Poisson) of one fitted series."""
    import numpy as np

    mu_fit = np.exp(np.clip(x @ beta, -30, 30))
    dof = len(y) - x.shape[1]
    phi = float(((y - mu_fit) ** 2 / mu_fit).sum() / dof) if dof > 0 else 1.0
    phi = 1.0 if phi <= 1.0 + 1e-9 else phi
    return float(math.exp(beta[0])), phi


def _recent_expected(values: np.ndarray, k: int, min_history: int) -> tuple[float, float, str, int] | None:
    import numpy as np

    recent = values[~np.isnan(values)][-k:]
    if len(recent) < min_history:
        return None
    mean = float(recent.mean())
    var = float(recent.var(ddof=1))
    phi = var / mean if mean > 0 else 1.0
    # Equal variance and mean is Poisson; rounding must not tip it into the other family.
    phi = 1.0 if phi <= 1.0 + 1e-9 else phi
    return mean, phi, RECENT.format(k=len(recent)), int(len(recent))


def _recent_baseline(
    values: np.ndarray, recent_k: int, k: int, min_history: int
) -> tuple[float, float, str, int] | None:
    """Mean of the last ``recent_k`` published months, dispersion allowing for that mean's error."""
    import numpy as np

    published = values[~np.isnan(values)]
    if len(published) < min_history:
        return None
    recent = published[-recent_k:]
    mean = float(recent.mean())
    spread = published[-k:]
    phi = float(spread.var(ddof=1)) / float(spread.mean()) if spread.mean() > 0 else 1.0
    return mean, max(phi, 1.0) * (1.0 + 1.0 / len(recent)), RECENT_MONTHS, int(len(recent))


def _expected_all(
    tasks: list[tuple[np.ndarray, np.ndarray, int]], k: int, min_history: int, seasonal_min: int
) -> list[tuple[float, float, str, int] | None]:
    """Expected count, dispersion, method text and months used for each task; None if untestable.

    A task is (earlier counts with NaN gaps, their month ordinals — months since 1970-01 — and
    the tested month's ordinal). Seasonal fits that share a design (the same published months
    before the same tested month: every area of one local authority) are fitted together.
    """
    import numpy as np

    out: list[tuple[float, float, str, int] | None] = [None] * len(tasks)
    groups: dict[tuple[int, bytes], list[int]] = {}
    designs: dict[tuple[int, bytes], np.ndarray | None] = {}
    for i, (values, ordinals, target) in enumerate(tasks):
        win = ~np.isnan(values) & (ordinals >= target - 36)
        key = (target, win.tobytes())
        if key not in designs:
            designs[key] = _seasonal_design(ordinals[win], target) if win.sum() >= seasonal_min else None
        if designs[key] is not None:
            groups.setdefault(key, []).append(i)
        else:
            out[i] = _recent_expected(values, k, min_history)
    for key, members in groups.items():
        target = key[0]
        values0, ordinals0, _t = tasks[members[0]]
        win = ~np.isnan(values0) & (ordinals0 >= target - 36)
        x = designs[key]
        ys = np.stack([tasks[i][0][win] for i in members])
        for i, y, beta in zip(members, ys, _poisson_irls(x, ys), strict=True):
            if beta is None:
                out[i] = _recent_expected(tasks[i][0], k, min_history)
            else:
                mu, phi = _seasonal_expected(x, y, beta)
                out[i] = (mu, phi, SEASONAL, int(len(y)))
    return out


def upper_tail(observed: Any, expected: Any, dispersion: Any = 1.0) -> np.ndarray | float:
    """``P(X >= observed)``: Poisson(expected), or where ``dispersion > 1`` the negative binomial
    with that mean and variance ``dispersion * mean``. Vectorised; a scalar in, a float out."""
    import numpy as np
    from scipy import stats

    obs = np.asarray(observed, dtype=float)
    mu = np.asarray(expected, dtype=float)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float), np.broadcast(obs, mu).shape)
    pois = stats.poisson.sf(obs - 1, mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = mu / (phi - 1.0)
        nb = stats.nbinom.sf(obs - 1, size, size / (size + mu))
    p = np.where(phi > 1.0, nb, pois)
    p = np.where(obs <= 0, 1.0, p)
    return float(p) if p.ndim == 0 else p


def one_in(p: float) -> str:
    """'about 1 time in 1,250' wording for a probability (three significant figures)."""
    if not p > 1e-6:
        return "less than 1 time in a million"
    n = float(f"{1.0 / p:.3g}")
    return f"about 1 time in {n:,.0f}" if n >= 100 else f"about 1 time in {n:g}"


def recent_text(recent: list[tuple[str, int]]) -> str:
    """'10 (2021-06), 12 (2021-07) and 12 (2021-08)': each recent month's count, named."""
    parts = [f"{n:,} ({m})" for m, n in recent]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _baseline_text(method: str, used: int, recent: list[tuple[str, int]]) -> str:
    if method == SEASONAL:
        return f"the previous {used} published months, allowing for the time of year"
    if method == RECENT_MONTHS:
        return f"the mean of the previous {used} published months ({', '.join(m for m, _ in recent)})"
    return f"the mean of the previous {used} published months"


def _sentence(row: dict[str, Any], n_tests: int) -> str:
    exp = row["expected"]
    exp_txt = f"{exp:.1f}" if exp < 10 else f"{round(exp):,}"
    recent = row["recent_months"]
    before = f"; the previous published months had {recent_text(recent)}" if recent else ""
    return (
        f"{row['crime_type']} in {row['area']} in {row['month']}: {row['observed']:,} recorded against "
        f"about {exp_txt} expected from {row['baseline_text']}{before} (a count this high or higher would "
        f"happen by chance {one_in(row['probability'])}; flagged after allowing for {n_tests:,} "
        f"test{'' if n_tests == 1 else 's'})."
    )


def emerging_alerts(
    counts: pd.DataFrame,
    *,
    test_months: list[str] | None = None,
    baseline: str = DEFAULT_BASELINE,
    alpha: float = 0.05,
    k: int = 12,
    recent_k: int = RECENT_K,
    min_history: int = 6,
    seasonal_min: int = 24,
    min_observed: int = 5,
) -> AlertRun:
    """Flag area x crime type months whose count is improbably high given their own history.

    Parameters
    ----------
    counts : pandas.DataFrame
        Wide monthly counts as :func:`monthly_counts` returns: index (area, crime_type), columns
        "YYYY-MM", NaN for months not published (gaps).
    test_months : list of str, optional
        Months to test; default every published month with enough history.
    baseline : {"seasonal", "recent"}
        What the expected count is: the seasonal model (or the mean of the previous ``k``
        months), or the mean of the previous ``recent_k`` published months.
    alpha : float
        Benjamini–Hochberg false discovery rate across all tests of the run.
    k : int
        Months in the recent-mean fallback of the seasonal baseline (and the dispersion's months).
    recent_k : int
        Months in the recent-months baseline, and the recent months every test shows.
    min_history : int
        Fewest published earlier months for a test.
    seasonal_min : int
        Fewest published months (of the previous 36) for the seasonal model.
    min_observed : int
        Fewest records for a flag.

    Returns
    -------
    AlertRun
        ``alerts`` and ``tests`` DataFrames with columns area, crime_type, month, observed,
        expected, dispersion, distribution, probability, p_adj, method, history_months,
        baseline_text, recent_months (a list of (month, count), oldest first) and (alerts) sentence.
    """
    import numpy as np
    import pandas as pd

    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {', '.join(BASELINES)}, not {baseline!r}")
    cols = [pd.Period(c, "M") for c in counts.columns]
    frame = counts.copy()
    frame.columns = pd.PeriodIndex(cols, freq="M")
    if len(cols):
        full = pd.period_range(min(cols), max(cols), freq="M")
        frame = frame.reindex(columns=full)
    wanted = None if test_months is None else {pd.Period(m, "M").ordinal for m in test_months}
    ordinals = np.asarray(frame.columns.asi8)
    values = frame.to_numpy(dtype=float)
    labels = [str(c) for c in frame.columns]
    keys, tasks = [], []
    for (area, ctype), series in zip(frame.index, values, strict=True):
        for pos in range(len(ordinals)):
            obs = series[pos]
            target = int(ordinals[pos])
            if np.isnan(obs) or (wanted is not None and target not in wanted):
                continue
            keys.append((area, ctype, pos, obs))
            tasks.append((series[:pos], ordinals[:pos], target))
    if baseline == "recent":
        expected = [_recent_baseline(v, recent_k, k, min_history) for v, _o, _t in tasks]
    else:
        expected = _expected_all(tasks, k, min_history, seasonal_min)
    rows = []
    for (area, ctype, pos, obs), got, (earlier, _o, _t) in zip(keys, expected, tasks, strict=True):
        if got is None:
            continue
        mu, phi, method, used = got
        mu = max(mu, 0.5 / used)
        observed = int(round(obs))
        shown = np.flatnonzero(~np.isnan(earlier))[-recent_k:]
        recent = [(labels[i], int(round(earlier[i]))) for i in shown]
        rows.append(
            {
                "area": area,
                "crime_type": ctype,
                "month": str(frame.columns[pos]),
                "observed": observed,
                "expected": mu,
                "dispersion": phi,
                "distribution": "Poisson" if phi <= 1.0 else "negative binomial",
                "probability": np.nan,
                "method": method.format(k=used, months=", ".join(m for m, _ in recent)),
                "history_months": used,
                "baseline_text": _baseline_text(method, used, recent),
                "recent_months": recent,
            }
        )
    tests = pd.DataFrame(
        rows,
        columns=[
            "area",
            "crime_type",
            "month",
            "observed",
            "expected",
            "dispersion",
            "distribution",
            "probability",
            "method",
            "history_months",
            "baseline_text",
            "recent_months",
        ],
    )
    if len(tests):
        # A tail below the smallest float underflows to 0, which would read "impossible": the
        # smallest positive float is an upper bound for it, so it is reported instead.
        tail = upper_tail(tests["observed"], tests["expected"], tests["dispersion"])
        tests["probability"] = np.maximum(tail, np.finfo(float).tiny)
    tests["p_adj"] = bh_adjust(tests["probability"].to_numpy(dtype=float)) if len(tests) else []
    n_tests = len(tests)
    flagged = tests[(tests["p_adj"] < alpha) & (tests["observed"] >= min_observed)].copy()
    flagged = flagged.sort_values(["probability", "area", "crime_type"]).reset_index(drop=True)
    flagged["sentence"] = [_sentence(r, n_tests) for r in flagged.to_dict("records")]
    params = {
        "baseline": baseline,
        "recent_k": recent_k,
        "alpha": alpha,
        "k": k,
        "min_history": min_history,
        "seasonal_min": seasonal_min,
        "min_observed": min_observed,
        "test_months": test_months,
        "false_alarm_control": "Benjamini-Hochberg across all tests in the run",
    }
    return AlertRun(alerts=flagged, tests=tests, n_tests=n_tests, alpha=alpha, params=params)
