"""One geography vintage per figure (ADR 0005), checked against pandas on the bundled files.

The expected figures come from the raw police.uk files and the ONS lookups read here with
pandas: LSOA 2011 → 2021 (exact fit), LSOA 2021 → ward 2025, mid-2022 LSOA populations. A
2011 code counts in the 2025 ward its 2021 successors lie in; where they straddle wards, the
ward holding most of their residents (ties to the lowest code).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.crime.importers import import_police
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import ASB, GEO, SOURCE, count_files, crimes_and_asb
from saferhood.crime.tests.test_import_street import STREET

SPLIT_2011 = "E01010074"  # Sandwell 014E, split into 014F and 014G in 2021
STAFFS_MONTHS = ("2022-01", "2022-02", "2022-03")
STAFFS_LADS = ["E06000021", *[f"E0700019{i}" for i in range(2, 10)]]  # Stoke and the eight districts


@cache
def exact() -> pd.DataFrame:
    return pd.read_csv(
        GEO / "ons-lookup-lsoa11-lsoa21-population/lsoa11_to_lsoa21_exact.csv",
        dtype=str,
        encoding="utf-8-sig",
    )


@cache
def ward25() -> pd.DataFrame:
    return pd.read_excel(GEO / "bcc-phm-lsoa21-ward25-imd25/lsoa21-lookup.xlsx", dtype=str)


@cache
def mid2022() -> dict[str, int]:
    pops = pd.read_csv(GEO / "ons-lookup-lsoa11-lsoa21-population/lsoa_population.csv", encoding="utf-8-sig")
    return dict(zip(pops.lsoacd, pops.population, strict=True))


def ward_of_2011(code: str) -> str | None:
    """The 2025 ward a published LSOA code counts in (best fit by residents)."""
    wards = ward25().set_index("lsoa21cd").wd25cd
    if code in wards.index:
        return wards[code]
    share: dict[str, int] = {}
    for l21 in exact()[exact().LSOA11CD == code].LSOA21CD:
        share[wards[l21]] = share.get(wards[l21], 0) + mid2022().get(l21, 1)
    return min(share, key=lambda w: (-share[w], w)) if share else None


def profile(client: Client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def read_counts(start: str, end: str) -> pd.DataFrame:
    frame = pd.concat([pd.read_csv(p, dtype={"lsoa_code": str}) for p in count_files(start, end)])
    frame["period"] = frame.year.astype(str) + "-" + frame.month.map("{:02d}".format)
    return frame


def test_a_2011_lsoa_answers_through_its_2021_parts_and_its_ward_lists_one_vintage(db, client):
    import_counts(count_files("2023-07", "2023-10"), source=SOURCE, progress=False)
    counts = read_counts("2023-07", "2023-10")
    parts = sorted(exact()[exact().LSOA11CD == SPLIT_2011].LSOA21CD)
    assert parts == ["E01033886", "E01033887"]
    expected = crimes_and_asb(counts[counts.lsoa_code.isin(parts)])
    assert expected[0] > 100  # its successors hold hundreds of crimes

    body = profile(client, SPLIT_2011, "2023-07", "2023-10")
    assert (body["crimes"], body["asb"]) == expected  # was 0 and 0
    assert body["rate_per_1000"] == round(1000 * expected[0] / sum(mid2022()[p] for p in parts), 2)
    assert body["geography"]["answers"] == "successors"
    assert body["geography"]["through"] == parts
    assert "E01033886" in body["geography"]["notes"][0]

    # The page says the same, and states the rule.

    client.force_login(get_user_model().objects.create_user("vintage-analyst", password="a-long-test-pw-1"))
    page = client.get(f"/areas/{SPLIT_2011}/", {"from": "2023-07", "to": "2023-10"}).content.decode()
    assert 'data-testid="geography-notes"' in page and "E01033886, E01033887" in page
    assert "one current geography: LSOA 2021 and the newest ward pattern" in page
    assert f"{expected[0]:,}" in page

    # Its ward lists 2021 LSOAs only; their residents add up to the ward's, counted once.
    ward = ward25().set_index("lsoa21cd").wd25cd[parts[0]]
    ward_body = profile(client, ward, "2023-07", "2023-10")
    lsoas = ward25()[ward25().wd25cd == ward].lsoa21cd
    children = ward_body["children"]
    assert sorted(c["code"] for c in children) == sorted(lsoas)
    assert SPLIT_2011 not in {c["code"] for c in children}
    population = sum(mid2022()[c] for c in lsoas)
    assert sum(c["population"] for c in children) == ward_body["area"]["population"] == population
    assert sum(c["crimes"] for c in children) == ward_body["crimes"]
    assert ward_body["crimes"] == crimes_and_asb(counts[counts.lsoa_code.isin(lsoas)])[0]


@pytest.fixture
def staffordshire(db) -> pd.DataFrame:
    paths = [STREET / m / f"{m}-staffordshire-street.csv" for m in STAFFS_MONTHS]
    import_police(paths, progress=False)
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths])
    frame = frame[frame["LSOA code"] != ""].copy()
    frame["ward"] = frame["LSOA code"].map({c: ward_of_2011(c) for c in frame["LSOA code"].unique()})
    lad = ward25().drop_duplicates("wd25cd").set_index("wd25cd").lad25cd
    frame["lad"] = frame.ward.map(lad)
    return frame


def test_each_staffordshire_authority_lists_one_ward_pattern_that_sums_to_it(client, staffordshire):
    start, end = STAFFS_MONTHS[0], STAFFS_MONTHS[-1]
    for lad in STAFFS_LADS:
        rows = staffordshire[staffordshire.lad == lad]
        body = profile(client, lad, start, end)
        children = body["children"]
        assert {c["level"] for c in children} == {"ward"}, lad
        expected_wards = set(ward25()[ward25().lad25cd == lad].wd25cd)
        assert {c["code"] for c in children} == expected_wards, lad  # the 2025 pattern, nothing retired
        assert all("WD25" in c["vintages"].split() for c in children), lad
        assert body["geography"]["rule"].startswith("Every figure uses one current geography")
        crimes = rows[rows["Crime type"] != ASB]
        assert body["crimes"] == len(crimes), lad
        assert sum(c["crimes"] for c in children) == body["crimes"], lad
        assert sum(c["asb"] for c in children) == body["asb"] == len(rows) - len(crimes), lad
        by_ward = crimes.groupby("ward").size().to_dict()
        assert {c["code"]: c["crimes"] for c in children if c["crimes"]} == by_ward, lad


def test_a_retired_ward_and_a_part_of_a_split_answer_not_applicable_never_zero(client, staffordshire):
    start, end = STAFFS_MONTHS[0], STAFFS_MONTHS[-1]
    wd21 = pd.read_csv(
        GEO / "ons-lookup-lsoa11-ward-lad/LSOA11_WD21_LAD21_EW_LU.csv", dtype=str, encoding="utf-8-sig"
    )
    staffs21 = wd21[wd21.LAD21CD.isin(STAFFS_LADS)]
    retired = sorted(set(staffs21.WD21CD) - set(ward25().wd25cd))
    assert retired  # Staffordshire's wards were redrawn after 2021
    body = profile(client, retired[0], start, end)
    assert body["crimes"] is None and body["asb"] is None and body["rate_per_1000"] is None
    assert body["geography"]["answers"] == "retired" and body["geography"]["applicable"] is False

    # A 2021 part of a split 2011 LSOA that holds 2022 records: its share cannot be known.
    split = exact()[exact().CHGIND == "S"]
    held = split[split.LSOA11CD.isin(staffordshire["LSOA code"])]
    part, whole = held.iloc[0].LSOA21CD, held.iloc[0].LSOA11CD
    body = profile(client, part, start, end)
    assert body["crimes"] is None and body["geography"]["applicable"] is False
    assert body["geography"]["not_applicable_months"] == list(STAFFS_MONTHS)
    # Each such month says why it is a gap: not applicable, not "no data loaded" (data is loaded).
    assert {g["month"] for g in body["gap_reasons"]} == set(STAFFS_MONTHS)
    assert all(g["reason"].startswith("not applicable") for g in body["gap_reasons"])
    client.force_login(get_user_model().objects.create_user("gap-reader", password="a-long-test-pw-1"))
    page = client.get(f"/areas/{part}/", {"from": start, "to": end}).content.decode()
    assert f"{pd.Period(start, 'M').strftime('%b %Y')}: not applicable" in page  # the chart's gap band
    assert "no data loaded" not in page
    ward = ward25().set_index("lsoa21cd").wd25cd[part]
    listed = {c["code"]: c for c in profile(client, ward, start, end)["children"]}
    assert listed[part]["crimes"] is None and listed[part]["rate_per_1000"] is None  # not 0
    # … while the 2011 code answers with its own records.
    body = profile(client, whole, start, end)
    rows = staffordshire[staffordshire["LSOA code"] == whole]
    assert body["crimes"] == int((rows["Crime type"] != ASB).sum()) and body["crimes"] > 0


def test_replace_areas_moves_rows_stored_under_a_retired_ward(client, staffordshire):
    """A database filled before the rule holds 2011-only codes under their 2021 wards: the
    command moves them to the current ward and a second run changes nothing."""
    from django.core.management import call_command

    from saferhood.crime.models import CrimeRecord, MonthlyCount

    wd21 = pd.read_csv(
        GEO / "ons-lookup-lsoa11-ward-lad/LSOA11_WD21_LAD21_EW_LU.csv", dtype=str, encoding="utf-8-sig"
    ).set_index("LSOA11CD")
    moved = sorted(set(staffordshire["LSOA code"]) - set(ward25().lsoa21cd) & set(wd21.index))
    old = {code: wd21.WD21CD[code] for code in moved if wd21.WD21CD[code] != ward_of_2011(code)}
    assert old
    for code, ward in old.items():  # as the import placed them before ADR 0005
        MonthlyCount.objects.filter(lsoa_code=code).update(ward_code=ward, town_code="")
        CrimeRecord.objects.filter(lsoa_code=code).update(ward_code=ward, town_code="")

    call_command("replace_areas", stdout=open("/dev/null", "w"))

    for code in old:
        assert set(MonthlyCount.objects.filter(lsoa_code=code).values_list("ward_code", flat=True)) == {
            ward_of_2011(code)
        }
        assert set(CrimeRecord.objects.filter(lsoa_code=code).values_list("ward_code", flat=True)) == {
            ward_of_2011(code)
        }
    from saferhood.crime.replace_areas import replace_areas

    assert set(replace_areas().values()) == {0}


def test_a_2021_lsoa_merged_from_2011_ones_answers_through_them(client, staffordshire):
    merged = exact()[exact().CHGIND == "M"]
    in_staffs = staffordshire[staffordshire.lad.isin(STAFFS_LADS)]
    held = merged.merge(
        in_staffs["LSOA code"].value_counts().rename("n"), left_on="LSOA11CD", right_index=True
    )
    code = held.groupby("LSOA21CD").n.sum().idxmax()  # the busiest, in a covered authority
    predecessors = sorted(merged[merged.LSOA21CD == code].LSOA11CD)
    rows = staffordshire[staffordshire["LSOA code"].isin(predecessors)]
    body = profile(client, code, STAFFS_MONTHS[0], STAFFS_MONTHS[-1])
    assert body["crimes"] == int((rows["Crime type"] != ASB).sum()) > 0  # was 0
    assert body["geography"]["answers"] == "predecessors"
    assert body["geography"]["through"] == predecessors
    # In its ward's list it carries the same figure, once.
    ward = profile(client, ward25().set_index("lsoa21cd").wd25cd[code], STAFFS_MONTHS[0], STAFFS_MONTHS[-1])
    listed = {c["code"]: c for c in ward["children"]}
    assert listed[code]["crimes"] == body["crimes"]
    assert not set(predecessors) & set(listed)
