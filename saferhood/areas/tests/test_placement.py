"""Placement against the real bundled geography and real police.uk API records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest
from django.conf import settings

from saferhood.areas.placement import AreaIndex, Placement

API = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk/police-uk-api-sandwell-wards-2018-06"


def lon_lat(path: Path) -> tuple[numpy.ndarray, numpy.ndarray]:
    records = json.loads(path.read_text())
    return (
        numpy.array([float(r["location"]["longitude"]) for r in records]),
        numpy.array([float(r["location"]["latitude"]) for r in records]),
    )


@pytest.fixture
def index(db) -> AreaIndex:
    return AreaIndex.load()


def test_by_lsoa(index):
    # A 2021 code and a split 2011-only code (police.uk used it until May 2023).
    assert index.by_lsoa("E01009980") == Placement("E01009980", "E05001267", "tipton", "E08000028")
    old = index.by_lsoa("E01010074")
    assert old is not None and old.town_code == "tipton" and old.lad_code == "E08000028"
    assert index.by_lsoa("E01999999") is None
    assert index.by_lsoa("E05001267") is None  # a ward code is not an LSOA
    birmingham = index.by_lsoa("E01000001")  # City of London: no towns configured there
    assert birmingham is not None and birmingham.town_code == "" and birmingham.lad_code == "E09000001"


def test_by_points_on_api_records(index):
    lon, lat = lon_lat(API / "output_month_2017_01_area_E05001260_0.json")
    placed = index.by_points(lon, lat)
    in_abbey = [p for p in placed if p is not None and p.ward_code == "E05001260"]
    # The API polygons are super-generalised and overlap their neighbours (SOURCE.md), so a few
    # records of the Abbey file lie just over its edge: 101 of 114 fall inside the ward.
    assert len(in_abbey) / len(placed) > 0.85
    assert all(
        p.lsoa_code == "" and p.town_code == "smethwick" and p.lad_code == "E08000028" for p in in_abbey
    )
    same = total = 0
    for path in sorted(API.glob("*_area_E05*.json")):
        ward = path.stem.split("_area_")[1][:9]
        result = index.by_points(*lon_lat(path))
        same += sum(1 for p in result if p is not None and p.ward_code == ward)
        total += len(result)
    assert same / total > 0.95


def test_points_outside_any_ward_and_partnership(index):
    placed = index.by_points(numpy.array([-1.98, 0.0, numpy.nan]), numpy.array([52.52, 51.0, numpy.nan]))
    assert placed[0] is not None and index.is_in_partnership(placed[0])
    assert placed[1:] == [None, None]
    assert not index.is_in_partnership(None)
    assert not index.is_in_partnership(index.by_lsoa("E01000001"))


def test_by_lsoas_fetches_in_batches_and_agrees_with_ons(db):
    """1,680 West Midlands 2011 LSOAs (two batches of queries): each lands in the local authority
    the ONS lookup gives, with a town exactly where the partnership configured towns (Sandwell)."""
    import pandas as pd

    from saferhood.areas import placement

    lookup = pd.read_csv(
        Path(settings.SAFERHOOD_DEMO_DIR)
        / "geography/ons-lookup-lsoa11-ward-lad/LSOA11_WD21_LAD21_EW_LU.csv",
        dtype=str,
        encoding="utf-8-sig",
    )
    lookup = lookup[lookup["LAD21CD"].str.match(r"E080000(2[5-9]|3[01])$")]
    assert len(lookup) > placement.LSOAS_PER_QUERY
    codes = [*lookup["LSOA11CD"], "E05001267", "E01999999"]  # a ward code, an unknown code

    placed = AreaIndex.load().by_lsoas(codes)

    assert placed[-2:] == [None, None]
    assert [p.lad_code for p in placed[:-2]] == list(lookup["LAD21CD"])
    assert [bool(p.town_code) for p in placed[:-2]] == list(lookup["LAD21CD"] == "E08000028")
    one_by_one = AreaIndex.load()
    assert placed == [one_by_one.by_lsoa(code) for code in codes]
