"""The profile's change, checked against an independent computation on the bundled counts.

pandas sums the bundled West Midlands count files; statsmodels fits the quasi-Poisson GLM
(``log(days)`` offset, Pearson-chi-squared scale) that the change test claims to be. Nothing
here calls Saferhood's arithmetic.
"""

from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from django.test import Client

from saferhood.core.months import month_range
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import ASB, SANDWELL, SOURCE, count_files, sandwell_counts

MISSING = {"2023-05", "2023-06", "2024-09"}  # Sandwell's absent or near-empty months (SOURCE.md)


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    """Sandwell's loaded months: crimes (excluding ASB), ASB and days, computed from the files."""
    frame = sandwell_counts("2023-05", "2026-03")
    frame["asb"] = frame.category == ASB
    table = frame.groupby(["period", "asb"]).crime_count.sum().unstack(fill_value=0)
    table.columns = ["crimes", "asb"]
    table = table[~table.index.isin(MISSING)].copy()
    table["days"] = [calendar.monthrange(int(m[:4]), int(m[5:]))[1] for m in table.index]
    return table


@pytest.fixture
def sandwell_loaded(db) -> None:
    import_counts(count_files("2023-05", "2026-03"), source=SOURCE, progress=False)


def dispersion(monthly: pd.DataFrame, end: str, column: str) -> float:
    """Pearson chi2/df of the 24 loaded months up to ``end`` around a log-linear trend, floored at 1."""
    window = monthly[monthly.index <= end].tail(24)
    t = np.array([int(m[:4]) * 12 + int(m[5:]) for m in window.index], dtype=float)  # a gap keeps its place
    exog = sm.add_constant(t - t.mean())
    fit = sm.GLM(
        window[column].to_numpy(), exog, family=sm.families.Poisson(), offset=np.log(window.days.to_numpy())
    ).fit(scale="X2", tol=1e-13)
    return max(1.0, float(fit.scale))


def quasi_poisson_p(
    monthly: pd.DataFrame, now: list[str], before: list[str], column: str, scale: float
) -> float:
    """p of the period indicator in a Poisson GLM of the monthly counts, offset log(days)."""
    rows = pd.concat(
        [
            monthly.loc[monthly.index.isin(now)].assign(x=1.0),
            monthly.loc[monthly.index.isin(before)].assign(x=0.0),
        ]
    )
    fit = sm.GLM(
        rows[column].to_numpy(),
        sm.add_constant(rows.x.to_numpy()),
        family=sm.families.Poisson(),
        offset=np.log(rows.days.to_numpy()),
    ).fit(scale=scale, tol=1e-13)
    return float(np.asarray(fit.pvalues)[1])


def profile(client: Client, **query: str) -> dict:
    response = client.get(f"/api/v1/areas/{SANDWELL}/profile", query)
    assert response.status_code == 200, response.content
    return response.json()


def loaded_months(monthly: pd.DataFrame, start: str, end: str) -> list[str]:
    return [m for m in month_range(start, end) if m in monthly.index]


def expected_change(
    monthly: pd.DataFrame, start: str, end: str, before: tuple[str, str], column: str
) -> dict:
    """The change as defined: loaded months only, per day, quasi-Poisson p."""
    now, then = loaded_months(monthly, start, end), loaded_months(monthly, *before)
    c, p = int(monthly.loc[now, column].sum()), int(monthly.loc[then, column].sum())
    dc, dp = int(monthly.loc[now, "days"].sum()), int(monthly.loc[then, "days"].sum())
    phi = dispersion(monthly, end, column)
    return {
        "current": c,
        "previous": p,
        "current_days": dc,
        "previous_days": dp,
        "absolute": round(c - p * dc / dp),
        "percent": round(100 * ((c / dc) / (p / dp) - 1), 1),
        "p": quasi_poisson_p(monthly, now, then, column, phi),
        "poisson_p": quasi_poisson_p(monthly, now, then, column, 1.0),
        "dispersion": phi,
    }


def assert_matches(change: dict, expected: dict) -> None:
    for key in ("current", "previous", "current_days", "previous_days", "absolute", "percent"):
        assert change[key] == expected[key], key
    assert change["p_value"] == pytest.approx(expected["p"], rel=1e-6, abs=1e-12)
    assert change["dispersion"] == pytest.approx(expected["dispersion"], abs=0.005)
    assert change["significant"] is (expected["p"] < 0.05)


def test_default_sandwell_profile_compares_per_day_not_eleven_months_with_twelve(
    sandwell_loaded, client, monthly
):
    body = profile(client)
    assert (body["period"]["from"], body["period"]["to"]) == ("2025-04", "2026-03")
    assert body["previous"]["gaps"] == ["2024-09"]
    expected = expected_change(monthly, "2025-04", "2026-03", ("2024-04", "2025-03"), "crimes")
    assert (expected["current"], expected["previous"]) == (34_506, 31_793)  # SOURCE.md's table
    assert (expected["current_days"], expected["previous_days"]) == (365, 335)
    change = body["change"]
    assert change["measure"] == "crimes"
    assert_matches(change, expected)
    # The raw difference of 12 months against 11 (+2,713) is what the page used to say; per day crime fell.
    assert change["absolute"] != 34_506 - 31_793 and change["absolute"] < 0 and change["percent"] < 0
    assert "365 days against 335" in change["exposure"] and "1 month missing" in change["exposure"]
    assert "quasi-Poisson" in change["test"] and "2024-03 to 2026-03" in change["test"]
    assert change["significant"] is False


