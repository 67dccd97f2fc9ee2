"""Outcomes, stop-and-search and API JSON imports, against the SOURCE.md figures and pandas."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pandas as pd
import pytest
from django.db.models import Count, Sum

from saferhood.crime.importers import import_police
from saferhood.crime.models import (
    CRIME_TYPES,
    CrimeRecord,
    ImportRun,
    MonthlyCount,
    OutcomeRecord,
    PlacementMethod,
    StopSearchRecord,
)

ROOT = Path(__file__).resolve().parents[3]
POLICE = ROOT / "demo/police-uk"
OUTCOMES_2019_03 = (
    POLICE / "police-uk-outcomes-west-midlands-2019-2020/2019-03/2019-03-west-midlands-outcomes.csv"
)
SAS = POLICE / "police-uk-stop-and-search-2019-12-to-2020-02/2019-12"
API = POLICE / "police-uk-api-sandwell-wards-2018-06"
SANDWELL = "E08000028"


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


def test_outcomes_month_and_sandwell_rows(db, area_index):
    df = pd.read_csv(OUTCOMES_2019_03, dtype=str, keep_default_na=False)
    summary = import_police([OUTCOMES_2019_03], progress=False, area_index=area_index)

    assert OutcomeRecord.objects.count() == len(df) == 15594
    assert OutcomeRecord.objects.filter(lad_code=SANDWELL).count() == 1713  # SOURCE.md
    assert summary.runs[0].kind == "outcomes" and summary.runs[0].force == "west-midlands"
    assert MonthlyCount.objects.count() == 0  # outcomes are not crimes to count
    sandwell_types = dict(
        OutcomeRecord.objects.filter(lad_code=SANDWELL).values_list("outcome_type").annotate(n=Count("id"))
    )
    assert sandwell_types["Investigation complete; no suspect identified"] == 1125
    assert sandwell_types["Unable to prosecute suspect"] == 401


def test_outcomes_join_to_their_crime(db, area_index):
    import_police([OUTCOMES_2019_03], progress=False, area_index=area_index)
    df = pd.read_csv(OUTCOMES_2019_03, dtype=str, keep_default_na=False)
    repeated = df["Crime ID"].value_counts()
    crime_id = repeated.index[0]  # a crime with more than one outcome this month
    run = ImportRun.objects.get()
    crime = CrimeRecord.objects.create(run=run, month="2019-02", placement="no-location", crime_id=crime_id)

    outcomes = crime.outcomes()
    assert outcomes.count() == repeated.iloc[0] > 1
    assert set(outcomes.values_list("outcome_type", flat=True)) == set(
        df[df["Crime ID"] == crime_id]["Outcome type"]
    )
    asb = CrimeRecord(run=run, month="2019-02", crime_id="")
    assert OutcomeRecord.objects.for_crime(asb).count() == 0


def test_stop_and_search_fields(db, area_index):
    files = [SAS / "2019-12-durham-stop-and-search.csv", SAS / "2019-12-city-of-london-stop-and-search.csv"]
    import_police(files, progress=False, area_index=area_index)
    durham = pd.read_csv(files[0], dtype=str, keep_default_na=False)

    assert StopSearchRecord.objects.filter(run__force="durham").count() == len(durham) == 145
    assert StopSearchRecord.objects.filter(run__force="city-of-london").count() == 292
    first = StopSearchRecord.objects.filter(run__force="durham").order_by("pk").first()
    row = durham.iloc[0]
    assert first.date == pd.Timestamp(row["Date"]).to_pydatetime().astimezone(UTC)
    assert (first.search_type, first.age_range, first.legislation, first.object_of_search, first.outcome) == (
        row["Type"],
        row["Age range"],
        row["Legislation"],
        row["Object of search"],
        row["Outcome"],
    )
    assert (first.latitude, first.longitude) == (float(row["Latitude"]), float(row["Longitude"]))
    booleans = {"True": True, "False": False, "": None}
    assert first.outcome_linked_to_object_of_search is booleans[row["Outcome linked to object of search"]]
    assert (
        first.removal_of_more_than_just_outer_clothing
        is booleans[row["Removal of more than just outer clothing"]]
    )
    assert first.part_of_policing_operation is booleans[row["Part of a policing operation"]]
    no_coords = StopSearchRecord.objects.filter(latitude=None)
    assert set(no_coords.values_list("placement", flat=True)) <= {PlacementMethod.NO_LOCATION}


def test_stop_and_search_bad_date(db, area_index, tmp_path):
    from saferhood.core.errors import ImportFileError

    src = SAS / "2019-12-durham-stop-and-search.csv"
    lines = src.read_text().splitlines()
    fields = lines[4].split(",")
    fields[1] = "01/12/2019 13:38"
    lines[4] = ",".join(fields)
    bad = tmp_path / src.name
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError) as caught:
        import_police([bad], progress=False, area_index=area_index)
    assert (caught.value.line, caught.value.column) == (5, "Date")
    assert StopSearchRecord.objects.count() == 0


def test_api_json_folder(db, area_index):
    summary = import_police([API], progress=False, area_index=area_index)

    # One run per ward file (its area-month), the ward code taken from the file name.
    assert len(summary.runs) == 24
    runs = ImportRun.objects.filter(kind="api", month="2018-06")
    assert sorted(runs.values_list("force", flat=True)) == [f"E0500{n}" for n in range(1260, 1284)]
    assert runs.get(force="E05001260").rows_read == 114  # SOURCE.md, Abbey
    totals = [sum(runs.values_list(f, flat=True)) for f in ("rows_read", "rows_stored", "rows_duplicate")]
    assert totals == [2904, 2834, 70]
    assert CrimeRecord.objects.values("api_id").distinct().count() == 2834
    by_type = dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count")))
    expected = {  # SOURCE.md borough totals
        "violent-crime": 784, "anti-social-behaviour": 465, "vehicle-crime": 324, "other-theft": 272,
        "burglary": 253, "criminal-damage-arson": 232, "shoplifting": 157, "public-order": 138,
        "robbery": 62, "theft-from-the-person": 36, "other-crime": 34, "drugs": 34,
        "bicycle-theft": 22, "possession-of-weapons": 21,
    }  # fmt: skip
    assert by_type == {CRIME_TYPES[slug]: n for slug, n in expected.items()}
    in_sandwell = CrimeRecord.objects.filter(
        lad_code=SANDWELL, placement=PlacementMethod.WARD_POLYGON
    ).count()
    assert in_sandwell >= 0.98 * 2834

    raw = json.loads((API / "output_month_2017_01_area_E05001260_0.json").read_text())[0]
    stored = CrimeRecord.objects.get(api_id=raw["id"])
    assert stored.location == raw["location"]["street"]["name"]
    assert stored.crime_type == CRIME_TYPES[raw["category"]]
    assert stored.crime_id == raw["persistent_id"]
    assert stored.last_outcome == ((raw["outcome_status"] or {}).get("category") or "")

    again = import_police([API], progress=False, area_index=area_index)
    assert again.rows_replaced == 2834 and CrimeRecord.objects.count() == 2834
    assert dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count"))) == by_type


def test_one_api_ward_file_replaces_only_its_own_ward(db, area_index):
    """Re-importing one ward's file replaces that ward-month, not the month of every ward."""
    import_police([API], progress=False, area_index=area_index)
    before = dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count")))
    abbey = API / "output_month_2017_01_area_E05001260_0.json"

    summary = import_police([abbey], progress=False, area_index=area_index)

    run = summary.runs[0]
    assert (run.force, run.rows_read, run.rows_replaced) == ("E05001260", 114, run.rows_stored)
    assert CrimeRecord.objects.count() == 2834 and ImportRun.objects.filter(kind="api").count() == 24
    assert dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count"))) == before


def test_a_crime_in_two_wards_stays_once_whichever_ward_is_reimported(db, area_index):
    """Neighbouring polygons share 70 crimes: re-importing either ward keeps each crime once."""
    import_police([API], progress=False, area_index=area_index)
    by_type = dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count")))
    for ward in ("E05001283", "E05001260", "E05001283"):
        import_police(
            [API / f"output_month_2017_01_area_{ward}_0.json"], progress=False, area_index=area_index
        )
        assert CrimeRecord.objects.count() == CrimeRecord.objects.values("api_id").distinct().count() == 2834
    assert dict(MonthlyCount.objects.values_list("crime_type").annotate(n=Sum("count"))) == by_type


def test_dry_run_of_api_folder_reports_what_would_be_stored(db, area_index):
    summary = import_police([API], dry_run=True, progress=False, area_index=area_index)
    assert (summary.rows_read, summary.rows_stored, summary.rows_duplicate) == (2904, 2834, 70)
    assert CrimeRecord.objects.count() == 0
