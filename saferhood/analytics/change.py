"""Is a change between two periods more than chance? (pure: no Django)

Crime counts are modelled as Poisson. Conditional on the total ``n = current + previous``,
the current count is Binomial(n, p) with ``p = e_c / (e_c + e_p)`` under "no change in the
underlying rate", where ``e`` are the periods' exposures (their lengths in months). This is the
exact conditional test for comparing two Poisson rates (Przyborowski & Wilenski 1940); it is
valid for small counts, where a z-test is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import binomtest

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
    current_months, previous_months : int
        Lengths of the periods, so unequal periods compare rates, not raw counts.
    alpha : float
        Two-sided significance level.

    Returns
    -------
    ChangeTest
        Absolute and percentage change (percent is None when ``previous`` is 0), the p-value
        and whether it is below ``alpha``.
    """
    if current < 0 or previous < 0:
        raise ValueError("counts cannot be negative")
    total = current + previous
    if total == 0:
        p_value = 1.0
    else:
        p = current_months / (current_months + previous_months)
        p_value = float(binomtest(current, total, p, alternative="two-sided").pvalue)
    percent = None if previous == 0 else round(100.0 * (current - previous) / previous, 1)
    return ChangeTest(
        current=current,
        previous=previous,
        absolute=current - previous,
        percent=percent,
        p_value=p_value,
        significant=p_value < alpha,
    )
