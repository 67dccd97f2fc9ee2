"""``import_counts``: aggregated counts (area × month × crime type) as a data source.

A count file has no records, only how many crimes of a type an area had in a month, so it goes
straight into :class:`MonthlyCount` under its own source name. Every file is read and fully
checked before anything is stored, so a malformed file (a negative or fractional count, an area
code not in the geography, an unknown crime type, a bad month, a missing column, wrong encoding)
stops the command with file:line and nothing from the command stored.

Each (source, month) is one :class:`ImportRun` of kind ``counts``: re-importing a source-month
replaces the earlier run, its counts and its coverage in one transaction, as police.uk imports do.

Coverage: a counts run covers a local authority in a month only where it has rows there, and
only if that month looks complete — a month whose total is below ``INCOMPLETE_SHARE`` of the
local authority's median month in the same source (API pulls that silently dropped tiles) is
recorded as incomplete, so profiles show it as a gap, not as a low month.
"""

from __future__ import annotations

import csv
import hashlib
import io
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from saferhood.core.errors import ImportFileError
from saferhood.core.months import is_month
from saferhood.crime.importers.api_json import LEGACY_SLUGS
from saferhood.crime.importers.count_specs import DEFAULT_SPEC, CountSpec
from saferhood.crime.importers.csv_files import _check_field_counts, _Checker, _decode, check_raw_bytes
from saferhood.crime.importers.store import check_replacement, previous_rows
from saferhood.crime.importers.summary import PoliceImportSummary, RunSummary
from saferhood.crime.models import (
    ALL_CRIME_TYPE_NAMES,
    CRIME_TYPES,
    ImportRun,
    MonthlyCount,
    RecordKind,
    RunCoverage,
)

KIND = RecordKind.COUNTS
# A local-authority month below this share of its median month in the source is incomplete.
INCOMPLETE_SHARE = 0.2
MAX_COUNT_DIGITS = 9  # MonthlyCount.count is a 32-bit integer column
SOURCE_MAX_LENGTH = MonthlyCount._meta.get_field("source").max_length
TYPE_NAMES: dict[str, str] = {
    **{name: name for name in ALL_CRIME_TYPE_NAMES},
    **CRIME_TYPES,
    **LEGACY_SLUGS,
}
STORED = ["month", "crime_type", "lsoa_code", "ward_code", "town_code", "lad_code", "count"]


# --- summary -------------------------------------------------------------------------------------


@dataclass
class CountRunSummary(RunSummary):
    """One source-month: rows and the sum of their counts."""

    counted: int = 0  # crimes: the sum of the stored counts
    incomplete: list[str] = field(default_factory=list)  # LAD codes whose month looks incomplete


@dataclass
class CountImportSummary(PoliceImportSummary):
    source: str = ""
    runs: list[CountRunSummary] = field(default_factory=list)  # type: ignore[assignment]
    rows_filtered: int = 0  # rows the spec's filters left out (read, not stored)
    areas_outside: int = 0  # distinct area codes outside the partnership
    # Every incomplete (LAD, month) of the source after the import (gaps in profiles).
    incomplete: list[tuple[str, str]] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return self._total("counted")

    @property
    def months(self) -> list[str]:
        return sorted(r.month for r in self.runs)

    def render(self) -> str:
        stored = "would be stored" if self.dry_run else "stored"
        replaced = "would be replaced" if self.dry_run else "replaced"
        lines = [
            f"Count import, source {self.source!r}"
            + (" — DRY RUN: nothing was stored" if self.dry_run else "")
        ]
        for r in self.runs:
            flag = f"  incomplete in {', '.join(r.incomplete)}" if r.incomplete else ""
            lines.append(
                f"  {r.month}  {r.rows_read:>8,} rows  {r.counted:>9,} crimes  {r.rows_stored:>8,} {stored}  "
                f"{r.rows_replaced:>8,} {replaced}  ({r.file_name}){flag}"
            )
        months = self.months
        lines += [
            f"Files read:                 {self.files_read:,}",
            f"Rows read:                  {self.rows_read + self.rows_filtered:,}",
            f"Rows left out by filters:   {self.rows_filtered:,}",
            f"Rows {stored + ':':<22} {self.rows_stored:,}",
            f"Rows {replaced + ':':<22} {self.rows_replaced:,}",
            f"Crimes counted (sum):       {self.counted:,}",
            f"Months:                     {len(months)}"
            + (f" ({months[0]} … {months[-1]})" if months else ""),
            f"Rows outside the partnership: {self.rows_outside_partnership:,}"
            + f" ({self.areas_outside:,} areas)",
            "Placed by:                  "
            + (", ".join(f"{k} code {v:,}" for k, v in self.methods.items()) or "none"),
        ]
        if self.incomplete:
            shown = ", ".join(f"{lad} {month}" for lad, month in self.incomplete[:12])
            more = f" and {len(self.incomplete) - 12} more" if len(self.incomplete) > 12 else ""
            lines.append(
                f"Incomplete months (below {INCOMPLETE_SHARE:.0%} of the median, shown as gaps): {shown}{more}"
            )
        if self.skipped:
            lines.append(f"Skipped (not CSV files): {len(self.skipped)}")
        if self.error:
            lines.append(f"STOPPED: {self.error}")
        return "\n".join(lines)


