"""`import police` of police.uk API JSON of stop and search and of outcomes (one file per area).

The records are real: rows of the bundled police.uk CSVs in the API's JSON shape.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.importers.store import ReplaceWithFewerError
from saferhood.crime.models import ImportRun, OutcomeRecord, StopSearchRecord
from saferhood.crime.tests.policeuk_replay import OUTCOMES_CSV, STOPS_CSV, outcome_record, stop_record

WARD = "E05001260"


def rows(path) -> list[dict]:
    return pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")


@pytest.fixture(scope="module")
def stops() -> list[dict]:
    return [stop_record(r) for r in rows(STOPS_CSV / "2019-12/2019-12-city-of-london-stop-and-search.csv")]


@pytest.fixture(scope="module")
def outcomes() -> list[dict]:
    frame = rows(OUTCOMES_CSV / "2020-04/2020-04-west-midlands-outcomes.csv")
    return [outcome_record(r) for r in frame if r["LSOA name"].startswith("Sandwell")]


def write(folder, name: str, records: list) -> object:
    path = folder / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(records))
    return path


def test_outcomes_file_stores_one_run_of_its_area_month_and_replaces_it_on_reimport(db, tmp_path, outcomes):
    path = write(tmp_path, f"police-uk-api-outcomes_2020-04_{WARD}.json", outcomes)

    first = import_police([path], progress=False)
    again = import_police([path], progress=False)

    (run,) = ImportRun.objects.current()
    assert (run.kind, run.force, run.month, run.rows_stored) == ("outcomes", WARD, "2020-04", len(outcomes))
    assert first.runs[0].rows_stored == again.runs[0].rows_replaced == len(outcomes)
    assert OutcomeRecord.objects.count() == len(outcomes)
    stored = OutcomeRecord.objects.order_by("id").first()
    assert stored.crime_id == outcomes[0]["crime"]["persistent_id"]
    assert stored.outcome_type == outcomes[0]["category"]["name"]
    assert stored.location == outcomes[0]["crime"]["location"]["street"]["name"]
    assert stored.lad_code == "E08000028" and stored.placement == "ward-polygon"


def test_a_file_of_far_fewer_stops_does_not_replace_the_month_unless_asked(db, tmp_path, stops):
    import_police([write(tmp_path, f"police-uk-api-stops_2019-12_{WARD}.json", stops)], progress=False)
    few = write(tmp_path / "later", f"police-uk-api-stops_2019-12_{WARD}.json", stops[:3])

    with pytest.raises(ReplaceWithFewerError):
        import_police([few], progress=False)
    assert StopSearchRecord.objects.count() == len(stops)

    import_police([few], progress=False, replace_with_fewer=True)
    assert StopSearchRecord.objects.count() == 3


@pytest.mark.parametrize(
    ("kind", "index", "change", "column", "expected"),
    [
        ("stops", 4, {"datetime": "2019-12-05 10:00"}, "datetime", "expected an ISO-8601 date and time"),
        ("stops", 2, {"type": None}, "type", "expected a value, found none"),
        ("stops", 7, {"operation": "yes"}, "operation", "expected true, false or null"),
        ("stops", 1, {"outcome": "x" * 151}, "outcome", "expected at most 150 characters"),
        (
            "stops",
            3,
            {"location": {"latitude": "91", "longitude": "0"}},
            "location.latitude",
            "expected a latitude in",
        ),
        ("outcomes", 6, {"date": "2020-13"}, "date", "expected a month YYYY-MM"),
        ("outcomes", 2, {"category": {"code": "x"}}, "category", "expected an outcome category"),
        ("outcomes", 5, {"crime": {"persistent_id": "abc"}}, "crime.persistent_id", "expected 64 hex"),
    ],
)
def test_a_malformed_record_stops_the_file_naming_the_record_and_field(
    db, tmp_path, stops, outcomes, kind, index, change, column, expected
):
    records = [dict(r) for r in (stops if kind == "stops" else outcomes)]
    records[index].update(change)
    path = write(tmp_path, f"police-uk-api-{kind}_2019-12_{WARD}.json", records)

    with pytest.raises(ImportFileError) as refused:
        import_police([path], progress=False)

    message = str(refused.value)
    assert message.startswith(f"{path}:1: column '{column}': record {index + 1}: {expected}")
    assert "Nothing from this file was stored" in message
    assert not ImportRun.objects.exists()


def test_two_files_of_one_area_month_and_kind_in_one_batch_are_refused(db, tmp_path, stops):
    write(tmp_path, f"a_{WARD}.json", stops[:10])
    write(tmp_path, f"b_{WARD}.json", stops[10:20])

    with pytest.raises(ImportFileError, match="second stop-and-search file for area E05001260 2019-12"):
        import_police([tmp_path], progress=False)
    assert not StopSearchRecord.objects.exists()
