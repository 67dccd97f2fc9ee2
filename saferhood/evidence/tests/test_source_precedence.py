"""One source answers each local authority-month: the same crimes are never added up twice.

The expected figures come from pandas on the bundled files (``independent.py``), not from Saferhood.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from saferhood.crime.importers import import_police
from saferhood.crime.importers.count_specs import CountSpec
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SANDWELL, SOURCE, count_files, crimes_and_asb, sandwell_counts

OTHER = "WMP analyst extract"  # the same counts, imported again under another name
CRIMES_ONLY = "crimes-only extract"  # a source without ASB, so which one answers shows in the figures
FILES = ("2024-05", "2024-08")
PERIOD = {"from": "2024-07", "to": "2024-08"}
STREET = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
STAFFORD = "E07000197"


@pytest.fixture(scope="module")
def sandwell() -> pd.DataFrame:
    frame = sandwell_counts(*FILES)
    return frame[frame.period.isin(["2024-07", "2024-08"])]


def profile(client: Client, code: str = SANDWELL, **query) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", query or PERIOD)
    assert response.status_code == 200, response.content
    return response.json()


def figures(body: dict) -> dict:
    """Everything a reader quotes from a profile, except which source answered."""
    return {k: v for k, v in body.items() if k not in ("sources", "sources_set_aside")}


def page(client: Client) -> str:
    user = get_user_model().objects.create_user("precedence-analyst", password="a-long-test-password-1")
    client.force_login(user)
    response = client.get(f"/areas/{SANDWELL}/", PERIOD)
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def crimes_only_spec(tmp_path: Path) -> CountSpec:
    spec = tmp_path / "crimes-only.json"
    spec.write_text(json.dumps({"filters": {"category": sorted(
        {"Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other theft", "Possession of weapons",
         "Public order", "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
         "Violence and sexual offences", "Other crime"})}}))  # fmt: skip
    return CountSpec.from_json(spec)


def test_importing_the_counts_again_under_another_name_changes_no_figure(db, client, sandwell):
    import_counts(count_files(*FILES), source=SOURCE, progress=False)
    once = profile(client)
    call_command("import", "counts", *map(str, count_files(*FILES)), "--source", OTHER, "--no-progress")
    twice = profile(client)

    assert (twice["crimes"], twice["asb"]) == crimes_and_asb(sandwell)  # not doubled
    assert twice["by_type"] == sandwell.groupby("category").crime_count.sum().to_dict()
    for town in twice["children"]:
        rows = sandwell[sandwell.town == town["name"]]
        assert (town["crimes"], town["asb"]) == crimes_and_asb(rows), town["name"]
    assert figures(twice) == figures(once)
    # The later import answers; the first is listed as set aside, with why.
    assert twice["sources"] == [{"source": OTHER, "months": ["2024-07", "2024-08"]}]
    assert [(s["source"], s["months"]) for s in twice["sources_set_aside"]] == [
        (SOURCE, ["2024-07", "2024-08"])
    ]
    assert "latest import" in twice["sources_set_aside"][0]["reason"]
    # The history and the alerts read the same one source.
    history = client.get(f"/api/v1/areas/{SANDWELL}/history").json()
    by_month = {p["month"]: p["crimes"] for p in history["series"]}
    assert by_month["2024-08"] == crimes_and_asb(sandwell[sandwell.period == "2024-08"])[0]

    html = page(client)
    assert shown(html, "crimes") == f"{crimes_and_asb(sandwell)[0]:,}"
    assert shown(html, "asb") == f"{crimes_and_asb(sandwell)[1]:,}"
    assert f"{OTHER}: 2024-07, 2024-08" in html
    assert "set aside" in html and SOURCE in html


def test_with_no_order_configured_the_latest_import_wins(db, client, sandwell, tmp_path, settings):
    settings.SAFERHOOD_COUNT_SOURCE_ORDER = []
    crimes, asb = crimes_and_asb(sandwell)
    import_counts(count_files(*FILES), source=SOURCE, progress=False)
    import_counts(count_files(*FILES), source=CRIMES_ONLY, spec=crimes_only_spec(tmp_path), progress=False)
    body = profile(client)
    assert (body["crimes"], body["asb"]) == (crimes, 0)
    assert body["sources"] == [{"source": CRIMES_ONLY, "months": ["2024-07", "2024-08"]}]

    import_counts(count_files(*FILES), source=SOURCE, progress=False)  # imported again: now the latest
    body = profile(client)
    assert (body["crimes"], body["asb"]) == (crimes, asb)
    assert body["sources"] == [{"source": SOURCE, "months": ["2024-07", "2024-08"]}]


def test_the_configured_order_picks_the_named_source(db, client, sandwell, tmp_path, settings):
    crimes, asb = crimes_and_asb(sandwell)
    import_counts(count_files(*FILES), source=SOURCE, progress=False)
    import_counts(count_files(*FILES), source=CRIMES_ONLY, spec=crimes_only_spec(tmp_path), progress=False)

    settings.SAFERHOOD_COUNT_SOURCE_ORDER = [SOURCE, CRIMES_ONLY]
    body = profile(client)
    assert (body["crimes"], body["asb"]) == (crimes, asb)  # the earlier import, because it is named first
    assert body["sources"] == [{"source": SOURCE, "months": ["2024-07", "2024-08"]}]
    assert body["sources_set_aside"][0]["source"] == CRIMES_ONLY
    assert "SAFERHOOD_COUNT_SOURCE_ORDER" in body["sources_set_aside"][0]["reason"]

    settings.SAFERHOOD_COUNT_SOURCE_ORDER = [CRIMES_ONLY]
    assert (profile(client)["crimes"], profile(client)["asb"]) == (crimes, 0)
    # A source named in the order ranks before one that is not, however recent.
    settings.SAFERHOOD_COUNT_SOURCE_ORDER = ["a source never imported", SOURCE]
    assert profile(client)["sources"][0]["source"] == SOURCE


def test_records_beat_counts_of_the_same_months(db, client, tmp_path):
    """Stafford 2022-01: the street file, and counts per LSOA made from that same file."""
    street = STREET / "2022-01" / "2022-01-staffordshire-street.csv"
    records = pd.read_csv(street, dtype=str)
    lookup = pd.read_csv(
        Path(settings.SAFERHOOD_DEMO_DIR)
        / "geography"
        / "ons-lookup-lsoa11-ward-lad"
        / "LSOA11_WD21_LAD21_EW_LU.csv",
        dtype=str,
        encoding="utf-8-sig",
    )
    placed = records.merge(lookup[["LSOA11CD", "LAD21CD"]], left_on="LSOA code", right_on="LSOA11CD")
    stafford = placed[placed.LAD21CD == STAFFORD]
    n_asb = int((stafford["Crime type"] == "Anti-social behaviour").sum())
    expected = (len(stafford) - n_asb, n_asb)

    counts = placed.groupby(["LSOA code", "Crime type", "Month"]).size().rename("Crimes").reset_index()
    counts_path = tmp_path / "staffordshire-2022-01-counts.csv"
    counts.to_csv(counts_path, index=False)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"area_code": "LSOA code", "area_name": None, "crime_type": "Crime type",
                                "period": "Month", "count": "Crimes"}))  # fmt: skip
    import_counts([counts_path], source="force extract", spec=CountSpec.from_json(spec), progress=False)
    import_police([street], progress=False)

    body = profile(client, STAFFORD, **{"from": "2022-01", "to": "2022-01"})
    assert (body["crimes"], body["asb"]) == expected  # not doubled
    assert body["sources"] == [{"source": "police.uk street", "months": ["2022-01"]}]
    assert [s["source"] for s in body["sources_set_aside"]] == ["force extract"]
    assert "records answer" in body["sources_set_aside"][0]["reason"]