# --- areas ---------------------------------------------------------------------------------------


class AreaLookup:
    """LSOA (2011 or 2021) and ward codes → (level, lsoa, ward, town, lad), from the geography."""

    def __init__(self, index=None) -> None:
        if index is None:
            from saferhood.areas.placement import AreaIndex

            index = AreaIndex.load()
        self.index = index

    def place_all(self, codes: Sequence[str]) -> list[tuple[str, tuple[str, str, str, str]] | None]:
        """For each code ('lsoa' | 'ward', (lsoa, ward, town, lad)), or None for a code not in
        the geography. The LSOAs among them are fetched in a few queries, not one each."""
        out: list[tuple[str, tuple[str, str, str, str]] | None] = []
        for code, p in zip(codes, self.index.by_lsoas(codes), strict=True):
            level = "lsoa"
            if p is None:
                level, p = "ward", self.index.by_ward(code)
            out.append(None if p is None else (level, (p.lsoa_code, p.ward_code, p.town_code, p.lad_code)))
        return out


# --- reading -------------------------------------------------------------------------------------


@dataclass
class ParsedCounts:
    """One checked count file: its kept rows placed, as a frame of :data:`STORED` columns."""

    display: str
    checksum: str
    rows: int
    filtered: int
    frame: pd.DataFrame  # STORED + level, inside (partnership), area (code as written), row (0-based)
    check: _Checker


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _header_guess(data: bytes) -> list[str]:
    return data.split(b"\n", 1)[0].decode("latin-1").strip().split(",")


