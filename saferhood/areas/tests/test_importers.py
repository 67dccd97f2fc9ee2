"""The bundled geography (loaded once per session by conftest) against figures computed here with pandas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely
from django.conf import settings
from django.db.models import Q

from saferhood.areas.importers import import_geography
from saferhood.areas.models import Area, AreaLevel, LsoaChange, Population
from saferhood.core.errors import ImportFileError

GEO = Path(settings.SAFERHOOD_DEMO_DIR) / "geography"
SANDWELL = "E08000028"


@pytest.fixture(scope="module")
def expected() -> dict:
    """Sandwell figures from the files, independently of the importer."""
    lookup = pd.read_excel(GEO / "bcc-phm-lsoa21-ward25-imd25/lsoa21-lookup.xlsx", dtype=str)
    lookup = lookup[lookup.lad25cd == SANDWELL]
    mid = pd.read_csv(GEO / "ons-lookup-lsoa11-lsoa21-population/lsoa_population.csv", encoding="utf-8-sig")
    census = pd.read_csv(GEO / "ons-census2021-ts001-lsoa21/TS001_usual_residents_LSOA2021.csv").dropna(
        subset=["mnemonic"]
    )
    towns = pd.read_csv(GEO / "sandwell-six-towns/sandwell_ward_to_town_DERIVED.csv", dtype=str)
    df = lookup.merge(mid, left_on="lsoa21cd", right_on="lsoacd").merge(
        census, left_on="lsoa21cd", right_on="mnemonic"
    )
    df = df.merge(towns[["town", "ward_code"]], left_on="wd25cd", right_on="ward_code")
    wd21 = pd.read_csv(GEO / "ons-lookup-lsoa11-ward-lad/LSOA11_WD21_LAD21_EW_LU.csv", encoding="utf-8-sig")
    return {
        "lsoa21": set(df.lsoa21cd),
        "mid": int(df.population.sum()),
        "census": int(df.total.astype(int).sum()),
        "town_mid": df.groupby("town").population.sum().to_dict(),
        "town_census": df.groupby("town").total.apply(lambda s: s.astype(int).sum()).to_dict(),
        "ward_mid": df.groupby("wd25cd").population.sum().to_dict(),
        "lsoa11": set(wd21[wd21.LAD21CD == SANDWELL].LSOA11CD),
    }


def pop(code: str, vintage: str = "mid-2022") -> int | None:
    return Population.objects.filter(area__code=code, vintage=vintage).values_list("count", flat=True).first()


def sandwell_lsoas(vintage: str) -> set[str]:
    """LSOAs under a Sandwell ward, whether the ward hangs from a town or from the LAD itself."""
    under = Q(parent__parent__code=SANDWELL) | Q(parent__parent__parent__code=SANDWELL)
    return set(Area.objects.lsoas_of(vintage).filter(under).values_list("code", flat=True))


@pytest.mark.django_db
def test_sandwell_lsoa21_populations_match_the_files(expected):
    assert len(expected["lsoa21"]) == 190
    assert sandwell_lsoas("LSOA21") == expected["lsoa21"]
    assert expected["mid"] == 344_210 and expected["census"] == 341_849
    assert sum(pop(c) for c in expected["lsoa21"]) == expected["mid"]
    assert pop(SANDWELL) == 344_210
    assert pop(SANDWELL, "census-2021") == 341_849


@pytest.mark.django_db
def test_towns_and_their_populations(expected):
    # The table in demo/geography/sandwell-six-towns/SOURCE.md, and pandas' own sums.
    table = {
        "west-bromwich": ("West Bromwich", 85_278, 84_252),
        "smethwick": ("Smethwick", 63_799, 63_230),
        "oldbury": ("Oldbury", 55_596, 55_314),
        "rowley-regis": ("Rowley Regis", 54_538, 54_086),
        "tipton": ("Tipton", 44_128, 44_004),
        "wednesbury": ("Wednesbury", 40_871, 40_963),
    }
    towns = Area.objects.at_level(AreaLevel.TOWN)
    assert {t.code for t in towns} == set(table)
    for town in towns:
        name, mid, census = table[town.code]
        assert town.name == name and town.parent.code == SANDWELL
        assert pop(town.code) == mid == expected["town_mid"][name]
        assert pop(town.code, "census-2021") == census == expected["town_census"][name]
        assert town.boundary_source.endswith("Sandwell_Towns.geojson")
    assert Area.objects.get(code="E05001279").parent.code == "tipton"  # Tipton Green


@pytest.mark.django_db
def test_wards_lads_csp_pfa(expected):
    wards = Area.objects.filter(level=AreaLevel.WARD, parent__parent__code=SANDWELL)
    assert wards.count() == 24
    for ward in wards:
        assert ward.vintages == "WD21 WD25"
        assert pop(ward.code) == expected["ward_mid"][ward.code]
        assert ward.boundary_source.endswith("E08000028.geojson")
    lad = Area.objects.get(code=SANDWELL)
    assert (lad.name, lad.parent.code, lad.parent.parent.code) == ("Sandwell", "E22000338", "E23000014")
    assert lad.boundary_source == "union of its wards"
    # 186 LSOA11 codes under Sandwell's 24 wards: the 182 unchanged ones plus the 4 split ones.
    lsoa11 = sandwell_lsoas("LSOA11")
    assert len(lsoa11) == 186 and lsoa11 == expected["lsoa11"]
    assert Area.objects.get(code="E01010074").vintages == "LSOA11"
    assert Area.objects.get(code="E01009980").name  # named from the lookups
    assert Area.objects.get(code="E01010074").name == "Sandwell 014E"


@pytest.mark.django_db
def test_split_lsoa11_gets_sum_of_its_parts_merged_gets_none():
    parts = LsoaChange.objects.filter(lsoa11="E01010074").values_list("lsoa21", flat=True)
    assert len(parts) == 2 and all(
        c == "S" for c in LsoaChange.objects.filter(lsoa11="E01010074").values_list("change", flat=True)
    )
    assert pop("E01010074") == sum(pop(c) for c in parts)
    merged = LsoaChange.objects.filter(change="M").values_list("lsoa11", flat=True).first()
    assert pop(merged) is None
    assert LsoaChange.objects.count() == 35_796


@pytest.mark.django_db
def test_boundaries_are_clockwise_geojson():
    area = Area.objects.get(code="E05001260")
    geom = shapely.from_geojson(area.boundary)
    polygons = getattr(geom, "geoms", [geom])
    assert all(not p.exterior.is_ccw for p in polygons)
    # Birmingham's file is the pre-2018 ward pattern: no shapes attached to same-named new wards.
    assert (
        not Area.objects.filter(level=AreaLevel.WARD, parent__code="E08000025").exclude(boundary="").exists()
    )


@pytest.mark.django_db
def test_second_run_changes_nothing():
    before = Area.objects.count(), Population.objects.count()
    summary = import_geography(None)
    assert (summary.created, summary.updated, summary.population_rows_written) == (0, 0, 0)
    assert (Area.objects.count(), Population.objects.count()) == before
    assert "Tipton" in summary.render()


@pytest.mark.django_db
def test_custom_towns_table_regroups_wards(tmp_path):
    csv = tmp_path / "towns.csv"
    csv.write_text(
        "town,ward_code\nNorth Sandwell,E05001265\nNorth Sandwell,E05001281\nSouth Sandwell,E05001260\n"
    )
    summary = import_geography([csv])
    north = Area.objects.get(code="north-sandwell")
    assert north.parent.code == SANDWELL and north.boundary_source == "union of its wards"
    assert pop("north-sandwell") == pop("E05001265") + pop("E05001281")
    # Wards left out of the new table go back under the LAD; the old towns stay but are reported.
    assert Area.objects.get(code="E05001279").parent.code == SANDWELL
    assert "towns no longer configured" in summary.render()


@pytest.mark.django_db
def test_dry_run_stores_nothing(tmp_path):
    csv = tmp_path / "towns.csv"
    csv.write_text("town,ward_code\nNorth Sandwell,E05001265\n")
    import_geography([csv], dry_run=True)
    assert not Area.objects.filter(code="north-sandwell").exists()


@pytest.mark.django_db
def test_towns_table_without_ward_code_column_is_refused(tmp_path):
    bad = tmp_path / "towns.csv"
    src = pd.read_csv(GEO / "sandwell-six-towns/sandwell_ward_to_town_DERIVED.csv", dtype=str)
    src.drop(columns=["ward_code"]).to_csv(bad, index=False)
    with pytest.raises(ImportFileError) as err:
        import_geography(None, towns_csv=bad)
    assert err.value.line == 1 and err.value.column == "ward_code"
    assert str(bad) in str(err.value)


@pytest.mark.django_db
def test_unknown_ward_in_towns_table_stores_nothing(tmp_path):
    folder = tmp_path / "geo"
    shutil.copytree(GEO / "sandwell-six-towns", folder)
    csv = folder / "sandwell_ward_to_town_DERIVED.csv"
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].replace("E05001272", "E05999999")
    lines.insert(1, "Newtown,E05001265")  # would move Friar Park, if anything were stored
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError) as err:
        import_geography([folder])
    assert (err.value.line, err.value.column) == (5, "ward_code")
    assert "E05999999" in str(err.value)
    assert not Area.objects.filter(code="newtown").exists()
    assert Area.objects.get(code="E05001265").parent.code == "wednesbury"


@pytest.mark.django_db
def test_bad_population_value_names_line_and_column(tmp_path):
    bad = tmp_path / "lsoa_population.csv"
    bad.write_text("lsoacd,population\nE01009980,1500\nE01009981,lots\n")
    with pytest.raises(ImportFileError) as err:
        import_geography([bad])
    assert (err.value.line, err.value.column) == (3, "population")
    assert pop("E01009980") != 1500