def test_the_area_page_shows_the_per_day_change_and_its_method(
    sandwell_loaded, client, monthly, django_user_model
):
    client.force_login(django_user_model.objects.create_user("analyst-change", password="x-long-password-1"))
    html = client.get(f"/areas/{SANDWELL}/").content.decode()
    expected = expected_change(monthly, "2025-04", "2026-03", ("2024-04", "2025-03"), "crimes")
    assert f'data-testid="change-absolute">−{abs(expected["absolute"]):,}<' in html
    assert "+2,713" not in html
    assert "365 days against 335" in html
    assert re.search(r'data-testid="change-test">Quasi-Poisson test of the daily rates', html)
    assert re.search(r'data-testid="significance">Not significant<', html)

    # With type=asb the change is ASB's, and its p below a thousandth reads "< 0.001", never 0.
    html = client.get(f"/areas/{SANDWELL}/", {"type": "asb"}).content.decode()
    asb = expected_change(monthly, "2025-04", "2026-03", ("2024-04", "2025-03"), "asb")
    assert asb["p"] < 0.001
    assert f'data-testid="change-absolute">−{abs(asb["absolute"]):,}<' in html
    assert 'data-testid="change-p">p &lt; 0.001<' in html
    assert "Change in anti-social behaviour incidents, per day" in html
    assert "p = 0.000" not in html and "p = 0.0<" not in html


def test_type_asb_compares_and_tests_asb(sandwell_loaded, client, monthly):
    expected = expected_change(monthly, "2025-04", "2026-03", ("2024-04", "2025-03"), "asb")
    assert expected["current"] == 1_930  # SOURCE.md: ASB in 2025-04 … 2026-03
    for body in (profile(client, type="asb"), profile(client, type="Anti-social behaviour")):
        assert body["change"]["measure"] == "asb"
        assert_matches(body["change"], expected)
        assert body["change"]["significant"] is True and body["change"]["p_value_text"] == "< 0.001"
    # The all-types profile carries ASB's own change beside the crimes' change.
    assert_matches(profile(client)["asb_change"], expected)


def test_a_single_type_gets_its_own_change(sandwell_loaded, client):
    frame = sandwell_counts("2024-04", "2026-03")
    burglary = frame[frame.category == "Burglary"].groupby("period").crime_count.sum()
    now = int(burglary[month_range("2025-04", "2026-03")].sum())
    before = int(burglary[[m for m in month_range("2024-04", "2025-03") if m != "2024-09"]].sum())
    change = profile(client, type="burglary")["change"]
    assert (change["current"], change["previous"]) == (now, before)
    assert change["absolute"] == round(now - before * 365 / 335)
    assert profile(client, type="burglary")["asb_change"] is None


def test_march_against_february_with_the_same_daily_rate_is_not_significant(sandwell_loaded, client, monthly):
    # 2026-02: 2,726 crimes in 28 days; 2026-03: 3,016 in 31 — 97.4 and 97.3 a day.
    body = profile(client, **{"from": "2026-03", "to": "2026-03"})
    expected = expected_change(monthly, "2026-03", "2026-03", ("2026-02", "2026-02"), "crimes")
    assert (expected["current"], expected["previous"]) == (3_016, 2_726)
    assert_matches(body["change"], expected)
    assert body["change"]["significant"] is False and abs(body["change"]["absolute"]) < 10
    # Months as equal exposure (the old test) would have called the +290 significant.
    from scipy.stats import binomtest

    assert binomtest(3_016, 3_016 + 2_726, 0.5).pvalue < 0.001


def test_an_over_dispersed_series_is_not_called_significant_where_poisson_would(
    sandwell_loaded, client, monthly
):
    # Sandwell's crimes, 2024-05 … 07 against 2024-02 … 04: +5% a day.
    body = profile(client, **{"from": "2024-05", "to": "2024-07"})
    expected = expected_change(monthly, "2024-05", "2024-07", ("2024-02", "2024-04"), "crimes")
    assert expected["poisson_p"] < 0.001 < 0.05 < expected["p"]
    assert expected["dispersion"] > 3  # far more variable month to month than Poisson
    assert_matches(body["change"], expected)
    assert body["change"]["significant"] is False


def test_too_short_a_history_is_not_tested(db, client):
    import_counts(count_files("2025-01", "2025-04"), source=SOURCE, progress=False)
    change = profile(client, **{"from": "2025-03", "to": "2025-04"})["change"]
    assert change["significant"] is None and change["p_value"] is None
    assert change["test"].startswith("not tested: fewer than 6 loaded months")
    assert (
        change["absolute"] is not None and "61 days against 59" in change["exposure"]
    )  # March+April, January+February
