"""Alert baselines on the real Staffordshire 2022 months: the recent-months mean and the months shown.

Every figure is recomputed here with pandas and scipy from the bundled police.uk street files.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from saferhood.analytics.alerts import RECENT_MONTHS, emerging_alerts, monthly_counts

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
MONTHS = [f"2022-{m:02d}" for m in range(1, 12)]


@pytest.fixture(scope="module")
def staffordshire() -> pd.DataFrame:
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, usecols=["Month", "LSOA name", "Crime type"]) for f in files]).dropna()
    return df.rename(columns={"Month": "month", "LSOA name": "area", "Crime type": "crime_type"})


def _monthly(df: pd.DataFrame, area: str, crime_type: str) -> pd.Series:
    sub = df[(df["area"] == area) & (df["crime_type"] == crime_type)]
    return sub["month"].value_counts().reindex(MONTHS, fill_value=0)


def test_recent_baseline_is_the_mean_of_the_previous_three_months(staffordshire: pd.DataFrame) -> None:
    run = emerging_alerts(monthly_counts(staffordshire), baseline="recent")
    assert run.params["baseline"] == "recent" and len(run.alerts) > 0
    for alert in run.alerts.head(5).to_dict("records"):
        per_month = _monthly(staffordshire, alert["area"], alert["crime_type"])
        earlier = per_month[per_month.index < alert["month"]]
        last3 = earlier.tail(3)
        assert alert["observed"] == per_month[alert["month"]]
        assert alert["recent_months"] == list(zip(last3.index, last3.astype(int), strict=True))
        assert alert["expected"] == pytest.approx(max(last3.mean(), 0.5 / 3), rel=1e-12)
        assert alert["method"] == RECENT_MONTHS.format(k=3, months=", ".join(last3.index))
        assert (
            alert["baseline_text"]
            == f"the mean of the previous 3 published months ({', '.join(last3.index)})"
        )
        # Dispersion from the previous 12 (here up to 10) months, widened for a mean of only 3 months.
        spread = earlier.tail(12).to_numpy(dtype=float)
        phi = max(spread.var(ddof=1) / spread.mean(), 1.0) * (1 + 1 / 3)
        size = alert["expected"] / (phi - 1)
        want = stats.nbinom.sf(alert["observed"] - 1, size, size / (size + alert["expected"]))
        assert alert["probability"] == pytest.approx(want, rel=1e-9)
        counts = ", ".join(f"{n} ({m})" for m, n in alert["recent_months"][:-1])
        assert f"the previous published months had {counts} and " in alert["sentence"]


def test_seasonal_alerts_show_the_recent_months_too(staffordshire: pd.DataFrame) -> None:
    run = emerging_alerts(monthly_counts(staffordshire))
    assert run.params["baseline"] == "seasonal"
    for alert in run.alerts.head(5).to_dict("records"):
        last3 = _monthly(staffordshire, alert["area"], alert["crime_type"])
        last3 = last3[last3.index < alert["month"]].tail(3)
        assert alert["recent_months"] == list(zip(last3.index, last3.astype(int), strict=True))
        # Fewer than 24 months: the seasonal baseline's fallback, named as such.
        assert alert["baseline_text"].startswith("the mean of the previous ")
        assert str(last3.iloc[-1]) + f" ({last3.index[-1]})" in alert["sentence"]


def test_gaps_are_skipped_in_the_recent_months() -> None:
    months = [f"2021-{m:02d}" for m in range(1, 10)]
    wide = pd.DataFrame(
        [[10, 10, 10, 10, 10, 4, np.nan, 8, 30]],
        columns=months,
        index=pd.MultiIndex.from_tuples([("Area A", "Burglary")]),
    )
    test = emerging_alerts(wide, test_months=["2021-09"], baseline="recent").tests.iloc[0]
    # 2021-07 was not published: the three months are May, June and August, and their mean is 22/3.
    assert test["recent_months"] == [("2021-05", 10), ("2021-06", 4), ("2021-08", 8)]
    assert test["expected"] == pytest.approx(22 / 3)


def test_an_unknown_baseline_is_refused() -> None:
    wide = pd.DataFrame([[1.0] * 8], columns=[f"2021-{m:02d}" for m in range(1, 9)])
    with pytest.raises(ValueError, match="baseline"):
        emerging_alerts(wide, baseline="yearly")


def test_a_probability_never_reads_as_zero() -> None:
    # 900 against a steady 10 a month: the Poisson tail underflows to 0.0 in floating point.
    months = [f"2021-{m:02d}" for m in range(1, 10)]
    wide = pd.DataFrame(
        [[10] * 8 + [900]], columns=months, index=pd.MultiIndex.from_tuples([("Area A", "Burglary")])
    )
    assert stats.poisson.sf(899, 10.0) == 0.0
    run = emerging_alerts(wide, test_months=["2021-09"])
    assert run.alerts["probability"][0] > 0 and run.alerts["p_adj"][0] > 0
    assert "less than 1 time in a million" in run.alerts["sentence"][0]
