"""`saferhood fetch police` against a local server answering like police.uk from real API files.

The expected figures are computed independently: pandas reads the bundled Sandwell API files,
keeps each ``id`` once and shapely keeps the records inside Sandwell's ward polygons from the
bundled ONS GeoJSON. Never the internet.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db.models import Count
from shapely.geometry import shape

from saferhood.crime.importers import import_police
from saferhood.crime.models import CRIME_TYPES, CrimeRecord, ImportRun
from saferhood.crime.policeuk.refresh import RefreshError, refresh_police
from saferhood.crime.tests.policeuk_replay import SANDWELL_API, ReplayPoliceUk, load_records, serving

ROOT = Path(__file__).resolve().parents[3]
SANDWELL_WARDS = ROOT / "demo/geography/ons-census-merged-wards-2011-west-midlands/E08000028.geojson"
MONTH = "2018-06"


@pytest.fixture(scope="module")
def expected() -> pd.Series:
    """Unique records of the files whose point lies in Sandwell's wards, by crime type."""
    frame = pd.concat([pd.read_json(p, dtype=False) for p in sorted(SANDWELL_API.glob("*.json"))])
    frame = frame.drop_duplicates("id")
    assert len(frame) == 2834  # SOURCE.md
    wards = shapely.union_all(
        [shape(f["geometry"]) for f in json.loads(SANDWELL_WARDS.read_bytes())["features"]]
    )
    lon = frame["location"].map(lambda loc: float(loc["longitude"]))
    lat = frame["location"].map(lambda loc: float(loc["latitude"]))
    inside = shapely.covers(wards, shapely.points(lon.to_numpy(), lat.to_numpy()))
    return frame[inside]["category"].map(CRIME_TYPES).value_counts().sort_index()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return load_records()


@pytest.fixture
def police_uk(records, settings, tmp_path):
    with serving(ReplayPoliceUk(records), settings, tmp_path / "fetch") as server:
        yield server


def stored_by_type() -> pd.Series:
    rows = (
        CrimeRecord.objects.filter(month=MONTH, run__kind="api").values("crime_type").annotate(n=Count("id"))
    )
    return pd.Series({r["crime_type"]: r["n"] for r in rows}, name="count").sort_index()


