"""Profiles answered by the bundled West Midlands counts, checked against pandas on the same files.

The expected figures are computed here without Saferhood's code: pandas reads the count files
and places each LSOA 2021 with the ONS-derived lookups (LSOA21 → ward 2025, ward → town).
"""

from __future__ import annotations

import pandas as pd
import pytest
from django.test import Client

from saferhood.core.months import month_range
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SANDWELL, SOURCE, crimes_and_asb, sandwell_counts
from saferhood.crime.tests.independent import count_files as files

PERIOD = month_range("2023-09", "2024-08")


@pytest.fixture(scope="module")
def sandwell() -> pd.DataFrame:
    """Sandwell's rows of 2023-05 … 2024-10, each with its ward and town."""
    return sandwell_counts("2023-05", "2024-10")


def profile(client: Client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def test_sandwell_and_town_profiles_equal_the_files(db, client, sandwell):
    import_counts(files("2023-05", "2024-08"), source=SOURCE, progress=False)
    now = sandwell[sandwell.period.isin(PERIOD)]
    assert crimes_and_asb(now) == (36_405, 2_779)  # SOURCE.md

    body = profile(client, SANDWELL, "2023-09", "2024-08")
    assert (body["crimes"], body["asb"]) == crimes_and_asb(now)
    assert body["by_type"] == now.groupby("category").crime_count.sum().to_dict()
    assert body["by_type"]["Violence and sexual offences"] == 16_629
    assert body["gaps"] == []
    assert body["sources"] == [{"source": SOURCE, "months": PERIOD}]
    series = {p["month"]: (p["crimes"], p["asb"]) for p in body["series"]}
    for month in PERIOD:
        assert series[month] == crimes_and_asb(now[now.period == month]), month
    # The year before: counts start in 2023-05, and 2023-05/06 are near-empty, so 2022-09 … 2023-06 are gaps.
    assert body["previous"]["gaps"] == month_range("2022-09", "2023-06")
    before = sandwell[sandwell.period.isin(["2023-07", "2023-08"])]
    assert body["previous"]["crimes"] == crimes_and_asb(before)[0]
    # The change compares the loaded months only, per day: 366 days against July and August's 62.
    change = body["change"]
    assert (change["current"], change["previous"]) == (body["crimes"], body["previous"]["crimes"])
    assert change["absolute"] == round(body["crimes"] - body["previous"]["crimes"] * 366 / 62)
    assert "366 days against 62" in change["exposure"] and "10 months missing" in change["exposure"]

    expected_towns = {"West Bromwich": 10_053, "Smethwick": 6_664, "Oldbury": 5_650, "Tipton": 4_584}
    children = {c["name"]: c for c in body["children"]}
    for town, group in now.groupby("town"):
        slug = town.lower().replace(" ", "-")
        assert (children[town]["crimes"], children[town]["asb"]) == crimes_and_asb(group), town
        town_body = profile(client, slug, "2023-09", "2024-08")
        assert (town_body["crimes"], town_body["asb"]) == crimes_and_asb(group), town
        assert town_body["by_type"] == group.groupby("category").crime_count.sum().to_dict()
        if town in expected_towns:
            assert town_body["crimes"] == expected_towns[town]
        wards = {c["code"]: c for c in town_body["children"]}
        for ward, ward_rows in group.groupby("wd25cd"):
            assert (wards[ward]["crimes"], wards[ward]["asb"]) == crimes_and_asb(ward_rows), ward

    # An LSOA: the counts are LSOA-level, so an LSOA profile is answered too.
    busiest = now.groupby("lsoa_code").crime_count.sum().idxmax()
    lsoa_body = profile(client, busiest, "2023-09", "2024-08")
    assert (lsoa_body["crimes"], lsoa_body["asb"]) == crimes_and_asb(now[now.lsoa_code == busiest])
    assert lsoa_body["gaps"] == []


def test_a_month_without_rows_is_a_gap_not_a_zero(db, client, sandwell):
    summary = import_counts(files("2024-08", "2024-10"), source=SOURCE, progress=False)
    assert summary.months == ["2024-08", "2024-09", "2024-10"]
    body = profile(client, SANDWELL, "2024-08", "2024-10")
    assert body["gaps"] == ["2024-09"]
    series = {p["month"]: p for p in body["series"]}
    assert series["2024-09"]["crimes"] is None and series["2024-09"]["asb"] is None
    assert series["2024-08"]["crimes"] == 2_844 and series["2024-10"]["crimes"] == 2_975
    shown = sandwell[sandwell.period.isin(["2024-08", "2024-10"])]
    assert body["crimes"] == crimes_and_asb(shown)[0]
    assert body["sources"] == [{"source": SOURCE, "months": ["2024-08", "2024-10"]}]
    assert body["change"]["significant"] is None


def test_near_empty_months_are_recorded_as_incomplete(db, client, sandwell):
    # Imported first on their own, 2023-05/06 look complete (nothing to compare them with) …
    import_counts(files("2023-05", "2023-06"), source=SOURCE, progress=False)
    assert profile(client, SANDWELL, "2023-05", "2023-06")["gaps"] == []
    # … and once the source has full months, they fall below 20% of Sandwell's median month.
    summary = import_counts(files("2023-07", "2023-09"), source=SOURCE, progress=False)
    assert (SANDWELL, "2023-05") in summary.incomplete and (SANDWELL, "2023-06") in summary.incomplete
    assert "2023-05" in summary.render() and "Incomplete months" in summary.render()

    body = profile(client, SANDWELL, "2023-05", "2023-09")
    assert body["gaps"] == ["2023-05", "2023-06"]
    assert body["crimes"] == 3_333 + 3_094 + 3_076  # SOURCE.md, excl. ASB
    assert [p["crimes"] for p in body["series"]][:2] == [None, None]
    # The rule is per local authority: Coventry's 2023-06 (79 crimes against a median month of
    # 3,546) is a gap at import. Solihull's 2023-06 (791 crimes) passes the import's 20% floor but
    # is a partial month against its neighbours 2023-05, 07, 08 and 09 (per day, 62% of their median).
    assert profile(client, "E08000026", "2023-06", "2023-06")["gaps"] == ["2023-06"]
    solihull = profile(client, "E08000029", "2023-06", "2023-06")
    assert solihull["gaps"] == ["2023-06"] and solihull["crimes"] is None
    assert solihull["gap_reasons"] == [{"month": "2023-06", "reason": "partial month: 62% of the usual"}]
