"""police.uk street CSV imports, checked against pandas reading the same real files."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from saferhood.crime.importers import import_police
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount, PlacementMethod

ROOT = Path(__file__).resolve().parents[3]
STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
STAFFS_01 = STREET / "2022-01/2022-01-staffordshire-street.csv"
BTP_01 = STREET / "2022-01/2022-01-btp-street.csv"
LOOKUP = ROOT / "demo/geography/ons-lookup-lsoa11-ward-lad/LSOA11_WD21_LAD21_EW_LU.csv"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def counts_by(field: str) -> dict[str, int]:
    rows = MonthlyCount.objects.values(field).annotate(n=Sum("count")).order_by()
    return {r[field]: r["n"] for r in rows}


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


def test_staffordshire_month_matches_pandas(db, area_index):
    df = read(STAFFS_01)
    summary = import_police([STAFFS_01], progress=False, area_index=area_index)

    assert CrimeRecord.objects.count() == len(df) == 6324
    assert counts_by("crime_type") == df["Crime type"].value_counts().to_dict()
    lookup = pd.read_csv(LOOKUP, dtype=str, encoding="utf-8-sig")
    lad = df.merge(lookup, left_on="LSOA code", right_on="LSOA11CD", how="inner")["LAD21CD"].value_counts()
    by_lad = counts_by("lad_code")
    assert by_lad.pop("", 0) == len(df) - lad.sum()  # rows without an LSOA code are not placed
    assert by_lad == lad.to_dict()

    assert summary.files_read == 1
    assert summary.rows_read == summary.rows_stored == len(df)
    assert summary.rows_without_location == (df["Longitude"] == "").sum()
    assert summary.methods == {
        PlacementMethod.LSOA_CODE: (df["LSOA code"] != "").sum(),
        PlacementMethod.NO_LOCATION: (df["LSOA code"] == "").sum(),
    }
    run = ImportRun.objects.get()
    assert (run.kind, run.force, run.month, run.rows_stored) == ("street", "staffordshire", "2022-01", 6324)
    assert len(run.checksum) == 64
    text = summary.render()
    assert "6,324" in text and "staffordshire" in text


def test_reimport_replaces_without_duplicates(db, area_index):
    import_police([STAFFS_01], progress=False, area_index=area_index)
    before = counts_by("crime_type"), counts_by("lsoa_code")
    summary = import_police([STAFFS_01], progress=False, area_index=area_index)

    assert CrimeRecord.objects.count() == 6324
    assert summary.rows_replaced == 6324
    assert (counts_by("crime_type"), counts_by("lsoa_code")) == before
    assert ImportRun.objects.current().for_force_month("street", "staffordshire", "2022-01").count() == 1


def test_dry_run_stores_nothing(db, area_index):
    summary = import_police([STAFFS_01], dry_run=True, progress=False, area_index=area_index)
    assert summary.rows_stored == 6324
    assert CrimeRecord.objects.count() == 0 and ImportRun.objects.count() == 0
    assert "DRY RUN" in summary.render()


def test_btp_rows_without_lsoa_placed_by_point(db, area_index):
    df = read(BTP_01)
    summary = import_police([BTP_01], progress=False, area_index=area_index)
    no_lsoa = CrimeRecord.objects.filter(published_lsoa_code="")
    assert no_lsoa.count() == (df["LSOA code"] == "").sum() > 0
    assert set(no_lsoa.values_list("placement", flat=True)) <= {
        PlacementMethod.WARD_POLYGON,
        PlacementMethod.OUTSIDE,
    }
    assert summary.rows_without_location == 0  # BTP rows always have coordinates
    assert CrimeRecord.objects.filter(crime_id="").count() == len(df)  # BTP publishes no Crime IDs


def test_folder_and_archive_zip(db, area_index, tmp_path):
    folder = tmp_path / "police" / "2022-01"
    folder.mkdir(parents=True)
    shutil.copy(STAFFS_01, folder)
    (tmp_path / "police" / "README.txt").write_text("not a police.uk file")
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(BTP_01, "2022-01/2022-01-btp-street.csv")

    summary = import_police([tmp_path / "police", archive], progress=False, area_index=area_index)

    assert [(r.force, r.month) for r in summary.runs] == [("staffordshire", "2022-01"), ("btp", "2022-01")]
    assert CrimeRecord.objects.count() == len(read(STAFFS_01)) + len(read(BTP_01))
    assert summary.skipped == [str(tmp_path / "police" / "README.txt")]


def test_command_prints_summary_and_reports_bad_file(db, tmp_path):
    out = io.StringIO()
    call_command("import", "police", str(STAFFS_01), "--no-progress", stdout=out)
    assert "Rows stored:" in out.getvalue() and "6,324" in out.getvalue()

    bad = tmp_path / "2022-02-staffordshire-street.csv"
    lines = STAFFS_01.read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[1].replace("2022-01", "2022-02"), lines[2]]) + "\n")
    with pytest.raises(CommandError, match=rf"{bad}:3: column 'Month'"):
        call_command("import", "police", str(bad), "--no-progress", stdout=io.StringIO())
    assert CrimeRecord.objects.count() == 6324