def read_count_file(path: Path, spec: CountSpec, lookup: AreaLookup) -> ParsedCounts:
    """Parse and fully check one count CSV; raise :class:`ImportFileError` on the first problem."""
    display = str(path)
    data = path.read_bytes()
    text = _decode(display, data, _header_guess(data))
    check = _Checker(display, text)
    header = [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]
    if not any(header):
        check.fail(f"expected a header line naming the columns {spec.columns}, found an empty line", line=1)
    for name in spec.columns:
        if name not in header:
            check.fail(f"expected a column {name!r}, found columns {header}", line=1, column=name)
    check_raw_bytes(display, data, header)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except pd.errors.ParserError as exc:
        _check_field_counts(check, len(header), -1)
        check.fail(f"expected CSV text, found a line pandas cannot read ({str(exc).strip()})")
    frame.columns = header
    _check_field_counts(check, len(header), len(frame))
    if frame.empty:
        check.fail("expected at least one row of counts, found only the header", line=2)
    rows = len(frame)

    keep = np.ones(rows, dtype=bool)
    for column, allowed in spec.filters.items():
        keep &= frame[column].str.strip().isin(allowed).to_numpy()
    kept = frame[keep]
    row_of = np.flatnonzero(keep)  # position in the kept frame → 0-based data row of the file

    def values(column: str) -> np.ndarray:
        return kept[column].str.strip().to_numpy(dtype=object)

    def fail_at(mask: np.ndarray, message: str, column: str) -> None:
        row = int(row_of[_first(mask)])
        check.fail(message.format(found=repr(frame[column].iat[row])), row=row, column=column)

    # Counts: whole numbers ≥ 0.
    counts_text = values(spec.count)
    whole = pd.Series(counts_text).str.fullmatch(rf"\d{{1,{MAX_COUNT_DIGITS}}}").to_numpy(dtype=bool)
    if not whole.all():
        fail_at(~whole, "expected a whole number of crimes (0 or more), found {found}", spec.count)
    counts = counts_text.astype(np.int64)

    # Months.
    if spec.period:
        months = values(spec.period)
        ok = {m: is_month(m) for m in pd.unique(months)}
        bad = np.array([not ok[m] for m in months])
        if bad.any():
            fail_at(bad, "expected a month as YYYY-MM (e.g. 2024-03), found {found}", spec.period)
    else:
        years, nums = values(spec.year), values(spec.month)
        bad_year = ~pd.Series(years).str.fullmatch(r"(19|20)\d\d").to_numpy(dtype=bool)
        if bad_year.any():
            fail_at(bad_year, "expected a four-digit year (1900–2099), found {found}", spec.year)
        bad_month = ~pd.Series(nums).str.fullmatch(r"0?[1-9]|1[0-2]").to_numpy(dtype=bool)
        if bad_month.any():
            fail_at(bad_month, "expected a month number 1–12, found {found}", spec.month)
        months = np.array([f"{y}-{int(m):02d}" for y, m in zip(years, nums, strict=True)], dtype=object)

    # Crime types: police.uk names or API slugs, stored as names.
    types_text = values(spec.crime_type)
    unknown = [t for t in pd.unique(types_text) if t not in TYPE_NAMES]
    if unknown:
        fail_at(
            np.isin(types_text, unknown),
            "expected a police.uk crime type (e.g. 'Burglary' or 'burglary'), found {found}",
            spec.crime_type,
        )
    crime_types = np.array([TYPE_NAMES[t] for t in types_text], dtype=object)

    # Areas: LSOA or ward codes in the geography.
    codes = values(spec.area_code)
    uniques, inverse = np.unique(codes.astype(str), return_inverse=True)
    placed = lookup.place_all(list(uniques))
    missing = [i for i, p in enumerate(placed) if p is None]
    if missing:
        row = int(row_of[_first(np.isin(inverse, missing))])
        named = f" ({frame[spec.area_name].iat[row]!r})" if spec.area_name else ""
        check.fail(
            f"expected an LSOA (2011 or 2021) or ward code in the loaded geography, "
            f"found {frame[spec.area_code].iat[row]!r}{named}",
            row=row,
            column=spec.area_code,
        )
    partnership = set(settings.SAFERHOOD_PARTNERSHIP_LADS)
    table = {
        col: np.array([p[1][j] for p in placed], dtype=object)[inverse]
        for j, col in enumerate(["lsoa_code", "ward_code", "town_code", "lad_code"])
    }
    out = pd.DataFrame(
        {
            "month": months,
            "crime_type": crime_types,
            **table,
            "count": counts,
            "level": np.array([p[0] for p in placed], dtype=object)[inverse],
            "inside": np.array([p[1][3] in partnership for p in placed], dtype=bool)[inverse],
            "area": codes,
            "row": row_of,
        }
    )
    return ParsedCounts(
        display=display,
        checksum=hashlib.sha256(data).hexdigest(),
        rows=rows,
        filtered=int(rows - keep.sum()),
        frame=out,
        check=check,
    )


def _check_unique(parsed: ParsedCounts, earlier: list[ParsedCounts], spec: CountSpec) -> None:
    """Refuse what would count twice: a repeated area-month-type, or LSOA and ward rows for one LAD-month.

    ``earlier`` are the files read before this one; only those sharing a month are compared.
    """
    months = set(pd.unique(parsed.frame["month"]))
    others = [p.frame for p in earlier if months & set(pd.unique(p.frame["month"]))]
    frames = pd.concat([*others, parsed.frame.assign(file=1)], ignore_index=True)
    frames["file"] = frames["file"].fillna(0)
    me = 1
    dup = frames.duplicated(["month", "crime_type", "area"], keep="first").to_numpy() & (
        frames["file"].to_numpy() == me
    )
    if dup.any():
        row = int(frames["row"].iat[_first(dup)])
        parsed.check.fail(
            "expected one row per area, month and crime type, found this one a second time "
            "(the counts would be added twice)",
            row=row,
            column=spec.area_code,
        )
    levels = frames.groupby(["month", "lad_code"])["level"].transform("nunique").to_numpy()
    mixed = (levels > 1) & (frames["level"].to_numpy() == "ward") & (frames["file"].to_numpy() == me)
    if mixed.any():
        i = _first(mixed)
        parsed.check.fail(
            f"expected either LSOA or ward codes for local authority {frames['lad_code'].iat[i]} in "
            f"{frames['month'].iat[i]}, found ward code {frames['area'].iat[i]!r} as well as LSOA codes "
            "(the ward's crimes would be counted twice)",
            row=int(frames["row"].iat[i]),
            column=spec.area_code,
        )


