"""Is a change between two periods more than chance? (pure: no Django)

Two tests live here:

- :func:`compare_rates` (area profiles, the tasking pack): the two periods' daily rates, days as
  exposure, by a quasi-Poisson test whose over-dispersion comes from the area's own monthly
  history (:func:`estimate_dispersion`). Area counts vary several times more than Poisson from
  month to month, so a plain Poisson test calls most borough-level wobbles "significant".
- :func:`compare_counts` (hotspot-change cells, CCTV radii): the exact conditional test of two
  Poisson counts. Conditional on ``n = current + previous``, the current count is Binomial(n, p)
  with ``p = e_c / (e_c + e_p)`` under "no change in the underlying rate", ``e`` the periods'
  exposures (Przyborowski & Wilenski 1940); valid for the small counts of a cell, where a
  z-test is not.
"""

from __future__ import annotations

from dataclasses import dataclass

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.

TEST_NAME = "exact conditional test of two Poisson counts (two-sided binomial test), alpha 0.05"


@dataclass(frozen=True)
class ChangeTest:
    current: int
    previous: int
    absolute: int
    percent: float | None
    p_value: float
    significant: bool
    test: str = TEST_NAME


def compare_counts(
    current: int, previous: int, *, current_months: int = 1, previous_months: int = 1, alpha: float = 0.05
) -> ChangeTest:
    """Compare a period's count with a previous period's.

    Parameters
    ----------
    current, previous : int
        Counts in the two periods.
    current_months, previous_months : int or float
        The periods' exposures (months, or better days: months differ in length), so unequal
        periods compare rates, not raw counts: the test, ``percent`` and ``absolute`` all do.
    alpha : float
        Two-sided significance level.

    Returns
    -------
    ChangeTest
        Absolute and percentage change (percent is None when ``previous`` is 0), the p-value
        and whether it is below ``alpha``.
    """
    from scipy.stats import binomtest

    if current < 0 or previous < 0:
        raise ValueError("counts cannot be negative")
    total = current + previous
    if total == 0:
        p_value = 1.0
    else:
        p = current_months / (current_months + previous_months)
        p_value = float(binomtest(current, total, p, alternative="two-sided").pvalue)
    # Change in the rate, stated on the current period's exposure: 30 in 31 days against 28 in
    # 28 days is a 3% rise (+2 on the current period), not +7%.
    expected = previous * current_months / previous_months
    percent = None if previous == 0 else round(100.0 * (current / expected - 1), 1)
    return ChangeTest(
        current=current,
        previous=previous,
        absolute=round(current - expected),
        percent=percent,
        p_value=p_value,
        significant=p_value < alpha,
    )


# --- Rates over unequal exposure, allowing for over-dispersion --------------------------------
#
# Why: months differ in length (28-31 days) and a period may have months with no data, so raw
# counts of two periods are not comparable; and an area's monthly counts vary several times more
# than Poisson (seasons, operations, recording), so a Poisson test calls noise "significant".
# The test below is the quasi-Poisson GLM of the monthly counts with days as exposure:
# log E[count] = log(days) + a + b * [month in the current period], variance = phi * mean.
# Its estimate of b is the log ratio of the two daily rates, with standard error
# sqrt(phi * (1/current + 1/previous)); phi is estimated from the area's own monthly history.

MIN_DISPERSION_MONTHS = 6
ALPHA = 0.05


