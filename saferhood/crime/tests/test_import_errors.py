"""Malformed police.uk files: refused with file, line and column, and nothing of them stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import Sum

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount

ROOT = Path(__file__).resolve().parents[3]
STAFFS_01 = (
    ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp/2022-01/2022-01-staffordshire-street.csv"
)
BTP_01 = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp/2022-01/2022-01-btp-street.csv"
COLUMNS = STAFFS_01.read_text().splitlines()[0].split(",")


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


def set_field(data: bytes, line: int, column: str, value: bytes) -> bytes:
    """Replace one field on one 1-based line (the real files have no quoted fields)."""
    lines = data.split(b"\n")
    fields = lines[line - 1].split(b",")
    fields[COLUMNS.index(column)] = value
    lines[line - 1] = b",".join(fields)
    return b"\n".join(lines)


def truncate(data: bytes) -> bytes:
    body = data.rstrip(b"\n")
    return body[: body.rfind(b",", 0, len(body) - 60)]  # cut the last line in the middle


ORIGINAL = STAFFS_01.read_bytes()
LAST_LINE = ORIGINAL.rstrip(b"\n").count(b"\n") + 1
CORRUPTIONS = {
    "header": (ORIGINAL.replace(b"Longitude,Latitude", b"Longitude,Lat", 1), 1, "Latitude"),
    "month": (set_field(ORIGINAL, 10, "Month", b"2022-02"), 10, "Month"),
    "month-format": (set_field(ORIGINAL, 11, "Month", b"Jan 2022"), 11, "Month"),
    "latitude-text": (set_field(ORIGINAL, 20, "Latitude", b"52.6o"), 20, "Latitude"),
    "latitude-range": (set_field(ORIGINAL, 21, "Latitude", b"72.1"), 21, "Latitude"),
    "longitude-missing": (set_field(ORIGINAL, 22, "Longitude", b""), 22, "Longitude"),
    "truncated": (truncate(ORIGINAL), LAST_LINE, "Reported by"),  # no line end: the file was cut
    "latin-1": (set_field(ORIGINAL, 30, "Location", "On or near Caf\xe9".encode("latin-1")), 30, "Location"),
    "empty": (b"", 1, None),
    "crime-type": (set_field(ORIGINAL, 40, "Crime type", b"Jaywalking"), 40, "Crime type"),
    "crime-id": (set_field(ORIGINAL, 41, "Crime ID", b"not-an-id"), 41, "Crime ID"),
    "lsoa": (set_field(ORIGINAL, 42, "LSOA code", b"E1234"), 42, "LSOA code"),
}


def snapshot() -> tuple:
    return (
        CrimeRecord.objects.count(),
        MonthlyCount.objects.aggregate(n=Sum("count"))["n"],
        sorted(ImportRun.objects.values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_bad_file_refused_and_previous_data_kept(db, area_index, tmp_path, name):
    import_police([STAFFS_01], progress=False, area_index=area_index)
    before = snapshot()
    data, line, column = CORRUPTIONS[name]
    bad = tmp_path / STAFFS_01.name
    bad.write_bytes(data)

    with pytest.raises(ImportFileError) as caught:
        import_police([bad], progress=False, area_index=area_index)

    error = caught.value
    assert (error.path, error.line, error.column) == (str(bad), line, column)
    assert "expected" in str(error) and "Nothing from this file was stored" in str(error)
    assert snapshot() == before == (6324, 6324, before[2])


def test_header_only_file_refused(db, area_index, tmp_path):
    """A header-only file would replace a force-month with nothing: it is refused at line 2."""
    import_police([STAFFS_01], progress=False, area_index=area_index)
    path = tmp_path / STAFFS_01.name
    path.write_bytes(ORIGINAL.split(b"\n")[0] + b"\n")
    with pytest.raises(ImportFileError) as caught:
        import_police([path], progress=False, area_index=area_index)
    assert caught.value.line == 2 and "found none" in str(caught.value)
    assert snapshot()[:2] == (6324, 6324)


def test_paths_before_a_bad_one_stay_imported(db, area_index, tmp_path):
    good = tmp_path / "2022-01" / BTP_01.name
    good.parent.mkdir()
    good.write_bytes(BTP_01.read_bytes())
    bad = tmp_path / "2022-01" / STAFFS_01.name
    bad.write_bytes(CORRUPTIONS["crime-type"][0])

    with pytest.raises(ImportFileError, match="1 run") as caught:
        import_police([good, bad], progress=False, area_index=area_index)

    assert caught.value.summary.rows_stored == CrimeRecord.objects.count() == 3993
    assert list(ImportRun.objects.values_list("force", flat=True)) == ["btp"]


def test_folder_is_imported_whole_or_not_at_all(db, area_index, tmp_path):
    """The BTP file sorts before the bad Staffordshire one, yet nothing of the folder is kept."""
    folder = tmp_path / "2022-01"
    folder.mkdir()
    (folder / BTP_01.name).write_bytes(BTP_01.read_bytes())
    (folder / STAFFS_01.name).write_bytes(CORRUPTIONS["crime-type"][0])

    with pytest.raises(ImportFileError, match=r"nor from the other 1 file\(s\) of") as caught:
        import_police([folder], progress=False, area_index=area_index)

    assert caught.value.summary.runs == []
    assert CrimeRecord.objects.count() == ImportRun.objects.count() == 0


def test_bad_month_in_file_name(db, area_index, tmp_path):
    bad = tmp_path / "2022-13-staffordshire-street.csv"
    bad.write_bytes(ORIGINAL)
    with pytest.raises(ImportFileError, match="2022-13"):
        import_police([bad], progress=False, area_index=area_index)
    assert ImportRun.objects.count() == 0
