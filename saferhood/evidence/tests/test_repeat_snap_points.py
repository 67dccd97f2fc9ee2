"""Repeat locations group on the published snap point, whatever police.uk labelled it.

In the bundled 2022 Staffordshire street files one Stoke-on-Trent point (-2.141123, 52.990315) is
labelled "On or near Petrol Station" until 2022-06 and "On or near" from 2022-07 (found with pandas
below): it is one place, so the API, the page and the download show it once, with both labels and every record.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.crime.importers import import_police
from saferhood.crime.tests.independent import LSOA11_WARD_LOOKUP, STREET_2022

STREET, LOOKUP = STREET_2022, LSOA11_WARD_LOOKUP
STOKE = "E06000021"
MONTHS = [f"2022-{m:02d}" for m in range(5, 9)]  # police.uk renamed the point in 2022-07
PERIOD = {"from": MONTHS[0], "to": MONTHS[-1]}


def street_files() -> list[Path]:
    return [STREET / m / f"{m}-{force}-street.csv" for m in MONTHS for force in ("staffordshire", "btp")]


@pytest.fixture(scope="module")
def stoke() -> pd.DataFrame:
    """Every located record of the period placed (by its LSOA) in Stoke-on-Trent, from the files."""
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in street_files()])
    lookup = pd.read_csv(LOOKUP, dtype=str, encoding="utf-8-sig")
    frame = frame.merge(lookup[["LSOA11CD", "LAD21CD"]], left_on="LSOA code", right_on="LSOA11CD")
    frame = frame[(frame.LAD21CD == STOKE) & (frame.Longitude != "")].copy()
    frame["label"] = frame.Location.str.strip()
    return frame


@pytest.fixture(scope="module")
def split_point(stoke: pd.DataFrame) -> dict:
    """The busiest point police.uk labelled more than one way, as pandas sees it."""
    points = stoke.groupby(["Longitude", "Latitude"]).agg(
        count=("label", "size"), labels=("label", lambda s: s.value_counts().to_dict())
    )
    split = points[points["labels"].map(len) > 1].sort_values("count", ascending=False)
    (lon, lat), row = next(split.iterrows())
    rank = int((points["count"] > row["count"]).sum()) + 1
    return {
        "lon": float(lon),
        "lat": float(lat),
        "count": int(row["count"]),
        "labels": row["labels"],
        "rank": rank,
    }


@pytest.fixture
def loaded(db) -> None:
    import_police(street_files(), progress=False)


def test_the_split_point_is_real(split_point):
    assert (split_point["lon"], split_point["lat"]) == (-2.141123, 52.990315)
    assert set(split_point["labels"]) == {"On or near Petrol Station", "On or near"}
    assert split_point["rank"] == 1  # the busiest point of the area: it must not be split in two


def test_api_lists_one_point_with_every_label(client: Client, loaded, split_point) -> None:
    response = client.get(f"/api/v1/areas/{STOKE}/repeat-locations", {**PERIOD, "top": 10})
    assert response.status_code == 200, response.content
    locations = response.json()["locations"]
    here = [loc for loc in locations if (loc["lon"], loc["lat"]) == (split_point["lon"], split_point["lat"])]
    assert len(here) == 1
    (point,) = here
    assert point["count"] == split_point["count"] == sum(split_point["labels"].values())
    assert point["rank"] == split_point["rank"]
    by_records = sorted(split_point["labels"], key=lambda label: (-split_point["labels"][label], label))
    assert point["labels"] == by_records and point["location"] == by_records[0]
    # No two rows share a point.
    assert len({(loc["lon"], loc["lat"]) for loc in locations}) == len(locations)


def test_page_and_download_show_it_once_with_both_labels(client: Client, loaded, split_point) -> None:
    client.force_login(
        get_user_model().objects.create_user("repeats-analyst", password="a-long-test-password-1")
    )
    html = client.get(f"/areas/{STOKE}/", PERIOD).content.decode()
    table = html[html.index('data-testid="repeat-locations"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, flags=re.S)
    here = [r for r in rows if f"{split_point['lat']}, {split_point['lon']}" in r]
    assert len(here) == 1
    labels = re.search(r'data-testid="repeat-labels">Labelled by police.uk as: ([^<]*)<', here[0]).group(1)
    assert set(labels.split("; ")) == set(split_point["labels"])
    count = re.search(r'data-testid="repeat-count">([\d,]+)<', here[0]).group(1)
    assert int(count.replace(",", "")) == split_point["count"]

    response = client.get(f"/areas/{STOKE}/download/repeat-locations.csv", PERIOD)
    assert response.status_code == 200
    download = list(csv.DictReader(io.StringIO(response.content.decode())))
    here = [
        r for r in download if (float(r["lon"]), float(r["lat"])) == (split_point["lon"], split_point["lat"])
    ]
    assert len(here) == 1
    assert int(here[0]["records"]) == split_point["count"]
    assert set(here[0]["all_labels"].split(" | ")) == set(split_point["labels"])
