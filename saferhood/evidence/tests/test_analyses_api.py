"""The analyses API on real police.uk records (Stafford, 2022), checked by hand with pandas and numpy.

What an analyst would check: the cell counts are the records binned into the stated grid, the
KDE is the quartic-kernel sum over those records, Gi* follows its formula on the returned counts,
repeat locations are a group-by of the file, change compares the right months, and every alert's
expected count comes from the area's own history. Counts-only periods say they have no points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.conf import settings
from django.test import Client
from pyproj import Transformer
from scipy import stats

from saferhood.accounts.tests.conftest import make_user
from saferhood.crime.importers import import_police
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SOURCE, count_files

STREET = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
LOOKUP = (
    Path(settings.SAFERHOOD_DEMO_DIR)
    / "geography"
    / "ons-lookup-lsoa11-ward-lad"
    / "LSOA11_WD21_LAD21_EW_LU.csv"
)
STAFFORD = "E07000197"
# Stafford's January 2022 holds 59% of its neighbouring months' records per day: a partial month
# (README "Partial months"), a gap in every analysis. The year read here starts in February.
YEAR = {"from": "2022-02", "to": "2022-11"}


def street_files() -> list[Path]:
    return sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv")) + sorted(
        STREET.glob("2022-*/2022-*-btp-street.csv")
    )


@pytest.fixture(scope="module")
def stafford() -> pd.DataFrame:
    """Every 2022 street record (Staffordshire Police and BTP) whose LSOA lies in Stafford, with BNG x, y."""
    frame = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in street_files()], ignore_index=True
    )
    lookup = pd.read_csv(LOOKUP, dtype=str, encoding="utf-8-sig")
    frame = frame.merge(
        lookup[["LSOA11CD", "WD21CD", "WD21NM", "LAD21CD"]], left_on="LSOA code", right_on="LSOA11CD"
    )
    frame = frame[(frame.LAD21CD == STAFFORD) & (frame.Month != "2022-01")].copy()
    frame = frame[frame.Longitude != ""]
    frame["lon"], frame["lat"] = frame.Longitude.astype(float), frame.Latitude.astype(float)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    frame["x"], frame["y"] = to_bng.transform(frame.lon.to_numpy(), frame.lat.to_numpy())
    return frame.reset_index(drop=True)


@pytest.fixture
def loaded(db) -> None:
    import_police(street_files(), progress=False)


def get(client: Client, route: str, **query) -> dict:
    response = client.get(f"/api/v1/areas/{STAFFORD}/{route}", query)
    assert response.status_code == 200, response.content
    return response.json()


def cells(body: dict, *names: str) -> pd.DataFrame:
    return pd.DataFrame([f["properties"] for f in body["features"]])[["row", "col", *names]]


def grid_origin(body: dict, frame: pd.DataFrame) -> tuple[float, float, float]:
    """The grid's lower-left corner: the records' extent snapped down to the stated cell size."""
    size = body["grid"]["cell_size_m"]
    return np.floor(frame.x.min() / size) * size, np.floor(frame.y.min() / size) * size, size


def test_hotspots_bin_smooth_and_test_the_records(client: Client, loaded, stafford: pd.DataFrame) -> None:
    asb = stafford[stafford["Crime type"] == "Anti-social behaviour"]
    body = get(client, "hotspots", type="asb", cell=400, **YEAR)
    assert body["parameters"]["cell"] == 400 and body["parameters"]["type"] == "Anti-social behaviour"
    assert body["records"] == len(asb) == body["records_in_grid"]
    assert body["months_with_points"] == [f"2022-{m:02d}" for m in range(2, 12)]
    assert any("snap point" in c for c in body["caveats"])

    # Counts: the file's records binned into 400 m cells from the snapped origin.
    x0, y0, size = grid_origin(body, asb)
    binned = (
        pd.DataFrame({"row": np.floor((asb.y - y0) / size), "col": np.floor((asb.x - x0) / size)})
        .astype(int)
        .value_counts()
    )
    got = cells(body, "count").set_index(["row", "col"])["count"]
    assert got[got > 0].astype(int).sort_index().to_dict() == binned.sort_index().to_dict()
    assert len(got) == body["grid"]["nx"] * body["grid"]["ny"]  # no boundary loaded: the whole extent

    # KDE at the busiest cell: the quartic-kernel sum over the records, per km².
    table = cells(body, "count", "kde", "gi_z", "p", "p_adj", "class")
    top = table.loc[table["count"].idxmax()]
    cx, cy = x0 + (top["col"] + 0.5) * size, y0 + (top["row"] + 0.5) * size
    h = body["parameters"]["bandwidth"]
    d2 = (asb.x - cx) ** 2 + (asb.y - cy) ** 2
    inside = d2 < h * h
    brute = (3 / (np.pi * h * h) * (1 - d2[inside] / (h * h)) ** 2).sum() * 1e6
    assert top["kde"] == pytest.approx(brute, rel=1e-4)  # the API rounds KDE to 6 decimals

    # Gi* at that cell from its formula on the returned counts (queen neighbours and the cell itself).
    grid = np.zeros((body["grid"]["ny"], body["grid"]["nx"]))
    grid[table["row"], table["col"]] = table["count"]
    n, mean, sd = grid.size, grid.mean(), grid.std()
    r, c = int(top["row"]), int(top["col"])
    window = grid[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2]
    w = window.size
    z = (window.sum() - mean * w) / (sd * np.sqrt((n * w - w * w) / (n - 1)))
    assert top["gi_z"] == pytest.approx(z, rel=1e-9)
    assert top["p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert top["class"] == "hot"
    assert body["summary"]["hot"] == int((table["class"] == "hot").sum()) > 0
    # Benjamini–Hochberg on by default: adjusted p never below the raw p.
    assert (table["p_adj"] >= table["p"] - 1e-15).all()


def test_repeat_locations_are_a_group_by_of_the_file(client: Client, loaded, stafford: pd.DataFrame) -> None:
    asb = stafford[stafford["Crime type"] == "Anti-social behaviour"]
    body = get(client, "repeat-locations", type="asb", top=10, **YEAR)
    expected = (
        asb.groupby(["Location", "lon", "lat"])
        .agg(count=("Month", "size"), months=("Month", "nunique"))
        .reset_index()
        .sort_values("count", ascending=False)
    )
    got = body["locations"]
    assert [loc["count"] for loc in got] == expected["count"].head(10).tolist()
    first = got[0]
    assert (
        first["location"] == expected.iloc[0]["Location"]
        and first["months_active"] == expected.iloc[0]["months"]
    )
    assert first["share"] == pytest.approx(expected.iloc[0]["count"] / len(asb))
    assert first["snap_point"] is True and "snap point" in body["snap_point_caveat"]


def test_hotspot_change_compares_the_stated_months(client: Client, loaded, stafford: pd.DataFrame) -> None:
    body = get(client, "hotspot-change", split="2022-09", cell=500, **{"from": "2022-07", "to": "2022-11"})
    assert body["parameters"]["before"] == {"from": "2022-07", "to": "2022-08"}
    assert body["parameters"]["after"] == {"from": "2022-09", "to": "2022-11"}
    table = cells(body, "before", "after", "p", "class")
    assert table["before"].sum() == stafford.Month.isin(["2022-07", "2022-08"]).sum()
    assert table["after"].sum() == stafford.Month.isin(["2022-09", "2022-10", "2022-11"]).sum()
    # One cell by hand: exact binomial test of after | total with p = 3/5 (three months against two).
    busy = table.loc[(table["before"] + table["after"]).idxmax()]
    total = int(busy["before"] + busy["after"])
    expected_p = stats.binomtest(int(busy["after"]), total, 3 / 5).pvalue
    assert busy["p"] == pytest.approx(expected_p, rel=1e-9)
    assert body["comparable"] is True


def test_hotspot_classes_cover_every_cell(client: Client, loaded) -> None:
    body = get(client, "hotspot-classes", cell=500, **YEAR)
    assert len(body["periods"]) == 10 and body["parameters"]["persistent_prop"] == 0.8
    table = cells(body, "class", "hot_periods")
    assert sum(body["summary"].values()) == len(table)
    persistent = table[table["class"].str.startswith("persistent")]
    assert len(persistent) > 0 and (persistent["hot_periods"] >= 8).all()


def test_alerts_state_expected_and_observed_from_the_areas_own_history(
    client: Client, loaded, stafford: pd.DataFrame
) -> None:
    body = get(client, "alerts", level="ward", **{"from": "2022-07", "to": "2022-11"})
    assert body["alerts"] and body["tests"] > 1000
    alert = body["alerts"][0]
    assert alert["area"]["name"] in alert["sentence"] and alert["crime_type"] in alert["sentence"]
    assert f"{alert['observed']} recorded" in alert["sentence"] and "expected" in alert["sentence"]
    # The expected count: the mean of the ward's previous published months (fewer than 24: no seasonal model).
    ward = stafford[
        (stafford.WD21CD == alert["area"]["code"]) & (stafford["Crime type"] == alert["crime_type"])
    ]
    monthly = ward.groupby("Month").size().reindex([f"2022-{m:02d}" for m in range(2, 12)], fill_value=0)
    before = monthly[monthly.index < alert["month"]].tail(12)
    assert alert["observed"] == monthly[alert["month"]]
    assert alert["expected"] == pytest.approx(before.mean(), abs=0.01)
    assert "previous" in alert["method"]


def test_count_only_periods_say_they_have_no_points(client: Client, db) -> None:
    import_counts(count_files("2025-07", "2026-03"), source=SOURCE, progress=False)
    response = client.get("/api/v1/areas/E08000028/hotspots", {"from": "2025-10", "to": "2026-03"})
    body = response.json()
    assert response.status_code == 200 and body["features"] == [] and body["records"] == 0
    assert body["months_counts_only"] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert "no locations" in body["caveats"][0]
    # Counts still feed the alerts (eight months of history), with Sandwell's towns as the areas.
    alerts = client.get("/api/v1/areas/E08000028/alerts", {"from": "2026-03", "to": "2026-03"}).json()
    assert alerts["parameters"]["level"] == "town" and alerts["tests"] > 0


@pytest.mark.parametrize(
    ("route", "query", "parameter"),
    [
        ("hotspots", {"cell": "3"}, "cell"),
        ("hotspots", {"bandwidth": "1"}, "bandwidth"),
        ("hotspots", {"alpha": "0.9"}, "alpha"),
        ("hotspots", {"from": "2022-13"}, "from"),
        ("hotspots", {"type": "Arson"}, "type"),
        ("hotspot-change", {"from": "2022-07", "to": "2022-11", "split": "2023-01"}, "split"),
        ("hotspot-classes", {"period_months": "13"}, "period_months"),
        ("repeat-locations", {"top": "0"}, "top"),
        ("alerts", {"level": "pfa"}, "level"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: Client, db, route: str, query: dict, parameter: str
) -> None:
    response = client.get(f"/api/v1/areas/{STAFFORD}/{route}", query)
    assert response.status_code == 422, response.content
    assert f"'{parameter}'" in response.json()["detail"]


def test_an_lsoa_month_with_every_record_on_one_point_still_has_a_map(
    client: Client, loaded, stafford: pd.DataFrame
) -> None:
    """police.uk snaps records to points: a quiet LSOA's month can hold several records on one. The
    hotspot map then has no spread to choose a bandwidth from; it used to answer 400 (API and page)."""
    from saferhood.areas.models import Area

    located = stafford.groupby(["LSOA code", "Month"]).agg(n=("x", "size"), points=("x", "nunique"))
    on_one = located[(located.n >= 2) & (located.points == 1)].reset_index()
    on_one = on_one[on_one["LSOA code"].isin(Area.objects.values_list("code", flat=True))]
    assert len(on_one) > 0  # the real files have such months
    lsoa, month, n = on_one.iloc[0][["LSOA code", "Month", "n"]]
    query = {"from": month, "to": month, "cell": 100}
    body = client.get(f"/api/v1/areas/{lsoa}/hotspots", query).json()
    assert body["records"] == n
    assert body["parameters"]["bandwidth"] == body["grid"]["cell_size_m"] == 100
    assert "every record is on one point" in body["parameters"]["bandwidth_rule"]
    assert sum(f["properties"]["count"] for f in body["features"]) == n
    client.force_login(make_user("stafford-analyst", "csp-team", "analyst"))
    page = client.get(f"/areas/{lsoa}/", {"from": month, "to": month})
    assert page.status_code == 200
