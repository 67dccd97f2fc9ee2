"""The import's fast paths agree with the careful ones and keep the import's rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.importers import store as store_module
from saferhood.crime.importers.csv_files import _all_crime_ids, _plain_floats
from saferhood.crime.importers.store import Placed, count_groups
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount

ROOT = Path(__file__).resolve().parents[3]
STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
STAFFS_01 = STREET / "2022-01/2022-01-staffordshire-street.csv"
STAFFS_02 = STREET / "2022-02/2022-02-staffordshire-street.csv"
BTP_01 = STREET / "2022-01/2022-01-btp-street.csv"
HEX64 = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


@pytest.mark.parametrize(
    ("ids", "ok"),
    [
        ([HEX64, HEX64.upper()], True),
        ([], True),
        ([HEX64, HEX64[:-1]], False),  # 63 characters
        ([HEX64[:-1], HEX64 + "a"], False),  # 63 + 65: same total length, misaligned
        ([HEX64[:-1] + "g"], False),  # not hexadecimal
        ([HEX64[:-1] + ","], False),  # the separator itself
        ([HEX64[:-1] + "é"], False),  # not ASCII
        ([""], False),  # empty only allowed where the caller removed empties (ASB)
    ],
)
def test_crime_id_fast_path_agrees_with_the_pattern(ids, ok):
    assert _all_crime_ids(np.array(ids, dtype=object)) is ok
    assert bool(pd.Series(ids, dtype=object).str.fullmatch(r"[0-9a-fA-F]{64}").all()) is ok


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["-1.85", "52.6", ""], [-1.85, 52.6, np.nan]),
        (["1e1", "+2", "-0.5"], [10.0, 2.0, -0.5]),
        (["52.6o"], None),  # not a number: the careful path names it
        (["nan"], None),
        (["1_0"], None),  # Python's float() accepts it, pandas does not
        ([" 52.6"], None),
        (["1.2.3"], None),
    ],
)
def test_plain_floats_fast_path(values, expected):
    array = np.array(values, dtype=object)
    got = _plain_floats(array, array == "")
    if expected is None:
        assert got is None
    else:
        np.testing.assert_array_equal(got, np.array(expected))


def test_fast_float_path_gives_the_same_floats_as_pandas():
    frame = pd.read_csv(STAFFS_01, dtype=str, keep_default_na=False)
    for column in ("Longitude", "Latitude"):
        values = frame[column].to_numpy()
        fast = _plain_floats(values, values == "")
        careful = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        np.testing.assert_array_equal(fast, careful)


@pytest.mark.parametrize("bad", ["nan", "1_0", "inf"])
def test_odd_numbers_still_refused_with_line_and_column(db, area_index, tmp_path, bad):
    lines = STAFFS_01.read_bytes().split(b"\n")
    fields = lines[4].split(b",")
    fields[5] = bad.encode()  # Latitude
    lines[4] = b",".join(fields)
    path = tmp_path / STAFFS_01.name
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ImportFileError) as caught:
        import_police([path], progress=False, area_index=area_index)
    assert (caught.value.line, caught.value.column) == (5, "Latitude")
    assert CrimeRecord.objects.count() == 0


def test_count_groups_match_a_pandas_groupby():
    rng = np.random.default_rng(3)
    n = 5000

    def pick(values):
        return np.array(values, dtype=object)[rng.integers(0, len(values), n)]

    crime_type = pick(["Burglary", "Drugs", "Robbery", "Anti-social behaviour"])
    lsoa = pick(["E01000001", "E01000002", "E01000003", ""])
    ward = pick(["E05000001", "E05000002", ""])  # not a function of the LSOA: polygon placements
    town = pick(["", "tipton"])
    lad = pick(["E08000028", "", "E07000192"])
    placed = Placed(
        method=pick(["lsoa-code"]),
        lsoa=lsoa,
        ward=ward,
        town=town,
        lad=lad,
        outside=0,
        without_location=0,
        methods={},
    )
    frame = pd.DataFrame({"t": crime_type, "l": lsoa, "w": ward, "o": town, "d": lad})
    expected = frame.groupby(list(frame.columns), sort=False).size().reset_index().to_numpy().tolist()
    groups = count_groups(crime_type, placed)
    assert list(groups) == ["crime_type", "lsoa_code", "ward_code", "town_code", "lad_code", "count"]
    assert [list(row) for row in zip(*groups.values(), strict=True)] == expected
    assert all(type(c) is int for c in groups["count"])
    empty = count_groups(np.array([], dtype=object), Placed(*(np.array([], dtype=object),) * 5, 0, 0, {}))
    assert all(len(v) == 0 for v in empty.values()) and len(empty) == 6


def test_several_files_counts_match_records(db, area_index):
    summary = import_police([STAFFS_01, STAFFS_02, BTP_01], progress=False, area_index=area_index)
    assert ImportRun.objects.count() == 3 == len(summary.runs)
    assert CrimeRecord.objects.count() == summary.rows_stored
    assert sum(MonthlyCount.objects.values_list("count", flat=True)) == summary.rows_stored


def test_reimport_twice_in_one_command_never_duplicates(db, area_index):
    import_police([STAFFS_01, STAFFS_02], progress=False, area_index=area_index)
    first = (CrimeRecord.objects.count(), sum(MonthlyCount.objects.values_list("count", flat=True)))
    summary = import_police([STAFFS_01, STAFFS_02, STAFFS_01], progress=False, area_index=area_index)
    assert (CrimeRecord.objects.count(), sum(MonthlyCount.objects.values_list("count", flat=True))) == first
    assert ImportRun.objects.count() == 2
    assert summary.runs[2].rows_replaced == summary.runs[0].rows_stored == 6324


@pytest.mark.parametrize("per_insert", [1, 7, 500])
def test_rows_per_insert_stores_every_row_once(db, area_index, monkeypatch, per_insert):
    """Multi-row INSERTs (SQLite): whole statements plus a shorter last one, every row stored as read."""
    monkeypatch.setattr(store_module, "ROWS_PER_INSERT", per_insert)
    import_police([STAFFS_01], progress=False, area_index=area_index)
    frame = pd.read_csv(STAFFS_01, dtype=str, keep_default_na=False)
    stored = list(CrimeRecord.objects.order_by("pk").values_list("crime_id", "location", "crime_type"))
    assert stored == list(frame[["Crime ID", "Location", "Crime type"]].itertuples(index=False, name=None))
    assert sum(MonthlyCount.objects.values_list("count", flat=True)) == len(frame) == 6324


def test_constant_columns_stored_as_read_quotes_and_all(db, area_index, tmp_path):
    """Columns that hold one value throughout are written into the INSERT as literals: a value
    with apostrophes, and a file where every column is constant (one row), come back as read."""
    frame = pd.read_csv(STAFFS_01, dtype=str, keep_default_na=False)
    frame["Location"] = "On or near O'Brien's Way; DROP TABLE x --"
    frame["Last outcome category"] = "Investigation complete; no suspect identified"
    many = tmp_path / "2022-01-staffordshire-street.csv"
    frame.to_csv(many, index=False)
    one = tmp_path / "2022-02-staffordshire-street.csv"
    frame.head(1).assign(Month="2022-02").to_csv(one, index=False)

    summary = import_police([many, one], progress=False, area_index=area_index)

    stored = pd.DataFrame(
        CrimeRecord.objects.order_by("pk").values_list(
            "month",
            "crime_id",
            "reported_by",
            "falls_within",
            "location",
            "crime_type",
            "last_outcome",
            "context",
        ),
        columns=[
            "Month",
            "Crime ID",
            "Reported by",
            "Falls within",
            "Location",
            "Crime type",
            "Last outcome category",
            "Context",
        ],
    )
    expected = pd.concat([frame, frame.head(1).assign(Month="2022-02")], ignore_index=True)[stored.columns]
    pd.testing.assert_frame_equal(stored, expected)
    assert [r.rows_stored for r in summary.runs] == [6324, 1]
    assert list(MonthlyCount.objects.filter(month="2022-02").values_list("count", flat=True)) == [1]


def _tagged(item):
    """A read for ReadAhead: the item and the process that read it (module level, so it pickles)."""
    import os

    if item == "bad":
        raise ImportFileError("bad.csv", "expected a month, found 'x'", line=3, column="Month")
    return item, os.getpid()


def test_read_ahead_reads_in_a_worker_and_keeps_order():
    import os

    from saferhood.crime.importers.read_ahead import ReadAhead

    with ReadAhead(list(range(7)), _tagged) as reads:
        got = list(reads)
    assert [item for item, _ in got] == list(range(7))
    assert [result[0] for _, result in got] == list(range(7))
    assert {pid for _, (_, pid) in got} != {os.getpid()}  # read elsewhere: the point of it
    with ReadAhead([5], _tagged) as reads:  # one item: read in place, nothing to overlap
        assert list(reads) == [(5, (5, os.getpid()))]


def test_read_ahead_error_comes_at_its_turn_with_line_and_column():
    from saferhood.crime.importers.read_ahead import ReadAhead

    handled = []
    with pytest.raises(ImportFileError) as caught, ReadAhead([1, 2, "bad", 4], _tagged) as reads:
        for item, _ in reads:
            handled.append(item)
    assert handled == [1, 2]
    assert (caught.value.path, caught.value.line, caught.value.column) == ("bad.csv", 3, "Month")
    assert (
        str(caught.value)
        == "bad.csv:3: column 'Month': expected a month, found 'x'. Nothing from this file was stored."
    )


def test_import_leaves_no_cycles_for_the_paused_collector(db, area_index):
    """The import pauses the cycle collector; that is only harmless if it leaves no garbage
    cycles behind (otherwise a long import would hold every file's rows until it ended)."""
    import gc

    gc.collect()
    was = gc.isenabled()
    summary = import_police([STAFFS_01, STAFFS_02, BTP_01], progress=False, area_index=area_index)
    assert gc.isenabled() == was  # restored
    gc.disable()
    try:
        import_police([STAFFS_01, STAFFS_02, BTP_01], progress=False, area_index=area_index)
        found = gc.collect()
    finally:
        if was:
            gc.enable()
    assert summary.rows_stored > 15_000
    assert found < 1_000  # a frame's rows in a cycle would be tens of thousands of objects


def _fail_on_crime_id(crime_id: str) -> tuple[str, str]:
    """SQL that makes the database itself refuse one record (as a full disk would), and undoes it."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return (
            "CREATE TEMP TRIGGER refuse_one BEFORE INSERT ON crime_crimerecord "
            f"WHEN NEW.crime_id = '{crime_id}' BEGIN SELECT RAISE(FAIL, 'refused by the database'); END",
            "DROP TRIGGER refuse_one",
        )
    return (
        "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN "
        f"IF NEW.crime_id = '{crime_id}' THEN RAISE EXCEPTION 'refused by the database'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER refuse_one BEFORE INSERT ON crime_crimerecord "
        "FOR EACH ROW EXECUTE FUNCTION refuse_one()",
        "DROP TRIGGER refuse_one ON crime_crimerecord; DROP FUNCTION refuse_one()",
    )


def test_database_error_mid_file_stores_nothing_of_its_path(db, area_index):
    """Rows go in as multi-row INSERT OR FAIL with no savepoint of their own (SQLite then keeps
    no copy of the pages each statement touches), so the rows before a refused one stay in the
    transaction until it rolls back. A refusal at row ~300 (inside the second statement) must
    still leave nothing of that file, its counts or its run, and the path before it imported."""
    from django.db import DatabaseError, connection

    frame = pd.read_csv(STAFFS_01, dtype=str, keep_default_na=False)
    ids = frame["Crime ID"]
    row = next(i for i in range(300, len(frame)) if ids.iat[i])  # a crime (ASB has no ID)
    assert 250 < ids.tolist().index(ids.iat[row]) < 500  # first met inside the second statement
    install, remove = _fail_on_crime_id(ids.iat[row])
    with connection.cursor() as cursor:
        cursor.execute(install)
    try:
        with pytest.raises(DatabaseError, match="refused by the database"):
            import_police([BTP_01, STAFFS_01], progress=False, area_index=area_index)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(remove)
    btp = len(pd.read_csv(BTP_01, dtype=str))
    assert list(ImportRun.objects.values_list("force", "rows_stored")) == [("btp", btp)]
    assert CrimeRecord.objects.count() == btp
    assert sum(MonthlyCount.objects.values_list("count", flat=True)) == btp


def test_run_coverage_matches_an_aggregate_of_the_stored_counts(db, area_index):
    """Coverage rows are worked out from the placement in memory; they must say what a GROUP BY
    over the count rows just written says: each local authority a run has counts in, and whether
    every count there has an LSOA (API records placed by ward polygon have none)."""
    from django.db import connection

    from saferhood.crime.models import RunCoverage

    api = ROOT / "demo/police-uk/police-uk-api-sandwell-wards-2018-06"
    import_police([STAFFS_01, BTP_01, api], progress=False, area_index=area_index)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT run_id, lad_code, month, MIN(CASE WHEN lsoa_code <> '' THEN 1 ELSE 0 END) "
            "FROM crime_monthlycount WHERE lad_code <> '' GROUP BY run_id, lad_code, month"
        )
        expected = sorted(
            (run, lad, month, bool(complete)) for run, lad, month, complete in cursor.fetchall()
        )
    stored = sorted(RunCoverage.objects.values_list("run_id", "lad_code", "month", "lsoa_complete"))
    assert stored == expected
    assert {complete for *_, complete in stored} == {True, False}  # both kinds of run covered
    assert len({run for run, *_ in stored}) == ImportRun.objects.count()
