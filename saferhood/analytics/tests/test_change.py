"""The change test against values computed by hand and by an independent formula."""

import math

import pytest

from saferhood.analytics.change import compare_counts


def binomial_two_sided(k: int, n: int) -> float:
    """Two-sided exact p for p=0.5, the textbook way: sum of outcomes as unlikely as k."""
    probs = [math.comb(n, i) / 2**n for i in range(n + 1)]
    pk = probs[k]
    return min(1.0, sum(p for p in probs if p <= pk * (1 + 1e-7)))


@pytest.mark.parametrize("current,previous", [(30, 12), (12, 30), (10, 10), (0, 5), (50, 40), (1, 0)])
def test_equal_periods_match_the_textbook_binomial(current, previous):
    result = compare_counts(current, previous)
    assert result.p_value == pytest.approx(binomial_two_sided(current, current + previous), rel=1e-9)
    assert result.absolute == current - previous


def test_a_doubling_from_twenty_is_significant_and_a_wobble_is_not():
    assert compare_counts(40, 20).significant is True
    assert compare_counts(22, 20).significant is False


def test_percent_change_and_zero_baseline():
    assert compare_counts(150, 100).percent == 50.0
    assert compare_counts(5, 0).percent is None
    assert compare_counts(0, 0).p_value == 1.0


def test_unequal_periods_compare_rates():
    # 24 in 12 months vs 12 in 6 months: the same rate, so no evidence of change.
    result = compare_counts(24, 12, current_months=12, previous_months=6)
    assert result.p_value == pytest.approx(1.0)
    # The change is stated on the rate too: the same rate is no change, not "+100%".
    assert (result.percent, result.absolute) == (0.0, 0)


def test_unequal_exposure_changes_the_percentage_on_the_rate() -> None:
    # 30 in March (31 days) against 28 in February (28 days): per day 0.968 against 1.0.
    result = compare_counts(30, 28, current_months=31, previous_months=28)
    assert result.percent == round(100 * ((30 / 31) / (28 / 28) - 1), 1)
    assert result.absolute == round(30 - 28 * 31 / 28)
