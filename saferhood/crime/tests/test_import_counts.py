"""Count imports: checked, idempotent, one run per source-month, never counted twice with records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from saferhood.areas.models import Area, AreaLevel
from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.importers.count_specs import CountSpec
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount, RecordKind

DEMO = Path(settings.SAFERHOOD_DEMO_DIR)
COUNTS = DEMO / "police-uk-api-wm-lsoa21-monthly-counts-2023-2026" / "birmingham"
API_JSON = DEMO / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
SOURCE = "police.uk API counts (UK Crime Explorer)"
SANDWELL = "E08000028"


def profile(client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def stored_counts() -> list[tuple]:
    return sorted(
        MonthlyCount.objects.values_list("source", "month", "crime_type", "lsoa_code", "lad_code", "count")
    )


def test_reimport_replaces_the_source_month_and_changes_no_count(db):
    path = COUNTS / "2024-08.csv"
    first = import_counts([path], source=SOURCE, progress=False)
    assert (first.files_read, first.rows_read, first.counted) == (1, 9_585, 29_310)  # SOURCE.md
    assert first.months == ["2024-08"] and first.rows_replaced == 0
    before = stored_counts()
    run = ImportRun.objects.get(kind=RecordKind.COUNTS)
    assert (run.source, run.force, run.month, run.rows_stored) == (SOURCE, SOURCE, "2024-08", 9_585)
    assert run.coverage.filter(lad_code=SANDWELL, lsoa_complete=True).exists()

    second = import_counts([path], source=SOURCE, progress=False)
    assert second.rows_replaced == 9_585
    assert ImportRun.objects.filter(kind=RecordKind.COUNTS).count() == 1
    assert stored_counts() == before
    assert "Crimes counted (sum):       29,310" in second.render()
    # Another source of the same month is a separate data set, not a replacement.
    import_counts([path], source="another extract", progress=False)
    assert MonthlyCount.objects.filter(source=SOURCE).count() == 9_585
    assert ImportRun.objects.filter(kind=RecordKind.COUNTS).count() == 2


def test_dry_run_checks_everything_and_stores_nothing(db):
    summary = import_counts([COUNTS / "2024-08.csv"], source=SOURCE, dry_run=True, progress=False)
    assert summary.rows_stored == 9_585 and "DRY RUN" in summary.render()
    assert not ImportRun.objects.exists() and not MonthlyCount.objects.exists()


def test_a_spec_maps_other_columns_and_one_file_holds_several_months(db, tmp_path, client):
    """Another extract's layout (YYYY-MM column, API slugs, a filter), described in JSON only."""
    from saferhood.crime.models import CRIME_TYPES

    slug = {name: s for s, name in CRIME_TYPES.items()}
    frames = [pd.read_csv(COUNTS / f"{m}.csv", dtype=str) for m in ("2024-07", "2024-08")]
    both = pd.concat(frames, ignore_index=True)
    extract = pd.DataFrame(
        {
            "Month": both.year + "-" + both.month.str.zfill(2),
            "Area": both.lsoa_code,
            "Type": both.category.map(slug),
            "Crimes": both.crime_count,
            "LA": both.borough,
        }
    )
    csv_path = tmp_path / "extract.csv"
    extract.to_csv(csv_path, index=False)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "area_code": "Area",
                "area_name": None,
                "crime_type": "Type",
                "period": "Month",
                "count": "Crimes",
                "filters": {"LA": ["Sandwell"]},
            }
        )
    )
    call_command("import", "counts", str(csv_path), "--source", "force extract", "--spec", str(spec))
    runs = ImportRun.objects.filter(kind=RecordKind.COUNTS, source="force extract")
    assert sorted(runs.values_list("month", flat=True)) == ["2024-07", "2024-08"]
    sandwell = both[both.borough == "Sandwell"]
    assert MonthlyCount.objects.count() == len(sandwell)
    assert MonthlyCount.objects.aggregate(n=Sum("count"))["n"] == sandwell.crime_count.astype(int).sum()
    assert set(MonthlyCount.objects.values_list("crime_type", flat=True)) <= set(CRIME_TYPES.values())
    body = profile(client, SANDWELL, "2024-07", "2024-08")
    assert body["crimes"] == 3_179 + 2_844  # SOURCE.md
    assert body["sources"] == [{"source": "force extract", "months": ["2024-07", "2024-08"]}]


