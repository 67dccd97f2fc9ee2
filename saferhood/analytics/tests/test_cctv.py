"""CCTV scoring and before/during/after evaluation, against counts worked out by hand."""

from __future__ import annotations

import calendar

import pandas as pd
import pytest
from scipy.stats import binomtest

from saferhood.analytics.cctv import DISPLACEMENT_CAVEAT, TEST_NAME, evaluate_deployment, score_sites, within

VIOLENCE = "Violence and sexual offences"
ASB = "Anti-social behaviour"


def incidents(rows: list[tuple[float, float, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["x", "y", "month", "crime_type"])


def test_within_counts_the_boundary_and_not_beyond() -> None:
    assert within(0, 0, [200, 0, 141.42, 200.01], [0, -200, 141.42, 0], 200).tolist() == [
        True,
        True,
        True,
        False,
    ]


def test_sites_rank_by_weighted_count_then_by_count() -> None:
    events = incidents(
        [
            (0, 0, "2022-01", VIOLENCE),
            (10, 10, "2022-01", ASB),
            (150, 0, "2022-02", "Burglary"),
            (1000, 1000, "2022-01", "Burglary"),
            (1010, 1000, "2022-01", "Burglary"),
            (1020, 1000, "2022-01", "Burglary"),
            (5000, 0, "2022-01", VIOLENCE),  # near no site
        ]
    )
    sites = pd.DataFrame({"name": ["a", "b", "c"], "x": [0, 1000, 3000], "y": [0, 1000, 0]})
    # Unweighted: b has 3, a has 3 -> a tie kept in input order; weighted, violence counts 2.
    plain = score_sites(sites, events, radius=200)
    assert plain[["name", "incidents", "score", "rank"]].values.tolist() == [
        ["a", 3, 3.0, 1],
        ["b", 3, 3.0, 2],
        ["c", 0, 0.0, 3],
    ]
    weighted = score_sites(sites, events, radius=200, weights={VIOLENCE: 2.0, "Burglary": 0.5})
    assert weighted[["name", "incidents", "score"]].values.tolist() == [
        ["a", 3, 2.0 + 1.0 + 0.5],
        ["b", 3, 1.5],
        ["c", 0, 0.0],
    ]
    with pytest.raises(ValueError):
        score_sites(sites, events, radius=0)


def _monthly(counts: dict[str, int], offset: float = 0) -> pd.DataFrame:
    rows = [(offset, 0.0, m, ASB) for m, n in counts.items() for _ in range(n)]
    return incidents(rows)


def test_evaluation_counts_equal_periods_around_the_deployment() -> None:
    counts = {
        "2022-02": 4,
        "2022-03": 5,
        "2022-04": 6,
        "2022-05": 1,
        "2022-06": 2,
        "2022-07": 0,
        "2022-08": 3,
    }
    far = _monthly({"2022-05": 50}, offset=900)  # outside the radius: never counted
    ev = evaluate_deployment(
        0,
        0,
        pd.concat([_monthly(counts), far]),
        start="2022-05",
        end="2022-07",
        radius=200,
        latest_month="2022-10",
    )
    assert (ev.before, ev.during, ev.after) == (
        ("2022-02", "2022-04"),
        ("2022-05", "2022-07"),
        ("2022-08", "2022-10"),
    )
    assert (ev.count_before, ev.count_during, ev.count_after) == (15, 3, 3)
    # Feb-Apr holds 89 days, May-Jul 92: the test and the change are per day.
    assert ev.p_value == pytest.approx(binomtest(3, 18, 92 / (92 + 89)).pvalue)
    assert ev.significant is True and ev.change_percent == round(100 * ((3 / 92) / (15 / 89) - 1), 1)
    assert ev.caveat == DISPLACEMENT_CAVEAT and "displacement" in ev.caveat


def test_an_after_period_not_yet_over_is_none_not_zero() -> None:
    ev = evaluate_deployment(
        0, 0, _monthly({"2022-04": 2, "2022-05": 1}), start="2022-05", end="2022-07", latest_month="2022-09"
    )
    assert ev.count_after is None and ev.after_finished is False
    assert ev.count_during == 1 and ev.count_before == 2


def test_a_period_with_a_month_without_records_has_no_count() -> None:
    months = [
        "2022-02",
        "2022-03",
        "2022-05",
        "2022-06",
        "2022-07",
        "2022-08",
        "2022-09",
        "2022-10",
    ]  # no 2022-04
    ev = evaluate_deployment(
        0, 0, _monthly({"2022-03": 3, "2022-06": 1}), start="2022-05", end="2022-07", available=months
    )
    assert ev.count_before is None  # 2022-04 is missing: not a fall to zero
    assert ev.count_during == 1 and ev.count_after == 0
    assert ev.p_value is None and ev.significant is None


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError):
        evaluate_deployment(0, 0, _monthly({}), start="2022-05", end="2022-04")


def test_a_one_month_deployment_is_judged_per_day_not_per_month() -> None:
    # February 2022 has 28 days, March 31: one incident a day throughout is no change at all.
    ev = evaluate_deployment(0, 0, _monthly({"2022-02": 28, "2022-03": 31}), start="2022-03", end="2022-03")
    assert (ev.days_before, ev.days_during) == (
        calendar.monthrange(2022, 2)[1],
        calendar.monthrange(2022, 3)[1],
    )
    assert ev.change_percent == 0.0  # per month it would read +10.7%
    assert ev.p_value == pytest.approx(binomtest(31, 59, 31 / 59).pvalue)
    assert ev.significant is False and ev.test == TEST_NAME and "days as exposure" in TEST_NAME


def test_the_deployment_change_is_the_daily_rate_change() -> None:
    # May-July 2022 (92 days) against February-April (89 days): checked against the rate ratio.
    counts = {"2022-02": 30, "2022-03": 30, "2022-04": 29, "2022-05": 20, "2022-06": 20, "2022-07": 6}
    ev = evaluate_deployment(0, 0, _monthly(counts), start="2022-05", end="2022-07")
    days = pd.period_range("2022-02", "2022-07", freq="M").days_in_month
    before_days, during_days = int(sum(days[:3])), int(sum(days[3:]))
    assert (ev.days_before, ev.days_during) == (before_days, during_days) == (89, 92)
    expected = 100 * ((46 / during_days) / (89 / before_days) - 1)
    assert ev.change_percent == pytest.approx(expected, abs=0.05)
    assert ev.p_value == pytest.approx(binomtest(46, 135, during_days / (during_days + before_days)).pvalue)
