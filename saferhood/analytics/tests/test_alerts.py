"""Emerging-trend alerts on the real Staffordshire months, by hand, and with a seasonal history."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saferhood.analytics.alerts import RECENT, SEASONAL, emerging_alerts, monthly_counts, one_in, upper_tail

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


@pytest.fixture(scope="module")
def staffordshire():
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Month", "LSOA name", "Crime type"]) for f in files]).dropna()
    return df.rename(columns={"Month": "month", "LSOA name": "area", "Crime type": "crime_type"})


@pytest.fixture(scope="module")
def run(staffordshire):
    return emerging_alerts(monthly_counts(staffordshire))


def test_real_alerts_check_out_independently(staffordshire, run):
    assert run.n_tests == len(run.tests) > 1_000
    assert len(run.alerts) > 0
    assert np.allclose(run.tests["p_adj"], stats.false_discovery_control(run.tests["probability"]))
    for alert in run.alerts.head(5).to_dict("records"):
        sub = staffordshire[
            (staffordshire["area"] == alert["area"]) & (staffordshire["crime_type"] == alert["crime_type"])
        ]
        # All 11 months are published, so a month without a record of this type here is a 0.
        months = [f"2022-{m:02d}" for m in range(1, 12)]
        per_month = sub["month"].value_counts().reindex(months, fill_value=0)
        earlier = per_month[per_month.index < alert["month"]].to_numpy(dtype=float)[-12:]
        assert alert["observed"] == per_month[alert["month"]]
        assert alert["history_months"] == len(earlier)
        expected = max(earlier.mean(), 0.5 / len(earlier))
        assert alert["expected"] == pytest.approx(expected, rel=1e-12)
        var = earlier.var(ddof=1)
        if var > earlier.mean():
            size = earlier.mean() ** 2 / (var - earlier.mean())
            want = stats.nbinom.sf(alert["observed"] - 1, size, size / (size + expected))
        else:
            want = stats.poisson.sf(alert["observed"] - 1, expected)
        assert alert["probability"] == pytest.approx(want, rel=1e-9)
        assert alert["p_adj"] < 0.05 and alert["observed"] >= 5
        s = alert["sentence"]
        assert s.startswith(
            f"{alert['crime_type']} in {alert['area']} in {alert['month']}: {alert['observed']} recorded"
        )
        assert f"allowing for {run.n_tests:,} tests" in s
    # Months tested need 6 earlier months: July to November.
    assert sorted(run.tests["month"].unique()) == ["2022-07", "2022-08", "2022-09", "2022-10", "2022-11"]


def test_gap_months_are_skipped_not_zeros():
    months = [f"2021-{m:02d}" for m in range(1, 10)]
    wide = pd.DataFrame(
        [[10, np.nan, 10, 10, 10, 10, 10, 10, 30]],
        columns=months,
        index=pd.MultiIndex.from_tuples([("Area A", "Burglary")]),
    )
    run = emerging_alerts(wide, test_months=["2021-09"])
    (test,) = run.tests.to_dict("records")
    # 7 published months of 10: expected 10 (a zero for the gap would make it 8.75). No spread: Poisson.
    assert test["expected"] == 10.0 and test["history_months"] == 7
    assert test["method"] == RECENT.format(k=7) and test["distribution"] == "Poisson"
    assert test["probability"] == pytest.approx(stats.poisson.sf(29, 10.0), rel=1e-12)
    assert run.alerts["sentence"][0] == (
        "Burglary in Area A in 2021-09: 30 recorded against about 10 expected from the mean of the previous 7 "
        "published months; the previous published months had 10 (2021-06), 10 (2021-07) and 10 (2021-08) "
        f"(a count this high or higher would happen by chance {one_in(test['probability'])}; flagged after "
        "allowing for 1 test)."
    )


def test_monthly_counts_zeros_and_gaps():
    records = pd.DataFrame(
        {"area": ["A", "A", "B"], "crime_type": ["X", "X", "Y"], "month": ["2022-01", "2022-03", "2022-03"]}
    )
    wide = monthly_counts(records)
    assert list(wide.columns) == ["2022-01", "2022-02", "2022-03"]
    # February was not published (no record at all): a gap. B had none of Y in January: a zero.
    assert np.isnan(wide.loc[("A", "X"), "2022-02"]) and wide.loc[("B", "Y"), "2022-01"] == 0.0
    wide = monthly_counts(records, months=["2022-01", "2022-02", "2022-03"])
    assert wide.loc[("A", "X"), "2022-02"] == 0.0


def test_seasonal_model_recovers_an_exact_seasonal_pattern():
    months = [str(p) for p in pd.period_range("2019-01", "2022-01", freq="M")]
    season = 20 * np.exp(0.5 * np.sin(2 * np.pi * np.arange(len(months)) / 12))
    values = season.copy()
    values[-1] = 60
    wide = pd.DataFrame([values], columns=months, index=pd.MultiIndex.from_tuples([("Area", "ASB")]))
    run = emerging_alerts(wide, test_months=["2022-01"])
    (test,) = run.tests.to_dict("records")
    assert test["method"] == SEASONAL and test["history_months"] == 36
    # No noise: the model fits the pattern exactly and predicts January's level.
    assert test["expected"] == pytest.approx(season[-1], rel=1e-6)
    assert test["distribution"] == "Poisson"
    assert "allowing for the time of year" in run.alerts["sentence"][0]


def test_wording_and_tails():
    assert one_in(0.0008) == "about 1 time in 1,250"
    assert one_in(0.05) == "about 1 time in 20"
    assert one_in(1e-9) == "less than 1 time in a million"
    assert upper_tail(0, 3.0) == 1.0
    assert upper_tail(7, 3.0) == pytest.approx(stats.poisson.sf(6, 3.0))
    size = 3.0 / (2.0 - 1.0)
    assert upper_tail(7, 3.0, 2.0) == pytest.approx(stats.nbinom.sf(6, size, size / (size + 3.0)))


def test_series_fitted_together_equal_each_fitted_alone():
    # Three areas with the same published months are fitted in one batch; each must get what a
    # run over that area alone gives.
    months = [str(p) for p in pd.period_range("2023-01", "2025-12", freq="M")]
    rng = np.random.default_rng(7)
    season = 10 + 6 * np.sin(np.arange(len(months)) * 2 * np.pi / 12)
    rows = {(f"area {i}", "Burglary"): rng.poisson(season * (1 + i / 2)).astype(float) for i in range(3)}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=months)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["area", "crime_type"])
    together = emerging_alerts(table, test_months=["2025-12"]).tests.set_index("area")
    for area in together.index:
        alone = emerging_alerts(table.loc[[(area, "Burglary")]], test_months=["2025-12"]).tests.iloc[0]
        assert alone["method"] == together.loc[area, "method"] == SEASONAL
        assert alone["expected"] == pytest.approx(together.loc[area, "expected"], rel=1e-12)


def test_a_model_without_a_finite_fit_falls_back_to_the_recent_mean():
    # Every December is zero: the seasonal likelihood has no maximum (December's level runs to
    # -inf), so the tested December is judged against the recent mean instead.
    months = [str(p) for p in pd.period_range("2023-01", "2025-12", freq="M")]
    values = np.array([0.0 if m.endswith("-12") else 9.0 for m in months])
    table = pd.DataFrame([values], columns=months, index=pd.MultiIndex.from_tuples([("A", "Drugs")]))
    test = emerging_alerts(table, test_months=["2025-12"]).tests.iloc[0]
    assert test["method"] == RECENT.format(k=12)
    assert test["expected"] == pytest.approx(values[-13:-1].mean())