def _discover(paths: list[Path]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    (files.append(p) if p.suffix.lower() == ".csv" else skipped.append(str(p)))
        elif path.is_file():
            files.append(path)
        else:
            raise ImportFileError(
                str(path), "expected a CSV file or a folder of them, found nothing at this path"
            )
    return list(dict.fromkeys(files)), skipped


# --- coverage ------------------------------------------------------------------------------------


def incomplete_months(totals: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """The (LAD, month)s whose total is below ``INCOMPLETE_SHARE`` of that LAD's median month."""
    by_lad: dict[str, list[int]] = defaultdict(list)
    for (lad, _month), n in totals.items():
        by_lad[lad].append(n)
    medians = {lad: statistics.median(ns) for lad, ns in by_lad.items()}
    return {(lad, month) for (lad, month), n in totals.items() if n < INCOMPLETE_SHARE * medians[lad]}


def _source_totals(source: str) -> dict[tuple[str, str], tuple[int, int, bool]]:
    """(LAD, month) → (run id, total count, every row has an LSOA) for the source's current runs."""
    counts, runs = MonthlyCount._meta.db_table, ImportRun._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.run_id, c.lad_code, c.month, SUM(c.count), "
            f"MIN(CASE WHEN c.lsoa_code <> '' THEN 1 ELSE 0 END) "
            f"FROM {counts} c JOIN {runs} r ON r.id = c.run_id "
            "WHERE r.kind = %s AND r.force = %s AND r.status = 'complete' AND c.lad_code <> '' "
            "GROUP BY c.run_id, c.lad_code, c.month",
            [KIND.value, source],
        )
        return {
            (lad, month): (run_id, int(n), bool(lsoa)) for run_id, lad, month, n, lsoa in cursor.fetchall()
        }


def refresh_count_coverage(source: str) -> list[tuple[str, str]]:
    """Rewrite the coverage of all the source's runs (a month's completeness depends on the others).

    Returns the incomplete (LAD, month)s, which get no coverage and so read as gaps.
    """
    with transaction.atomic():
        totals = _source_totals(source)
        incomplete = incomplete_months({key: n for key, (_, n, _) in totals.items()})
        RunCoverage.objects.filter(run__kind=KIND, run__force=source).delete()
        RunCoverage.objects.bulk_create(
            RunCoverage(run_id=run_id, lad_code=lad, month=month, lsoa_complete=lsoa)
            for (lad, month), (run_id, _, lsoa) in totals.items()
            if (lad, month) not in incomplete
        )
    return sorted(incomplete, key=lambda lm: (lm[1], lm[0]))


# --- storing -------------------------------------------------------------------------------------


def _store_month(
    source: str,
    month: str,
    frame: pd.DataFrame,
    file_name: str,
    checksum: str,
    incomplete: set,
    allow_fewer: bool,
) -> tuple[int, int]:
    """Replace the source-month with these rows in one transaction; (run id, rows replaced)."""
    table = MonthlyCount._meta.db_table
    with transaction.atomic():
        held = list(
            ImportRun.objects.current()
            .for_force_month(KIND, source, month)
            .select_for_update()
            .values_list("pk", "rows_stored")
        )
        old = [pk for pk, _ in held]
        check_replacement(
            file_name, KIND.value, source, month, len(frame), sum(n for _, n in held), allow_fewer=allow_fewer
        )
        replaced = 0
        with connection.cursor() as cursor:
            if old:
                marks = ", ".join(["%s"] * len(old))
                cursor.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", old)
                replaced = cursor.rowcount
                ImportRun.objects.filter(pk__in=old).delete()  # its coverage goes by CASCADE
            run = ImportRun.objects.create(
                kind=KIND,
                force=source,
                source=source,
                month=month,
                file_name=file_name[:500],
                checksum=checksum,
                rows_read=len(frame),
                rows_stored=len(frame),
                rows_replaced=replaced,
                rows_outside_partnership=int((~frame["inside"]).sum()),
            )
            names = ["run_id", "source", *STORED]
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
            n = len(frame)
            columns = [[run.pk] * n, [source] * n] + [
                frame[c].tolist() if c != "count" else frame[c].astype(int).tolist() for c in STORED
            ]
            cursor.executemany(sql, list(zip(*columns, strict=True)))
        lads = frame[frame["lad_code"] != ""].groupby("lad_code")["level"].agg(lambda s: (s == "lsoa").all())
        RunCoverage.objects.bulk_create(
            RunCoverage(run=run, lad_code=lad, month=month, lsoa_complete=bool(lsoa))
            for lad, lsoa in lads.items()
            if (lad, month) not in incomplete
        )
    return run.pk, replaced


def import_counts(
    paths: list[Path],
    *,
    source: str,
    spec: CountSpec | None = None,
    dry_run: bool = False,
    progress: bool = True,
    area_index=None,
    replace_with_fewer: bool = False,
    on_progress: Callable[[int, int | None, str], None] | None = None,
) -> CountImportSummary:
    """Import count CSVs (files or folders) under the data-set name ``source``.

    Every file is checked before anything is stored; the first problem raises
    :class:`ImportFileError` (with ``exc.summary``) and nothing is stored. Then each month is
    stored as one run of ``source``, replacing an earlier import of it, all in one transaction:
    a month that would replace far more rows than it brings is refused (unless
    ``replace_with_fewer``) and then no month is stored. ``on_progress(done, total, message)``
    is told after each file is checked and each month stored (a background job's progress bar).
    """
    source = (source or "").strip()
    if not source or len(source) > SOURCE_MAX_LENGTH:
        raise ValueError(f"expected a source name of 1 to {SOURCE_MAX_LENGTH} characters, found {source!r}")
    spec = spec or DEFAULT_SPEC
    summary = CountImportSummary(dry_run=dry_run, source=source)
    show = progress and sys.stdout.isatty()
    bar = (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        if show
        else None
    )
    try:
        files, summary.skipped = _discover(list(paths))
        tell = on_progress or (lambda done, total, message: None)
        lookup = AreaLookup(area_index)
        parsed: list[ParsedCounts] = []
        with bar or nullcontext():
            task = bar.add_task("Checking count files", total=len(files)) if bar else None
            for path in files:
                p = read_count_file(path, spec, lookup)
                _check_unique(p, parsed, spec)  # within it, and against earlier files of its months
                parsed.append(p)
                summary.files_read += 1
                if bar:
                    bar.advance(task)
                tell(summary.files_read, len(files), f"Checked {path.name}")
            by_month: dict[str, list[tuple[ParsedCounts, pd.DataFrame]]] = defaultdict(list)
            for p in parsed:
                for month, group in p.frame.groupby("month", sort=True):
                    by_month[month].append((p, group))

            # Which LAD-months look incomplete, given this import and the source's other months.
            totals = _source_totals(source)
            merged = {key: n for key, (_, n, _) in totals.items() if key[1] not in by_month}
            for month, groups in by_month.items():
                frame = pd.concat([g for _, g in groups])
                for lad, n in frame[frame["lad_code"] != ""].groupby("lad_code")["count"].sum().items():
                    merged[(lad, month)] = int(n)
            incomplete = incomplete_months(merged)

            task = bar.add_task("Storing months", total=len(by_month)) if bar else None
            with transaction.atomic():  # every month or none (a refused month undoes the others)
                for month in sorted(by_month):
                    groups = by_month[month]
                    frame = pd.concat([g for _, g in groups], ignore_index=True)
                    names = [p.display for p, _ in groups]
                    digests = sorted({p.checksum for p, _ in groups})
                    checksum = (
                        digests[0]
                        if len(digests) == 1
                        else hashlib.sha256("".join(digests).encode()).hexdigest()
                    )
                    file_name = (
                        names[0]
                        if len(names) == 1
                        else f"{len(names)} files: " + ", ".join(Path(n).name for n in names)
                    )
                    run_id = None
                    if dry_run:
                        replaced = previous_rows(KIND, source, month)
                        check_replacement(
                            file_name,
                            KIND.value,
                            source,
                            month,
                            len(frame),
                            replaced,
                            allow_fewer=replace_with_fewer,
                        )
                    else:
                        run_id, replaced = _store_month(
                            source, month, frame, file_name, checksum, incomplete, replace_with_fewer
                        )
                    outside = frame[~frame["inside"]]
                    summary.runs.append(
                        CountRunSummary(
                            kind=KIND.value,
                            force=source,
                            month=month,
                            file_name=file_name,
                            rows_read=len(frame),
                            rows_stored=len(frame),
                            rows_replaced=replaced,
                            rows_without_location=0,
                            rows_outside_partnership=len(outside),
                            rows_duplicate=0,
                            methods=frame["level"].value_counts().to_dict(),
                            run_id=run_id,
                            counted=int(frame["count"].sum()),
                            incomplete=sorted(lad for lad, m in incomplete if m == month),
                        )
                    )
                    if bar:
                        bar.advance(task)
                    tell(len(summary.runs), len(by_month), f"Stored {month}")
                summary.rows_filtered = sum(p.filtered for p in parsed)
                summary.areas_outside = len(
                    set().union(*(set(p.frame.loc[~p.frame["inside"], "area"]) for p in parsed))
                )
                if not dry_run and by_month:
                    summary.incomplete = refresh_count_coverage(source)
                else:
                    summary.incomplete = sorted(incomplete, key=lambda lm: (lm[1], lm[0]))
    except ImportFileError as exc:
        summary.runs = [r for r in summary.runs if dry_run]  # rolled back
        summary.error = str(exc)
        exc.summary = summary
        raise
    return summary
