"""Partial months are gaps with their reason, found by the README rule; normal months never are.

The bundled West Midlands counts were fetched from the police API, which silently dropped tiles
(SOURCE.md): Birmingham 2025-03 holds about 36% of a usual month, and was served as a
"significant −59% fall". Expected figures come from pandas on the same files.
"""

from __future__ import annotations

import pandas as pd
import pytest
from django.test import Client

from saferhood.core.months import month_range
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import COUNTS, GEO, SOURCE, count_files
from saferhood.crime.tests.independent_partial import loaded_totals, partial_shares
from saferhood.evidence.partial_months import partial_months

BIRMINGHAM, SOLIHULL, WOLVERHAMPTON = "E08000025", "E08000029", "E08000031"
START, END = "2024-09", "2025-09"


def lad_month_totals(start: str, end: str) -> pd.Series:
    """(lad, month) → crimes and ASB in the bundled count files, placed by the ONS-derived lookup."""
    frame = pd.concat(
        [pd.read_csv(p, dtype={"lsoa_code": str}) for p in count_files(start, end)], ignore_index=True
    )
    frame["period"] = frame.year.astype(str) + "-" + frame.month.map("{:02d}".format)
    lookup = pd.read_excel(GEO / "bcc-phm-lsoa21-ward25-imd25" / "lsoa21-lookup.xlsx", dtype=str)
    frame = frame.merge(lookup[["lsoa21cd", "lad25cd"]], left_on="lsoa_code", right_on="lsoa21cd")
    return frame.groupby(["lad25cd", "period"]).crime_count.sum()


@pytest.fixture(scope="module")
def expected() -> tuple[pd.Series, dict[tuple[str, str], float]]:
    totals = loaded_totals(lad_month_totals(START, END))
    return totals, partial_shares(totals)


@pytest.fixture
def loaded(db) -> None:
    import_counts(count_files(START, END), source=SOURCE, progress=False)


def profile(client: Client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_rule_finds_the_partial_months_source_md_lists(expected):
    _, shares = expected
    # SOURCE.md: Birmingham is partial in 2025-03 (Solihull, its neighbour in the same dropped
    # tiles, too) and Walsall/Wolverhampton in 2024-10 (Walsall's is below the import's 20% floor).
    assert set(shares) == {(BIRMINGHAM, "2025-03"), (SOLIHULL, "2025-03"), (WOLVERHAMPTON, "2024-10")}
    assert 0.2 < shares[(BIRMINGHAM, "2025-03")] < 0.7
    assert COUNTS.exists()


def test_birmingham_2025_03_is_a_gap_not_a_significant_fall(loaded, expected, client):
    totals, shares = expected
    share = round(100 * shares[(BIRMINGHAM, "2025-03")])
    reason = f"partial month: {share}% of the usual"
    assert share == 36  # per day, against the median of its neighbouring months

    body = profile(client, BIRMINGHAM, "2025-03", "2025-03")
    assert (body["crimes"], body["asb"], body["rate_per_1000"]) == (None, None, None)
    assert body["no_data_reason"] == reason
    assert body["gap_reasons"] == [{"month": "2025-03", "reason": reason}]
    assert body["change"]["significant"] is None and body["change"]["percent"] is None
    assert "only partial months" in body["change"]["test"]
    assert all(c["crimes"] is None and c["no_data_reason"] == reason for c in body["children"])

    # Over a longer period the month is a gap; the headline sums the other months only.
    year = profile(client, BIRMINGHAM, "2024-10", "2025-09")
    assert year["gaps"] == ["2025-03"]
    assert {p["month"]: p["crimes"] for p in year["series"]}["2025-03"] is None
    others = [m for m in month_range("2024-10", "2025-09") if m != "2025-03"]
    crimes_and_asb = int(totals.loc[BIRMINGHAM].loc[others].sum())
    assert year["crimes"] + year["asb"] == crimes_and_asb

    # The page says so, and alerts do not test the month.
    alerts = client.get(f"/api/v1/areas/{BIRMINGHAM}/alerts", {"from": "2025-03", "to": "2025-03"}).json()
    assert alerts["tests"] == 0 and alerts["months_missing"] == ["2025-03"]


def test_a_normal_month_is_never_flagged(loaded, expected, client):
    totals, shares = expected
    for lad in totals.index.get_level_values(0).unique():
        body = profile(client, lad, "2024-10", "2025-09")
        loaded_months = set(totals.loc[lad].index)
        normal = [
            m for m in month_range("2024-10", "2025-09") if m in loaded_months and (lad, m) not in shares
        ]
        assert not set(body["gaps"]) & set(normal), lad
        assert {g["month"] for g in body["gap_reasons"] if g["reason"].startswith("partial")} == {
            m for (code, m) in shares if code == lad and m >= "2024-10"
        }, lad


def test_a_small_areas_low_month_is_not_flagged_by_chance():
    # A usual month of 90 records: 40 is far below, but small counts vary too much to call it partial.
    small = {("E0", m): 90 for m in month_range("2024-01", "2024-12")} | {("E0", "2024-06"): 40}
    assert partial_months(small) == {}
    # The same shape at 1,000 a month is a partial month.
    large = {key: n * 1000 // 90 for key, n in small.items()}
    assert set(partial_months(large)) == {("E0", "2024-06")}


def test_profiles_answer_when_the_run_totals_cache_empties_itself(loaded, client, monkeypatch):
    # The per-process cache of run totals empties itself when full. A request holding some of its
    # keys cached and others not used to fail with a KeyError (HTTP 500) at that moment: found by
    # make bench-national, where a force's profile needs a thousand keys.
    from saferhood.evidence import partial_months

    west_midlands = "E23000014"
    monkeypatch.setattr(partial_months, "_MAX_HELD", 0)  # full from the first key on
    profile(client, BIRMINGHAM, START, END)  # Birmingham's totals cached
    answered = profile(client, west_midlands, START, END)  # Birmingham's cached, six LADs not
    partial_months._TOTALS.clear()
    assert answered == profile(client, west_midlands, START, END)