def test_records_and_counts_of_one_month_are_never_added_together(db, tmp_path, client):
    """Sandwell 2018-06: API records, and ward-coded counts built from them, both loaded."""
    import_police([API_JSON], progress=False)
    records = profile(client, SANDWELL, "2018-06", "2018-06")
    assert records["sources"] == [{"source": "police.uk API", "months": ["2018-06"]}]

    # The records carry no LSOA (placed by ward polygon), so the counts are per ward.
    by_ward = (
        CrimeRecord.objects.filter(lad_code=SANDWELL)
        .values("ward_code", "crime_type")
        .annotate(n=Count("id"))
        .order_by("ward_code", "crime_type")
    )
    frame = pd.DataFrame(list(by_ward))
    frame.insert(1, "year", 2018)
    frame.insert(2, "month", 6)
    counts_path = tmp_path / "sandwell-wards-2018-06.csv"
    frame.to_csv(counts_path, index=False)
    spec = {"area_code": "ward_code", "area_name": None, "crime_type": "crime_type", "count": "n"}
    spec_path = tmp_path / "wards.json"
    spec_path.write_text(json.dumps(spec))
    summary = import_counts(
        [counts_path], source="ward counts", spec=CountSpec.from_json(spec_path), progress=False
    )
    assert summary.methods == {"ward": len(frame)}
    assert summary.counted == records["crimes"] + records["asb"]
    placed = MonthlyCount.objects.filter(source="ward counts")
    assert not placed.exclude(lsoa_code="").exists() and not placed.filter(town_code="").exists()

    both = profile(client, SANDWELL, "2018-06", "2018-06")
    assert (both["crimes"], both["asb"], both["by_type"]) == (
        records["crimes"],
        records["asb"],
        records["by_type"],
    )
    assert both["sources"] == records["sources"]  # records take precedence
    tipton = profile(client, "tipton", "2018-06", "2018-06")

    # Without the records, the ward counts answer alone, with the same totals, towns included.
    ImportRun.objects.filter(kind=RecordKind.API).delete()
    counts_only = profile(client, SANDWELL, "2018-06", "2018-06")
    assert (counts_only["crimes"], counts_only["asb"]) == (records["crimes"], records["asb"])
    assert counts_only["sources"] == [{"source": "ward counts", "months": ["2018-06"]}]
    assert profile(client, "tipton", "2018-06", "2018-06")["crimes"] == tipton["crimes"]
    # A ward-level source says nothing about an LSOA: that month is a gap for an LSOA profile.
    lsoa = Area.objects.filter(level=AreaLevel.LSOA, parent__parent__parent__code=SANDWELL).first()
    assert profile(client, lsoa.code, "2018-06", "2018-06")["gaps"] == ["2018-06"]


# --- malformed files -----------------------------------------------------------------------------

SAMPLE = (COUNTS / "2024-08.csv").read_bytes().split(b"\n")[:200]  # header + 199 rows


def with_field(line: int, column: int, value: bytes) -> bytes:
    lines = list(SAMPLE)
    fields = lines[line - 1].split(b",")
    fields[column] = value
    lines[line - 1] = b",".join(fields)
    return b"\n".join(lines) + b"\n"


COLUMNS = SAMPLE[0].decode().split(",")
BAD = {
    "negative": (with_field(12, 6, b"-3"), 12, "crime_count"),
    "fraction": (with_field(13, 6, b"3.5"), 13, "crime_count"),
    "empty count": (with_field(14, 6, b""), 14, "crime_count"),
    "unknown lsoa": (with_field(15, 0, b"E01999999"), 15, "lsoa_code"),
    "lad code": (with_field(16, 0, SANDWELL.encode()), 16, "lsoa_code"),
    "unknown type": (with_field(17, 3, b"Jaywalking"), 17, "category"),
    "month 13": (with_field(18, 5, b"13"), 18, "month"),
    "year": (with_field(19, 4, b"24"), 19, "year"),
    "latin-1": (with_field(20, 1, "Caf\xe9 001A".encode("latin-1")), 20, "lsoa_name"),
    "missing column": (b"\n".join(SAMPLE).replace(b",crime_count", b",crimes", 1), 1, "crime_count"),
    "duplicate row": (b"\n".join([*SAMPLE, SAMPLE[30]]) + b"\n", 201, "lsoa_code"),
    "empty": (b"", 1, None),
    "header only": (SAMPLE[0] + b"\n", 2, None),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_malformed_count_file_is_refused_at_its_line_with_nothing_stored(db, tmp_path, name):
    data, line, column = BAD[name]
    good = tmp_path / "a-good.csv"
    good.write_bytes(b"\n".join(SAMPLE).replace(b",2024,8,", b",2024,7,") + b"\n")
    bad = tmp_path / "b-bad.csv"
    bad.write_bytes(data)
    with pytest.raises(ImportFileError) as caught:
        import_counts([good, bad], source="x", progress=False)
    error = caught.value
    assert (error.path, error.line, error.column) == (str(bad), line, column), str(error)
    assert str(error).startswith(f"{bad}:{line}") and "expected" in str(error)
    # Nothing at all is stored: every file is checked before the first is written.
    assert not ImportRun.objects.exists() and not MonthlyCount.objects.exists()


def test_the_command_reports_and_refuses(db, tmp_path):
    from io import StringIO

    out = StringIO()
    call_command(
        "import", "counts", str(COUNTS / "2024-08.csv"), "--source", "x", "--no-progress", stdout=out
    )
    assert "Crimes counted (sum):       29,310" in out.getvalue()
    assert MonthlyCount.objects.filter(source="x").aggregate(n=Sum("count"))["n"] == 29_310

    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD["negative"][0])
    with pytest.raises(CommandError, match=r"bad\.csv:12: column 'crime_count': expected a whole number"):
        call_command("import", "counts", str(bad), "--source", "y", "--no-progress")
    assert not ImportRun.objects.filter(source="y").exists()
    with pytest.raises(CommandError, match="source name"):
        call_command("import", "counts", str(bad), "--source", "z" * 41, "--no-progress")
