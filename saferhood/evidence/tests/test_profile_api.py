"""Area profiles through the API, checked against pandas on the same real files.

Every figure is recomputed here without Saferhood's code: pandas reads the police.uk files,
the ONS lookups place them, shapely places the API records in the ONS ward polygons.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from django.conf import settings
from django.test import Client

from saferhood.crime.importers import import_police
from saferhood.crime.tests.independent_partial import partial_shares

DEMO = Path(settings.SAFERHOOD_DEMO_DIR)
STREET = DEMO / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
API_JSON = DEMO / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
GEO = DEMO / "geography"
STAFFS_MONTHS = ["2022-01", "2022-02", "2022-03", "2022-04", "2022-05", "2022-06"]
ASB = "Anti-social behaviour"


@pytest.fixture(scope="module")
def staffs() -> pd.DataFrame:
    frames = [pd.read_csv(STREET / m / f"{m}-staffordshire-street.csv", dtype=str) for m in STAFFS_MONTHS]
    df = pd.concat(frames, ignore_index=True)
    lookup = pd.read_csv(GEO / "ons-lookup-lsoa11-ward-lad" / "LSOA11_WD21_LAD21_EW_LU.csv", dtype=str)
    return df.merge(lookup[["LSOA11CD", "LAD21CD"]], left_on="LSOA code", right_on="LSOA11CD", how="left")


@pytest.fixture(scope="module")
def sandwell_api() -> pd.DataFrame:
    records = []
    for path in sorted(API_JSON.glob("*.json")):
        records += json.loads(path.read_text())
    df = pd.DataFrame(
        {
            "id": [r["id"] for r in records],
            "category": [r["category"] for r in records],
            "lon": [float(r["location"]["longitude"]) for r in records],
            "lat": [float(r["location"]["latitude"]) for r in records],
        }
    ).drop_duplicates("id")
    # Place each record in the ONS ward polygon that contains it, independently of the app.
    wards = json.loads((GEO / "ons-census-merged-wards-2011-west-midlands" / "E08000028.geojson").read_text())
    towns = pd.read_csv(GEO / "sandwell-six-towns" / "sandwell_ward_to_town_DERIVED.csv", dtype=str)
    name_to_code = dict(zip(towns.ward_name, towns.ward_code, strict=True))
    points = shapely.points(df.lon.to_numpy(), df.lat.to_numpy())
    df["ward_code"] = None
    for feature in wards["features"]:
        polygon = shapely.geometry.shape(feature["geometry"])
        inside = shapely.contains_xy(polygon, df.lon.to_numpy(), df.lat.to_numpy()) | shapely.intersects(
            polygon, points
        )
        df.loc[inside & df.ward_code.isna(), "ward_code"] = name_to_code[feature["properties"]["cmwd11nm"]]
    df["town"] = df.ward_code.map(dict(zip(towns.ward_code, towns.town, strict=True)))
    return df


@pytest.fixture
def loaded(db):
    import_police([STREET / m / f"{m}-staffordshire-street.csv" for m in STAFFS_MONTHS], progress=False)
    import_police([API_JSON], progress=False)


def profile(client: Client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def crimes_and_asb(frame: pd.DataFrame, type_column: str = "Crime type", asb: str = ASB) -> tuple[int, int]:
    n_asb = int((frame[type_column] == asb).sum())
    return len(frame) - n_asb, n_asb


def partial(staffs: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Staffordshire's partial local authority-months, by the README rule, in pandas."""
    return partial_shares(staffs.groupby(["LAD21CD", "Month"]).size())


def test_local_authority_profile_equals_pandas(loaded, staffs, client):
    stoke = staffs[staffs.LAD21CD == "E06000021"]
    body = profile(client, "E06000021", "2022-04", "2022-06")
    # Stoke's January 2022 holds 66% of the usual records per day of its neighbouring months
    # (Staffordshire ramps up from January to April 2022): a partial month, so a gap.
    shares = partial(staffs)
    assert [m for lad, m in shares if lad == "E06000021"] == ["2022-01"]
    assert body["previous"]["gap_reasons"] == [
        {
            "month": "2022-01",
            "reason": f"partial month: {round(100 * shares[('E06000021', '2022-01')])}% of the usual",
        }
    ]
    now = stoke[stoke.Month.isin(["2022-04", "2022-05", "2022-06"])]
    before = stoke[stoke.Month.isin(["2022-02", "2022-03"])]
    assert (body["crimes"], body["asb"]) == crimes_and_asb(now)
    assert (body["previous"]["crimes"], body["previous"]["asb"]) == crimes_and_asb(before)
    assert body["by_type"] == now["Crime type"].value_counts().to_dict()
    # Change per day: April-June has 91 days, February-March (the loaded months) 59.
    assert body["change"]["absolute"] == round(body["crimes"] - body["previous"]["crimes"] * 91 / 59)
    assert body["change"]["exposure"].startswith("per day: 91 days against 59")
    # Five loaded months are too few to estimate how much the monthly counts vary: not tested.
    assert body["change"]["significant"] is None
    assert body["change"]["test"].startswith("not tested: fewer than 6 loaded months")
    series = {p["month"]: (p["crimes"], p["asb"]) for p in body["series"]}
    for month in ["2022-04", "2022-05", "2022-06"]:
        assert series[month] == crimes_and_asb(stoke[stoke.Month == month])
    assert sum(c["crimes"] for c in body["children"]) <= body["crimes"]


