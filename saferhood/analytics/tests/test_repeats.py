"""Repeat locations by hand and on real Staffordshire ASB records."""

from pathlib import Path

import pandas as pd

from saferhood.analytics.repeats import SNAP_POINT_CAVEAT, repeat_locations

STREET = Path(__file__).resolve().parents[3] / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


def test_by_hand():
    records = pd.DataFrame(
        {
            "location": ["On or near Foo Street"] * 3
            + ["On or near Bar Road"] * 2
            + ["On or near Foo Street", None],
            "lon": [-2.1, -2.1, -2.1, -2.0, -2.0, -2.3, None],
            "lat": [52.6, 52.6, 52.6, 52.7, 52.7, 52.9, None],
            "month": ["2022-01", "2022-03", "2022-03", "2022-02", "2022-02", "2022-05", "2022-05"],
        }
    )
    out = repeat_locations(records)
    assert out["location"].tolist() == [
        "On or near Foo Street",
        "On or near Bar Road",
        "On or near Foo Street",
    ]
    assert out["count"].tolist() == [3, 2, 1]
    assert out["rank"].tolist() == [1, 2, 3]
    # Shares are of all 7 records, including the one with no location.
    assert out["share"].tolist() == [3 / 7, 2 / 7, 1 / 7]
    assert out.loc[0, ["months_active", "first_month", "last_month"]].tolist() == [2, "2022-01", "2022-03"]
    assert out["snap_point"].all() and (out["caveat"] == SNAP_POINT_CAVEAT).all()
    assert len(repeat_locations(records, top=1)) == 1


def test_ties_share_a_rank():
    records = pd.DataFrame(
        {"location": ["A", "B", "C"], "lon": [0, 1, 2], "lat": [0, 1, 2], "month": ["2022-01"] * 3}
    )
    assert repeat_locations(records)["rank"].tolist() == [1, 1, 1]


def test_real_asb_matches_an_independent_count():
    files = sorted(STREET.glob("2022-*/*-staffordshire-street.csv"))
    df = pd.concat([pd.read_csv(f, dtype={"Longitude": float, "Latitude": float}) for f in files])
    asb = df[(df["Crime type"] == "Anti-social behaviour") & (df["LSOA name"].str.startswith("Stafford "))]
    out = repeat_locations(asb, location="Location", lon="Longitude", lat="Latitude", month="Month")
    want = asb.groupby(["Location", "Longitude", "Latitude"]).size().sort_values(ascending=False)
    assert out["count"].iloc[0] == want.iloc[0]
    assert out["count"].sum() == want.sum() == asb["Longitude"].notna().sum()
    top = out.iloc[0]
    rows = asb[(asb["Location"] == top["location"]) & (asb["Longitude"].round(6) == top["lon"])]
    assert top["months_active"] == rows["Month"].nunique()
    assert top["first_month"] == rows["Month"].min() and top["last_month"] == rows["Month"].max()
    assert top["share"] == top["count"] / len(asb)