def p_value_text(p_value: float | None) -> str | None:
    """A p-value as people read it: never "0", "< 0.001" below a thousandth."""
    if p_value is None:
        return None
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def estimate_dispersion(
    counts: list[int], days: list[int], positions: list[int] | None = None
) -> float | None:
    """Pearson chi-squared / df of monthly counts around a log-linear trend, days as exposure.

    The Poisson GLM ``log E[count_i] = log(days_i) + a + b * t_i`` (``t_i`` the month's position
    in time, ``positions`` when months are missing, else 0, 1, 2 …) is
    fitted by Newton's method; the trend keeps a steady rise or fall from being read as noise,
    seasonality is left in (so the test errs towards "not significant"). Returns None with fewer
    than ``MIN_DISPERSION_MONTHS`` months, and 1.0 when every count is zero.
    """
    import numpy as np

    if len(counts) != len(days):
        raise ValueError("one number of days per monthly count")
    if len(counts) < MIN_DISPERSION_MONTHS:
        return None
    y = np.asarray(counts, dtype=float)
    if y.sum() == 0:
        return 1.0
    exposure = np.asarray(days, dtype=float)
    t = np.arange(len(y), dtype=float) if positions is None else np.asarray(positions, dtype=float)
    x = np.column_stack([np.ones_like(t), t - t.mean()])
    flat = np.array([np.log(y.sum() / exposure.sum()), 0.0])
    beta, df = flat, len(y) - 2
    for _ in range(100):
        mu = exposure * np.exp(x @ beta)
        try:
            step = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (y - mu))
        except np.linalg.LinAlgError:
            step = np.array([np.nan, np.nan])
        if not np.isfinite(step).all():
            # Every record at one end of the window (one crime in its last month): the trend's
            # fit runs off to infinity. No trend then, which can only widen the dispersion.
            beta, df = flat, len(y) - 1
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu = exposure * np.exp(x @ beta)
    return float(np.sum((y - mu) ** 2 / mu) / df)


@dataclass(frozen=True)
class RateChange:
    """Two periods' counts compared per day."""

    current: int
    previous: int
    current_days: int
    previous_days: int
    current_per_day: float
    previous_per_day: float
    absolute: int | None  # the current count minus the previous daily rate times the current days
    percent: float | None  # change in the daily rate
    p_value: float
    significant: bool
    dispersion: float  # the variance allowed, as a multiple of Poisson (>= 1)


def compare_rates(
    current: int,
    previous: int,
    *,
    current_days: int,
    previous_days: int,
    dispersion: float = 1.0,
    alpha: float = ALPHA,
) -> RateChange:
    """Compare two periods' daily rates with a quasi-Poisson test (two-sided).

    ``dispersion`` is floored at 1. With both counts above zero the p-value is the Wald test of
    the log rate ratio (what a quasi-Poisson GLM with a period indicator and ``log(days)`` offset
    gives); with a zero on one side, where the log ratio is undefined, it is the score
    (Pearson chi-squared) test of equal rates divided by the dispersion.
    """
    import numpy as np
    from scipy.stats import chi2, norm

    if current < 0 or previous < 0:
        raise ValueError("counts cannot be negative")
    if current_days <= 0 or previous_days <= 0:
        raise ValueError("each period needs at least one day of exposure")
    phi = max(1.0, float(dispersion))
    rate_now, rate_before = current / current_days, previous / previous_days
    if current and previous:
        z = np.log(rate_now / rate_before) / np.sqrt(phi * (1 / current + 1 / previous))
        p_value = float(2 * norm.sf(abs(z)))
    elif current or previous:
        common = (current + previous) / (current_days + previous_days)
        expected = (common * current_days, common * previous_days)
        score = sum((o - e) ** 2 / e for o, e in zip((current, previous), expected, strict=True))
        p_value = float(chi2.sf(score / phi, 1))
    else:
        p_value = 1.0
    return RateChange(
        current=current,
        previous=previous,
        current_days=current_days,
        previous_days=previous_days,
        current_per_day=round(rate_now, 3),
        previous_per_day=round(rate_before, 3),
        absolute=round(current - rate_before * current_days),
        percent=None if previous == 0 else round(100.0 * (rate_now / rate_before - 1), 1),
        p_value=p_value,
        significant=p_value < alpha,
        dispersion=round(phi, 2),
    )


def describe_rate_test(dispersion: float, months: int, first: str, last: str) -> str:
    """The method in words, as the page and the API's ``change.test`` state it."""
    allowance = (
        f"variance allowed to be {max(1.0, dispersion):.1f} times Poisson: the over-dispersion "
        f"of the area's {months} loaded monthly counts {first} to {last} (Pearson chi-squared "
        "per degree of freedom around a log-linear trend, floored at 1)"
    )
    return (
        "quasi-Poisson test of the daily rates (days as exposure; Wald test of the rate ratio, "
        f"two-sided, alpha {ALPHA}); {allowance}"
    )