def test_rate_uses_the_mid_2022_population(loaded, staffs, client):
    pop = pd.read_csv(
        GEO / "ons-lookup-lsoa11-lsoa21-population" / "lsoa_population.csv", dtype={"population": int}
    )
    lad = pd.read_csv(GEO / "ons-lookup-lsoa11-lsoa21-population" / "lsoa11_to_lsoa21_exact.csv", dtype=str)
    stoke_lsoa21 = set(lad.loc[lad.LAD22CD == "E06000021", "LSOA21CD"])
    population = int(pop.loc[pop.lsoacd.isin(stoke_lsoa21), "population"].sum())
    body = profile(client, "E06000021", "2022-01", "2022-06")
    assert body["area"]["population"] == population
    assert body["area"]["population_vintage"] == "mid-2022"
    assert body["rate_per_1000"] == pytest.approx(1000 * body["crimes"] / population, abs=0.01)


def test_lsoa_profile_equals_pandas(loaded, staffs, client):
    busiest = staffs["LSOA code"].value_counts().index[0]
    body = profile(client, busiest, "2022-01", "2022-06")
    lad = staffs.loc[staffs["LSOA code"] == busiest, "LAD21CD"].iloc[0]
    gaps = sorted(m for code, m in partial(staffs) if code == lad)
    assert body["gaps"] == gaps
    rows = staffs[(staffs["LSOA code"] == busiest) & ~staffs.Month.isin(gaps)]
    assert (body["crimes"], body["asb"]) == crimes_and_asb(rows)
    assert body["area"]["level"] == "lsoa"


def test_sandwell_town_and_ward_profiles_from_api_json(loaded, sandwell_api, client):
    body = profile(client, "E08000028", "2018-06", "2018-06")
    # The police's request polygons overlap the borough edge: a few of the 2,834 records lie
    # outside every Sandwell ward boundary and so belong to a neighbour, not to Sandwell.
    in_sandwell = sandwell_api[sandwell_api.ward_code.notna()]
    assert len(sandwell_api) == 2834
    assert 2800 < len(in_sandwell) <= 2834
    assert (body["crimes"], body["asb"]) == crimes_and_asb(in_sandwell, "category", "anti-social-behaviour")
    names = {
        "violent-crime": "Violence and sexual offences",
        "anti-social-behaviour": ASB,
        "burglary": "Burglary",
    }
    for slug, name in names.items():
        assert body["by_type"][name] == int((in_sandwell.category == slug).sum())
    towns = {c["code"]: c for c in body["children"]}
    expected_towns = sandwell_api.groupby("town").size()
    for town, n in expected_towns.items():
        slug = town.lower().replace(" ", "-")
        assert towns[slug]["crimes"] + towns[slug]["asb"] == n, town

    tipton = profile(client, "tipton", "2018-06", "2018-06")
    in_tipton = sandwell_api[sandwell_api.town == "Tipton"]
    assert (tipton["crimes"], tipton["asb"]) == crimes_and_asb(in_tipton, "category", "anti-social-behaviour")
    assert tipton["area"]["parent"]["code"] == "E08000028"
    wards = {c["code"]: c for c in tipton["children"]}
    assert set(wards) == set(in_tipton.ward_code)
    for ward_code, group in in_tipton.groupby("ward_code"):
        assert (wards[ward_code]["crimes"], wards[ward_code]["asb"]) == crimes_and_asb(
            group, "category", "anti-social-behaviour"
        )
        ward = profile(client, ward_code, "2018-06", "2018-06")
        assert ward["crimes"] + ward["asb"] == len(group)


def test_months_without_data_are_gaps_not_zeros(loaded, client):
    body = profile(client, "E08000028", "2018-01", "2018-06")
    assert body["gaps"] == ["2018-01", "2018-02", "2018-03", "2018-04", "2018-05"]
    assert body["series"][0] == {"month": "2018-01", "crimes": None, "asb": None}
    assert body["change"]["significant"] is None  # untestable: the periods are incomplete
    assert body["sources"] == [{"source": "police.uk API", "months": ["2018-06"]}]


def test_reimport_changes_no_figure(loaded, client):
    before = profile(client, "E06000021", "2022-01", "2022-06")
    import_police([STREET / "2022-03" / "2022-03-staffordshire-street.csv"], progress=False)
    assert profile(client, "E06000021", "2022-01", "2022-06") == before


@pytest.mark.parametrize(
    "params,needle",
    [
        ({"from": "2022-13", "to": "2022-06"}, "'from'"),
        ({"from": "2022-06", "to": "June"}, "'to'"),
        ({"from": "2022-06", "to": "2022-01"}, "reversed"),
    ],
)
def test_bad_months_get_422_naming_the_parameter(db, client, params, needle):
    response = client.get("/api/v1/areas/E08000028/profile", params)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_unknown_area_is_404(db, client):
    response = client.get("/api/v1/areas/E99999999/profile", {"from": "2022-01", "to": "2022-02"})
    assert response.status_code == 404


def test_openapi_documents_the_profile(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/areas/{code}/profile" in schema["paths"]


def test_a_previous_period_without_data_is_no_data_not_zero(loaded, client):
    body = profile(client, "E08000028", "2018-06", "2018-06")
    assert body["previous"]["crimes"] is None and body["previous"]["asb"] is None
    assert body["change"]["absolute"] is None and body["change"]["significant"] is None
    assert "no complete month of data in the comparison period" in body["change"]["test"]
