"""`saferhood fetch police` fetches stop and search and outcomes beside street crimes.

The replay server answers ``stops-street`` and ``outcomes-at-location`` from the real bulk CSVs
bundled in demo/police-uk (see ``policeuk_replay``). The expected figures are computed
independently: pandas reads the same CSVs and shapely keeps the rows whose point lies in the
partnership's boundary (Sandwell's ward polygons from the bundled ONS GeoJSON; the City of
London's ONS boundary, since the stop-and-search files hold no West Midlands force).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from django.core.management import call_command
from django.db.models import Count
from shapely.geometry import shape

from saferhood.areas.models import Area, AreaLevel
from saferhood.crime.importers import import_police
from saferhood.crime.models import CrimeRecord, ImportRun, OutcomeRecord, StopSearchRecord
from saferhood.crime.policeuk.refresh import RefreshError, refresh_police
from saferhood.crime.tests.policeuk_replay import (
    OUTCOMES_CSV,
    STOPS_CSV,
    Located,
    ReplayPoliceUk,
    load_outcomes,
    load_records,
    load_stops,
    serving,
    stop_record,
)

ROOT = Path(__file__).resolve().parents[3]
SANDWELL_WARDS = ROOT / "demo/geography/ons-census-merged-wards-2011-west-midlands/E08000028.geojson"
CITY = Path(__file__).parent / "data/ons-csp-boundary-city-of-london/E09000001.geojson"
KINDS = ("crimes-street/all-crime", "stops-street", "outcomes-at-location")


def boundary(path: Path):
    return shapely.union_all([shape(f["geometry"]) for f in json.loads(path.read_bytes())["features"]])


def csv_inside(folder: Path, pattern: str, polygon) -> pd.DataFrame:
    frame = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob(pattern))]
    )
    located = frame[frame["Latitude"] != ""]
    points = shapely.points(located["Longitude"].astype(float), located["Latitude"].astype(float))
    return located[shapely.covers(polygon, points)]


def counts(queryset, field: str) -> dict[str, int]:
    return {r[field]: r["n"] for r in queryset.values(field).annotate(n=Count("id"))}


@pytest.fixture(scope="module")
def answers() -> dict:
    return {"records": load_records(), "stops": load_stops(), "outcomes": load_outcomes()}


@pytest.fixture
def police_uk(answers, settings, tmp_path):
    with serving(
        ReplayPoliceUk(answers["records"], stops=answers["stops"], outcomes=answers["outcomes"]),
        settings,
        tmp_path / "fetch",
    ) as server:
        yield server


def polygon_requests(server: ReplayPoliceUk) -> list:
    return [e for e in server.log if e.path.endswith(KINDS)]


def fetch(*args: str) -> str:
    out = io.StringIO()
    call_command("fetch", "police", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_sandwell_outcomes_are_stored_as_the_csv_gives_them_then_nothing_is_fetched(db, police_uk):
    month = "2020-04"
    police_uk.latest, police_uk.months = month, [month]
    police_uk.too_many = 150  # the busiest wards' outcomes must be split
    inside = csv_inside(OUTCOMES_CSV, f"{month}/*-outcomes.csv", boundary(SANDWELL_WARDS))
    expected = inside["Outcome type"].value_counts().to_dict()
    assert sum(expected.values()) > 1900  # SOURCE.md: 2,105 rows with a Sandwell LSOA

    text = fetch()

    stored = OutcomeRecord.objects.filter(month=month)
    assert counts(stored, "outcome_type") == expected
    assert sorted(stored.values_list("crime_id", flat=True)) == sorted(inside["Crime ID"])
    assert not StopSearchRecord.objects.exists()  # the stop-and-search files hold no West Midlands force
    assert not CrimeRecord.objects.exists()  # no crime files for the month
    assert 503 in {e.status for e in police_uk.requests_for("outcomes")}
    runs = ImportRun.objects.current().filter(kind="outcomes", month=month)
    assert all(r.force.startswith("E0500") and r.file_name.endswith(f"_published-{month}.json") for r in runs)
    assert f"outcomes {sum(expected.values()):,}" in text and "stops and searches 0" in text

    asked = len(polygon_requests(police_uk))
    again = fetch()

    assert len(polygon_requests(police_uk)) == asked  # no polygon of any kind asked again
    assert "Nothing to fetch" in again and "up to date" in again
    assert counts(OutcomeRecord.objects.filter(month=month), "outcome_type") == expected


@pytest.fixture
def city_of_london(settings, police_uk):
    """The City of London as the partnership, asked by its own ONS boundary (no ward boundaries)."""
    settings.SAFERHOOD_PARTNERSHIP_LADS = ["E09000001"]
    polygon = boundary(CITY)
    Area.objects.filter(code="E09000001", level=AreaLevel.LAD).update(boundary=shapely.to_geojson(polygon))
    return polygon


def test_stop_and_search_is_stored_as_the_csv_gives_it_by_outcome_and_type(db, police_uk, city_of_london):
    month = "2019-12"
    police_uk.latest, police_uk.months = month, [month]
    inside = csv_inside(STOPS_CSV, f"{month}/*-stop-and-search.csv", city_of_london)
    assert len(inside) == 181 and set(inside["Date"].str[:7]) == {month}

    summary = refresh_police()

    stored = StopSearchRecord.objects.filter(month=month)
    assert counts(stored, "outcome") == inside["Outcome"].value_counts().to_dict()
    assert counts(stored, "search_type") == inside["Type"].value_counts().to_dict()
    assert counts(stored, "gender") == inside["Gender"].value_counts().to_dict()
    (fetched,) = summary.fetched
    assert fetched.kinds == {"crimes": 0, "stops": 181, "outcomes": 0}
    assert [(r.kind, r.force, r.rows_stored) for r in ImportRun.objects.current()] == [
        ("stop-and-search", "E09000001", 181)
    ]

    asked = len(polygon_requests(police_uk))
    assert not refresh_police().fetched
    assert len(polygon_requests(police_uk)) == asked


def test_stops_from_the_api_hold_what_the_csv_import_holds(db, tmp_path):
    """The same real rows, through the CSV importer and as API JSON: the same stored values."""
    source = STOPS_CSV / "2019-12/2019-12-city-of-london-stop-and-search.csv"
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    api = tmp_path / "police-uk-api-stops_2019-12_E09000001.json"
    api.write_text(json.dumps([stop_record(row) for row in frame.to_dict("records")]))
    fields = [f.name for f in StopSearchRecord._meta.fields if f.name not in ("id", "run")]

    import_police([source], progress=False)
    from_csv = sorted(map(repr, StopSearchRecord.objects.values_list(*fields)))
    StopSearchRecord.objects.all().delete()
    import_police([api], progress=False)
    from_api = sorted(map(repr, StopSearchRecord.objects.values_list(*fields)))

    assert len(from_api) == len(frame) and from_api == from_csv


def test_a_bad_stops_answer_stops_the_month_with_nothing_of_any_kind_stored(db, police_uk):
    bad = stop_record(
        pd.read_csv(next(STOPS_CSV.glob("2019-12/*.csv")), dtype=str, keep_default_na=False).iloc[0]
    )
    bad["datetime"] = "2018-06-31 25:00"
    police_uk.bad_answers["stops"] = json.dumps([bad]).encode()

    with pytest.raises(RefreshError) as stopped:
        refresh_police()

    message = str(stopped.value)
    assert "police-uk-api-stops_2018-06_E05" in message and "column 'datetime'" in message
    assert "record 1: expected an ISO-8601 date" in message
    assert not CrimeRecord.objects.exists()  # the month's crimes were good, and went with it
    assert not ImportRun.objects.exists()

    del police_uk.bad_answers["stops"]
    summary = refresh_police()  # the bad answers were discarded: asked again, the month loads

    (month,) = summary.fetched
    assert month.action == "imported" and month.kinds["crimes"] == 2823
    assert CrimeRecord.objects.filter(month="2018-06").count() == 2823


def test_a_ward_police_uk_no_longer_answers_for_loses_its_old_records_on_revision(db, police_uk, answers):
    month = "2020-04"
    police_uk.latest, police_uk.months = month, [month]
    refresh_police()
    held = counts(OutcomeRecord.objects.filter(month=month), "ward_code")
    ward = min(held, key=held.get)  # revised away: police.uk now has no outcome there
    polygon = shapely.from_geojson(Area.objects.get(code=ward).boundary)
    located = police_uk.kinds["outcomes"]
    keep = ~shapely.covers(polygon, located.points)
    police_uk.kinds["outcomes"] = Located(
        "outcomes", [r for r, k in zip(located.records, keep, strict=True) if k]
    )
    police_uk.latest, police_uk.months = "2020-05", [month, "2020-05"]
    inside = csv_inside(OUTCOMES_CSV, f"{month}/*-outcomes.csv", boundary(SANDWELL_WARDS))
    points = shapely.points(inside["Longitude"].astype(float), inside["Latitude"].astype(float))
    expected = inside[~shapely.covers(polygon, points)]["Outcome type"].value_counts().to_dict()

    summary = refresh_police()

    revised = next(m for m in summary.months if m.month == month)
    assert revised.action == "imported" and revised.removed == held[ward]
    assert counts(OutcomeRecord.objects.filter(month=month), "outcome_type") == expected
    assert not ImportRun.objects.filter(kind="outcomes", month=month, force=ward).exists()


def test_a_revision_that_would_leave_far_fewer_outcomes_is_refused_unless_asked(db, police_uk):
    month = "2020-04"
    police_uk.latest, police_uk.months = month, [month]
    refresh_police()
    before = OutcomeRecord.objects.filter(month=month).count()
    held = counts(OutcomeRecord.objects.filter(month=month), "ward_code")
    ward = max(held, key=held.get)  # only the busiest ward is still answered: a partial answer?
    polygon = shapely.from_geojson(Area.objects.get(code=ward).boundary)
    located = police_uk.kinds["outcomes"]
    keep = shapely.covers(polygon, located.points)
    police_uk.kinds["outcomes"] = Located(
        "outcomes", [r for r, k in zip(located.records, keep, strict=True) if k]
    )
    police_uk.latest, police_uk.months = "2020-05", [month]

    with pytest.raises(RefreshError, match="--replace-with-fewer"):
        refresh_police()
    assert OutcomeRecord.objects.filter(month=month).count() == before  # nothing of the month changed

    refresh_police(replace_with_fewer=True)
    assert counts(OutcomeRecord.objects.filter(month=month), "ward_code") == {ward: held[ward]}
