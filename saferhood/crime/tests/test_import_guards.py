"""Imports that never empty a month by accident (issue 13, item 11).

Each test starts from a real bundled month and feeds it what a careless copy or a damaged
download gives: a cut file, a header-only file, one ward of many, a zip with one bad member.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.importers.store import ReplaceWithFewerError
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount, OutcomeRecord

ROOT = Path(__file__).resolve().parents[3]
STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
BTP_01 = STREET / "2022-01/2022-01-btp-street.csv"
BTP_02 = STREET / "2022-02/2022-02-btp-street.csv"
OUTCOMES = (
    ROOT
    / "demo/police-uk/police-uk-outcomes-west-midlands-2019-2020/2019-03/2019-03-west-midlands-outcomes.csv"
)
API = ROOT / "demo/police-uk/police-uk-api-sandwell-wards-2018-06"
COUNTS = ROOT / "demo/police-uk-api-wm-lsoa21-monthly-counts-2023-2026/birmingham/2023-05.csv"


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


def state() -> tuple:
    return (
        CrimeRecord.objects.count(),
        OutcomeRecord.objects.count(),
        MonthlyCount.objects.aggregate(n=Sum("count"))["n"],
        sorted(ImportRun.objects.values_list("pk", "rows_stored")),
    )


def first_lines(path: Path, n: int) -> bytes:
    """The header and n - 1 data rows: a file cut at a line end."""
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


def test_file_cut_at_a_line_end_does_not_replace_the_month(db, area_index, tmp_path):
    import_police([BTP_01], progress=False, area_index=area_index)
    before = state()
    cut = tmp_path / BTP_01.name
    cut.write_bytes(first_lines(BTP_01, 9))  # 8 rows against 3,993

    with pytest.raises(ReplaceWithFewerError) as caught:
        import_police([cut], progress=False, area_index=area_index)

    message = str(caught.value)
    assert "street btp 2022-01" in message and "3,993" in message and "with 8" in message
    assert "--replace-with-fewer" in message and message.startswith(str(cut))
    assert (caught.value.rows_held, caught.value.rows_new) == (3993, 8)
    assert state() == before

    summary = import_police([cut], progress=False, area_index=area_index, replace_with_fewer=True)
    assert (summary.rows_stored, summary.rows_replaced, CrimeRecord.objects.count()) == (8, 3993, 8)


def test_dry_run_gives_the_same_refusal(db, area_index, tmp_path):
    import_police([BTP_01], progress=False, area_index=area_index)
    cut = tmp_path / BTP_01.name
    cut.write_bytes(first_lines(BTP_01, 9))
    with pytest.raises(ReplaceWithFewerError):
        import_police([cut], dry_run=True, progress=False, area_index=area_index)


def test_command_refuses_then_accepts_with_the_flag(db, tmp_path):
    call_command("import", "police", str(BTP_01), "--no-progress", stdout=io.StringIO())
    cut = tmp_path / BTP_01.name
    cut.write_bytes(first_lines(BTP_01, 1001))  # 1,000 of 3,993 rows
    with pytest.raises(CommandError, match=r"replace 3,993 rows with 1,000.*--replace-with-fewer"):
        call_command("import", "police", str(cut), "--no-progress", stdout=io.StringIO())
    assert CrimeRecord.objects.count() == 3993
    out = io.StringIO()
    call_command("import", "police", str(cut), "--no-progress", "--replace-with-fewer", stdout=out)
    assert CrimeRecord.objects.count() == 1000 and "3,993" in out.getvalue()


def test_value_cut_inside_the_last_column_is_refused(db, area_index, tmp_path):
    """'Local resolution' cut to 'Local reso' at the end of the file: no line end, refused."""
    data = OUTCOMES.read_bytes()
    end = data.rindex(b"Local resolution")
    cut = tmp_path / OUTCOMES.name
    cut.write_bytes(data[: end + len("Local reso")])
    with pytest.raises(ImportFileError) as caught:
        import_police([cut], progress=False, area_index=area_index)
    assert (caught.value.line, caught.value.column) == (cut.read_bytes().count(b"\n") + 1, "Outcome type")
    assert OutcomeRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("damage", "line", "column"),
    [
        (lambda d: d.replace(b"\r\n", b"\r"), 1, None),  # CR-only line ends
        (lambda d: d.replace(b"On or near", b"On or\x00near", 3), 2, "Location"),  # NUL byte
    ],
    ids=["cr-only", "nul"],
)
def test_bytes_no_police_file_holds_are_refused_with_their_line(
    db, area_index, tmp_path, damage, line, column
):
    bad = tmp_path / BTP_01.name
    bad.write_bytes(damage(BTP_01.read_bytes()))
    with pytest.raises(ImportFileError) as caught:
        import_police([bad], progress=False, area_index=area_index)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert CrimeRecord.objects.count() == 0


def test_zip_with_one_bad_member_stores_nothing(db, area_index, tmp_path):
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(BTP_01, "2022-01/2022-01-btp-street.csv")  # good, and read first
        zf.writestr("2022-02/2022-02-btp-street.csv", first_lines(BTP_02, 1))  # header only
    with pytest.raises(ImportFileError, match=r"archive.zip!2022-02/2022-02-btp-street.csv:2:") as caught:
        import_police([archive], progress=False, area_index=area_index)
    assert "nor from the other 1 file(s) of" in str(caught.value)
    assert CrimeRecord.objects.count() == ImportRun.objects.count() == 0


def test_zip_member_with_a_bad_crc_is_named(db, area_index, tmp_path):
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.write(BTP_01, "2022-01-btp-street.csv")
    data = bytearray(archive.read_bytes())
    data[data.index(b"Crime ID") + 100] ^= 0x01  # one flipped bit in the member's data
    archive.write_bytes(bytes(data))
    with pytest.raises(
        ImportFileError, match=r"archive.zip!2022-01-btp-street.csv: expected a readable zip member"
    ):
        import_police([archive], progress=False, area_index=area_index)
    assert CrimeRecord.objects.count() == 0


def test_api_json_failures_are_named(db, area_index, tmp_path):
    records = json.loads((API / "output_month_2017_01_area_E05001271_0.json").read_text())
    huge_id = [dict(records[0], id=2**70)]
    cases = {
        "deep.json": ("[" * 100_000 + "]" * 100_000, 1, None),
        "huge.json": (json.dumps(huge_id), 1, "id"),
        "empty.json": ("[]", 1, None),
        "nul.json": (json.dumps([dict(records[0], context="a\x00b")]), 1, "context"),
        "slug.json": (json.dumps([dict(records[0], category=["burglary"])]), 1, "category"),
    }
    for name, (text, line, column) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ImportFileError) as caught:
            import_police([path], progress=False, area_index=area_index)
        assert (caught.value.line, caught.value.column) == (line, column), name
    assert CrimeRecord.objects.count() == 0


def test_one_ward_file_cannot_silently_replace_a_legacy_whole_month_run(db, area_index):
    """Runs imported before per-area runs (force 'api', the whole month) are replaced by the
    first area of that month, so that area's file alone would empty the month: refused."""
    import_police([API], progress=False, area_index=area_index)
    ImportRun.objects.filter(kind="api").exclude(force="E05001260").delete()
    ImportRun.objects.filter(kind="api").update(force="api", rows_stored=2834)
    with pytest.raises(ReplaceWithFewerError, match="2,834"):
        import_police(
            [API / "output_month_2017_01_area_E05001271_0.json"], progress=False, area_index=area_index
        )
    summary = import_police([API], progress=False, area_index=area_index)  # the whole folder passes
    assert summary.rows_stored == 2834 and not ImportRun.objects.filter(force="api").exists()


def test_counts_refuse_to_replace_a_month_with_far_fewer_rows(db, area_index, tmp_path):
    import_counts([COUNTS], source="extract", progress=False, area_index=area_index)
    before = MonthlyCount.objects.count()
    cut = tmp_path / COUNTS.name
    cut.write_bytes(first_lines(COUNTS, 11))
    with pytest.raises(ReplaceWithFewerError, match=rf"counts extract 2023-05.*{before:,} rows with 10"):
        import_counts([cut], source="extract", progress=False, area_index=area_index)
    assert MonthlyCount.objects.count() == before
    with pytest.raises(CommandError, match="--replace-with-fewer"):
        call_command(
            "import", "counts", str(cut), "--source", "extract", "--no-progress", stdout=io.StringIO()
        )
    call_command(
        "import",
        "counts",
        str(cut),
        "--source",
        "extract",
        "--no-progress",
        "--replace-with-fewer",
        stdout=io.StringIO(),
    )
    assert MonthlyCount.objects.count() == 10