def fetch(*args: str) -> str:
    out = io.StringIO()
    call_command("fetch", "police", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_fetch_loads_the_month_as_the_files_give_it_then_fetches_nothing(db, police_uk, expected):
    police_uk.too_many = 150  # West Bromwich Central (292) and others must be split
    police_uk.faults = ["429", "ok", "truncated", "ok", "garbled"]  # each retried, none 3 times

    text = fetch()

    by_type = stored_by_type()
    assert by_type.to_dict() == expected.to_dict()
    assert by_type.sum() == expected.sum() == 2823
    ids = CrimeRecord.objects.filter(month=MONTH).values_list("api_id", flat=True)
    assert len(set(ids)) == len(ids)  # each crime once, though split pieces and wards overlap
    statuses = [e.status for e in police_uk.crimes_requests()]
    assert 503 in statuses and 429 in statuses
    answered = [e.poly for e in police_uk.crimes_requests() if e.status == 200]
    assert len(answered) - len(set(answered)) == 2  # the cut and the garbled answer, asked again
    # The 429 said Retry-After: 1, and the retry waited for it.
    log = police_uk.crimes_requests()
    limited = next(i for i, e in enumerate(log) if e.status == 429)
    assert log[limited + 1].at - log[limited].at >= 1.0
    runs = ImportRun.objects.current().filter(kind="api", month=MONTH)
    assert runs.count() == 24  # one run per Sandwell ward
    assert all(run.file_name.endswith(f"_published-{MONTH}.json") for run in runs)
    assert "police.uk import" in text and f"{expected.sum():,}" in text
    assert "not loaded" in text

    before = len(police_uk.log)
    again = fetch()

    assert police_uk.crimes_requests() == log  # no polygon asked again
    assert len(police_uk.log) == before + 2  # crime-last-updated, crimes-street-dates
    assert "Nothing to fetch" in again and "up to date" in again
    assert stored_by_type().to_dict() == expected.to_dict()


def test_an_interrupted_fetch_resumes_with_only_the_missing_polygons(db, police_uk, expected):
    police_uk.die_after = 7

    with pytest.raises(RefreshError) as stopped:
        refresh_police()

    assert "crimes-street/all-crime" in str(stopped.value) and "HTTP 500" in str(stopped.value)
    assert not CrimeRecord.objects.filter(month=MONTH).exists()  # nothing half-imported
    first = {e.poly for e in police_uk.crimes_requests() if e.status == 200}
    assert len(first) == 7

    police_uk.die_after = None
    start = len(police_uk.crimes_requests())
    summary = refresh_police()

    second = [e.poly for e in police_uk.crimes_requests()[start:]]
    assert not first & set(second)  # nothing fetched twice
    assert len(second) == len(set(second)) == 24 - 7
    (month,) = summary.fetched
    # The 7 crime answers held; the other 17 fetched, then every ward's stops and outcomes.
    assert (month.pieces_reused, month.pieces_fetched) == (7, 17 + 24 + 24)
    assert stored_by_type().to_dict() == expected.to_dict()


def test_a_resumed_fetch_remembers_which_polygons_it_split(db, police_uk, expected):
    police_uk.too_many = 100
    police_uk.die_after = 20

    with pytest.raises(RefreshError):
        refresh_police()

    asked = {e.poly for e in police_uk.crimes_requests() if e.status in (200, 503)}
    assert any(e.status == 503 for e in police_uk.crimes_requests())
    police_uk.die_after = None
    start = len(police_uk.crimes_requests())
    refresh_police()

    again = [e.poly for e in police_uk.crimes_requests()[start:]]
    assert again and not asked & set(again)  # neither an answer held nor a polygon known too big
    assert stored_by_type().to_dict() == expected.to_dict()


def test_a_polygon_that_stays_too_big_stops_with_a_clear_error_and_stores_nothing(db, police_uk):
    police_uk.too_many = 0  # every polygon with a record answers 503, however small

    with pytest.raises(CommandError) as stopped:
        fetch()

    message = str(stopped.value)
    assert police_uk.url + "/crimes-street/all-crime (date=2018-06)" in message
    assert "503" in message and "even after splitting" in message
    assert not CrimeRecord.objects.filter(month=MONTH).exists()
    assert len(police_uk.crimes_requests()) < 30  # depth first: gives up after a handful


def test_a_run_of_failures_names_the_url_and_stores_nothing(db, police_uk):
    police_uk.faults = ["500", "500", "500"]

    with pytest.raises(RefreshError) as stopped:
        refresh_police()

    message = str(stopped.value)
    assert message.startswith(police_uk.url + "/crimes-street/all-crime (date=2018-06)")
    assert "after 3 attempts" in message and "HTTP 500" in message
    assert not ImportRun.objects.filter(kind="api").exists()
    assert stopped.value.summary.error == message


def test_a_newer_publication_fetches_recent_months_again(db, police_uk, expected):
    refresh_police()
    police_uk.latest = "2018-07"
    police_uk.months = ["2018-06", "2018-07"]  # July has no records in these files

    summary = refresh_police()

    outcomes = {m.month: m for m in summary.months}
    assert outcomes["2018-06"].action == "imported" and "published 2018-07" in outcomes["2018-06"].reason
    assert outcomes["2018-06"].imported.rows_replaced == expected.sum()
    assert outcomes["2018-07"].action == "no records"
    assert stored_by_type().to_dict() == expected.to_dict()
    runs = ImportRun.objects.current().filter(kind="api", month=MONTH)
    assert all(run.file_name.endswith("_published-2018-07.json") for run in runs)

    asked = len(police_uk.crimes_requests())
    assert not refresh_police().fetched
    assert len(police_uk.crimes_requests()) == asked


def test_dry_run_stores_nothing_and_the_real_run_reuses_its_answers(db, police_uk, expected):
    text = fetch("--dry-run")

    assert "DRY RUN" in text and "would be stored" in text
    assert not CrimeRecord.objects.exists()
    asked = len(police_uk.crimes_requests())

    fetch()

    assert len(police_uk.crimes_requests()) == asked
    assert stored_by_type().to_dict() == expected.to_dict()


def test_requests_keep_to_the_rate_limit(db, police_uk, settings):
    settings.SAFERHOOD_POLICE_UK_RATE = 40
    settings.SAFERHOOD_POLICE_UK_BURST = 5

    refresh_police()

    times = [e.at for e in police_uk.log]
    assert len(times) == 2 + 3 * 24  # the two dates, then each ward's crimes, stops and outcomes
    for i, t in enumerate(times):  # never more than the burst plus what the rate refills
        assert t - times[0] >= (i + 1 - 5) / 40 - 0.01


def test_a_month_police_uk_does_not_publish_is_refused(db, police_uk):
    with pytest.raises(CommandError, match="publishes no street-level crime for 2017-01"):
        fetch("--month", "2017-01")


STAFFS_2022_01 = (
    ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp/2022-01/2022-01-staffordshire-street.csv"
)


def test_a_month_held_by_the_home_forces_street_file_is_not_fetched(db, police_uk, settings):
    import_police([STAFFS_2022_01], progress=False)
    police_uk.latest, police_uk.months = "2022-01", ["2022-01"]

    settings.SAFERHOOD_PARTNERSHIP_LADS = ["E07000192"]  # Cannock Chase: Staffordshire Police's
    summary = refresh_police()

    assert [(m.month, m.action, m.reason) for m in summary.months] == [
        ("2022-01", "skipped", "held by the police.uk street files")
    ]
    assert police_uk.crimes_requests() == []

    # A Staffordshire record placed in Sandwell does not make Sandwell's month.
    assert CrimeRecord.objects.filter(month="2022-01", lad_code="E08000028").count() == 1
    settings.SAFERHOOD_PARTNERSHIP_LADS = ["E08000028"]
    summary = refresh_police(months=["2022-01"])

    assert [(m.month, m.action) for m in summary.months] == [("2022-01", "no records")]
    assert police_uk.crimes_requests()


def test_a_recent_month_imported_by_hand_is_fetched_again_an_older_one_left_alone(
    db, police_uk, settings, expected
):
    import_police([SANDWELL_API], progress=False)  # what `make run` loads: of unknown publication
    settings.SAFERHOOD_POLICE_UK_REVISE_MONTHS = 0
    calls = []

    summary = refresh_police(on_progress=lambda done, total, message: calls.append((done, total, message)))

    assert [(m.month, m.action) for m in summary.months] == [(MONTH, "skipped")]
    assert "imported by hand" in summary.months[0].reason and "revision window" in summary.months[0].reason
    assert police_uk.crimes_requests() == []
    assert calls[-1] == (0, 0, "Nothing to fetch")

    settings.SAFERHOOD_POLICE_UK_REVISE_MONTHS = 1
    summary = refresh_police()

    (month,) = summary.fetched
    assert month.action == "imported" and "publication unknown" in month.reason
    assert stored_by_type().to_dict() == expected.to_dict()  # every ward's run replaced
    runs = ImportRun.objects.current().filter(kind="api", month=MONTH)
    assert runs.count() == 24 and all(r.file_name.endswith(f"_published-{MONTH}.json") for r in runs)
    assert not refresh_police().fetched


def test_progress_is_reported_per_polygon_for_the_job_page(db, police_uk):
    calls = []

    refresh_police(on_progress=lambda done, total, message: calls.append((done, total, message)))

    polygons = [c for c in calls if c[2].startswith(f"{MONTH}: E05")]
    assert len(polygons) == 24 and all(c[:2] == (0, 1) for c in polygons)
    assert calls[-1] == (1, 1, "Done")


def test_a_second_refresh_at_the_same_time_is_refused(db, police_uk, settings):
    from saferhood.crime.policeuk.refresh import only_refresh

    with only_refresh(settings.SAFERHOOD_FETCH_DIR):
        with pytest.raises(RefreshError, match="another police.uk refresh is running"):
            refresh_police()
    assert police_uk.log == []
    refresh_police()  # the lock went with the first
    assert CrimeRecord.objects.filter(month=MONTH).exists()


def test_the_refresh_as_a_job_loads_the_month_and_reports_progress(
    db, police_uk, expected, settings, tmp_path
):
    """The monthly refresh as the worker runs it (scheduled, or from the Upload data page)."""
    from saferhood.jobs.models import Job, JobState
    from saferhood.jobs.services import start_job
    from saferhood.jobs.tests.conftest import drain

    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    job = start_job("police_refresh", params={}, label="police.uk refresh (scheduled)")
    drain()
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    pd.testing.assert_series_equal(stored_by_type(), expected, check_names=False)
    assert f"{int(expected.sum()):,}" in job.summary
    assert job.progress_total and job.progress_done == job.progress_total

    again = start_job("police_refresh", params={}, label="police.uk refresh (scheduled)")
    drain()
    again = Job.objects.get(pk=again.pk)
    assert again.state == JobState.SUCCEEDED and "nothing" in again.summary.lower()
    assert CrimeRecord.objects.filter(month=MONTH).count() == int(expected.sum())  # nothing twice


def test_a_refresh_that_stops_shows_why_without_a_traceback(db, police_uk, settings, tmp_path):
    from saferhood.jobs.models import Job, JobState
    from saferhood.jobs.services import start_job
    from saferhood.jobs.tests.conftest import drain

    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    police_uk.faults = ["500"] * 50  # every answer a server error: the month cannot be fetched
    job = start_job("police_refresh", params={}, label="police.uk refresh")
    drain()
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.FAILED
    assert "Traceback" not in job.error and "Before it stopped:" in job.error
    assert CrimeRecord.objects.filter(month=MONTH).count() == 0
