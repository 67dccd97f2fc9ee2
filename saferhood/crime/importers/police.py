"""``import_police``: the police.uk importer the ``import police`` command runs.

Each force-month-kind file (or API JSON area-month) is read and fully checked, then stored,
replacing any earlier import of the same force-month (area-month). Each path given is one batch
in one transaction: a file, a folder or an archive zip is imported whole or not at all. The first
bad file stops the command: the paths before its own stay imported, and the error says so.

Reading is pure (no database), so the next file is read in a worker process while this one is
stored (``read_ahead``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.db import connection, transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers.api_json import ApiMonth, read_json_file
from saferhood.crime.importers.api_json_other import OtherMonth
from saferhood.crime.importers.checkpoints import BackgroundCheckpoints
from saferhood.crime.importers.csv_files import BOOLEAN_COLUMNS, ParsedCsv, read_csv
from saferhood.crime.importers.discovery import Discovered, SourceFile, discover_batches
from saferhood.crime.importers.read_ahead import ReadAhead
from saferhood.crime.importers.store import (
    Placed,
    check_replacement,
    nullable_floats,
    place,
    previous_rows,
    store_run,
)
from saferhood.crime.importers.summary import PoliceImportSummary, RunSummary
from saferhood.crime.models import CrimeRecord, ImportRun, RecordKind

# API runs imported before runs were per area (one run per month for every file, force "api"):
# any area's file of that month replaces such a run (the fewer-rows check guards it).
LEGACY_API_FORCES = ("api",)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector for the import.

    The import allocates millions of short-lived objects, enough to set off the collector's full
    passes over the whole heap (Django, pandas, the geography: about 0.1 s each), yet makes no
    reference cycles for it to find (a test checks), so those passes are pure cost.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_police(
    paths: list[Path],
    *,
    dry_run: bool = False,
    progress: bool = True,
    area_index=None,
    replace_with_fewer: bool = False,
    on_progress: Callable[[int, int | None, str], None] | None = None,
) -> PoliceImportSummary:
    """Import police.uk street/outcomes/stop-and-search CSVs, archive zips, folders and API JSON.

    Each path given is one batch, stored in one transaction: a file, a folder or a zip is
    imported whole or not at all. The first bad file stops the command: the paths before its
    own stay imported. ``area_index`` (an :class:`saferhood.areas.placement.AreaIndex`) is built
    once here when not given. ``replace_with_fewer`` lets a file replace a force-month holding
    far more rows than it brings (see ``store.check_replacement``). ``on_progress(done, total,
    message)`` is told after each file is stored (a background job's progress bar).

    Raises :class:`ImportFileError` at the first malformed file (or refused replacement); the
    error carries the summary of what was imported before it as ``exc.summary``.
    """
    summary = PoliceImportSummary(dry_run=dry_run)
    batches = discover_batches(list(paths))
    summary.skipped = [name for batch in batches for name in batch.skipped]
    total_files = sum(len(batch.csv) + len(batch.json) for batch in batches)
    tell = on_progress or (lambda done, total, message: None)
    tell(0, total_files, "Reading the files")
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
    kept = 0  # runs of the batches committed so far
    batch: Discovered | None = None
    try:
        # Foreign keys are not checked row by row (SQLite): every row stored refers to the run
        # created in the same transaction, so the check could never fail. As loaddata does.
        # The reader is forked first, before the progress bar and the checkpoints start threads;
        # it reads ahead across batches, in order.
        with (
            ReadAhead([s for batch in batches for s in batch.csv], read_csv) as reads,
            bar or nullcontext(),
            no_cycle_collection(),
            connection.constraint_checks_disabled(),
            BackgroundCheckpoints() as checkpoints,
        ):
            if area_index is None:  # loaded while the first files are read
                from saferhood.areas.placement import AreaIndex

                area_index = AreaIndex.load()
            read = iter(reads)
            api_seen: dict[str, dict[str, set[int]]] = {}  # month → area → API ids this command stored
            for batch in batches:
                with transaction.atomic():
                    for _ in batch.csv:
                        source, parsed = next(read)
                        task = bar.add_task(source.file.name, total=parsed.rows) if bar else None
                        summary.files_read += 1
                        summary.runs.append(_store_csv(parsed, area_index, dry_run, replace_with_fewer))
                        if bar:
                            bar.update(task, completed=parsed.rows)
                        tell(summary.files_read, total_files, f"Stored {source.file.name}")
                    if batch.json:
                        task = bar.add_task(f"{len(batch.json)} API JSON files", total=None) if bar else None
                        units = _read_api_batch(batch.json)
                        summary.files_read += len(batch.json)
                        crimes = [u for u in units if isinstance(u, ApiMonth)]
                        summary.runs += _store_api_batch(
                            crimes, area_index, dry_run, replace_with_fewer, api_seen
                        )
                        summary.runs += [
                            _store_other(u, area_index, dry_run, replace_with_fewer)
                            for u in units
                            if isinstance(u, OtherMonth)
                        ]
                        if bar:
                            bar.update(task, total=1, completed=1)
                        tell(summary.files_read, total_files, f"Stored {len(batch.json)} API JSON files")
                kept = len(summary.runs)
                checkpoints.after_commit()
    except ImportFileError as exc:
        del summary.runs[kept:]  # rolled back with their batch
        _explain(exc, batch, kept, dry_run)
        summary.error = str(exc)
        exc.summary = summary
        raise
    return summary


def _explain(exc: ImportFileError, batch: Discovered | None, kept: int, dry_run: bool) -> None:
    """Say in the error what else was not stored (the file's batch) and what stays (earlier paths)."""
    note = ""
    if batch is not None and batch.files > 1:
        note = f" nor from the other {batch.files - 1} file(s) of {batch.path}"
    if kept:
        state = "imported and kept" if not dry_run else "checked (dry run)"
        note += f"; the {kept} run(s) of the path(s) before it were {state}"
    if note:
        exc.args = (
            str(exc.args[0]).replace("Nothing from this file was stored.", f"Nothing from this file{note}."),
        )


def _read_api_batch(sources: list[SourceFile]) -> list[ApiMonth | OtherMonth]:
    """Every JSON file of a batch, all checked before any is stored; one area-month per file
    and kind (crimes, stop and search, outcomes)."""
    months: list[ApiMonth | OtherMonth] = []
    units: dict[tuple[str, str, str], str] = {}
    for source in sources:
        for api_month in read_json_file(source):
            kind = getattr(api_month, "kind", RecordKind.API)
            other = units.setdefault((kind, api_month.area, api_month.month), source.display)
            if other != source.display:
                raise ImportFileError(
                    source.display,
                    f"expected one file per area, month and kind, found a second {kind} file for area "
                    f"{api_month.area} {api_month.month} (the first is {other}); import them separately",
                )
            months.append(api_month)
    return months


def _store_other(unit: OtherMonth, index, dry_run: bool, allow_fewer: bool) -> RunSummary:
    """One file's stops (or outcomes) of a month as the run of its kind and area-month.

    Not deduplicated across files: stops have no id, and two equal records can be two people
    searched together (the refresh drops repeats across its polygons when it writes the files).
    """
    lon, lat = unit.coordinates()
    placed = place(index, None, lon, lat)

    def store():
        return store_run(
            kind=unit.kind,
            force=unit.area,
            month=unit.month,
            file_name=unit.file_name,
            checksum=unit.checksum,
            rows_read=unit.rows_read,
            duplicates=0,
            placed=placed,
            columns={"longitude": nullable_floats(lon), "latitude": nullable_floats(lat), **unit.columns()},
            allow_fewer=allow_fewer,
        )

    return _run_summary(
        unit.kind,
        unit.area,
        unit.month,
        unit.file_name,
        unit.rows_read,
        0,
        placed,
        dry_run,
        store,
        allow_fewer,
    )


def _run_summary(
    kind: str,
    force: str,
    month: str,
    file_name: str,
    rows_read: int,
    duplicates: int,
    placed: Placed,
    dry_run: bool,
    store,
    allow_fewer: bool,
    also_replace: tuple[str, ...] = (),
    rows_brought: int | None = None,
) -> RunSummary:
    if dry_run:
        run_id, replaced = None, previous_rows(kind, force, month, also=also_replace)
        brought = len(placed.method) if rows_brought is None else rows_brought
        check_replacement(file_name, kind, force, month, brought, replaced, allow_fewer=allow_fewer)
    else:
        run = store()
        run_id, replaced = run.pk, run.rows_replaced
    return RunSummary(
        kind=kind,
        force=force,
        month=month,
        file_name=file_name,
        rows_read=rows_read,
        rows_stored=len(placed.method),
        rows_replaced=replaced,
        rows_without_location=placed.without_location,
        rows_outside_partnership=placed.outside,
        rows_duplicate=duplicates,
        methods=placed.methods,
        run_id=run_id,
    )


def _csv_columns(parsed: ParsedCsv) -> dict:
    f = parsed.frame
    kind = parsed.source.kind
    coords = {"longitude": nullable_floats(parsed.lon), "latitude": nullable_floats(parsed.lat)}
    if kind == RecordKind.STOP_AND_SEARCH:
        from django.db import connection

        adapt = connection.ops.adapt_datetimefield_value
        booleans = {"True": True, "False": False, "": None}
        b = {c: f[c].map(booleans).to_numpy(dtype=object) for c in BOOLEAN_COLUMNS}
        return {
            **coords,
            "search_type": f["Type"].to_numpy(),
            "date": [adapt(d) for d in parsed.dates.dt.to_pydatetime()],
            "part_of_policing_operation": b["Part of a policing operation"],
            "policing_operation": f["Policing operation"].to_numpy(),
            "gender": f["Gender"].to_numpy(),
            "age_range": f["Age range"].to_numpy(),
            "self_defined_ethnicity": f["Self-defined ethnicity"].to_numpy(),
            "officer_defined_ethnicity": f["Officer-defined ethnicity"].to_numpy(),
            "legislation": f["Legislation"].to_numpy(),
            "object_of_search": f["Object of search"].to_numpy(),
            "outcome": f["Outcome"].to_numpy(),
            "outcome_linked_to_object_of_search": b["Outcome linked to object of search"],
            "removal_of_more_than_just_outer_clothing": b["Removal of more than just outer clothing"],
        }
    common = {
        **coords,
        "crime_id": f["Crime ID"].to_numpy(),
        "reported_by": f["Reported by"].to_numpy(),
        "falls_within": f["Falls within"].to_numpy(),
        "location": f["Location"].to_numpy(),
        "published_lsoa_code": f["LSOA code"].to_numpy(),
        "published_lsoa_name": f["LSOA name"].to_numpy(),
    }
    if kind == RecordKind.OUTCOMES:
        return {**common, "outcome_type": f["Outcome type"].to_numpy()}
    return {
        **common,
        "crime_type": f["Crime type"].to_numpy(),
        "last_outcome": f["Last outcome category"].to_numpy(),
        "context": f["Context"].to_numpy(),
    }


def _store_csv(parsed: ParsedCsv, index, dry_run: bool, allow_fewer: bool) -> RunSummary:
    src = parsed.source
    lsoa = None if src.kind == RecordKind.STOP_AND_SEARCH else parsed.frame["LSOA code"].to_numpy()
    placed = place(index, lsoa, parsed.lon, parsed.lat)

    def store():
        return store_run(
            kind=src.kind,
            force=src.force,
            month=src.month,
            file_name=src.file.display,
            checksum=parsed.checksum,
            rows_read=parsed.rows,
            duplicates=0,
            placed=placed,
            columns=_csv_columns(parsed),
            allow_fewer=allow_fewer,
        )

    return _run_summary(
        src.kind, src.force, src.month, src.file.display, parsed.rows, 0, placed, dry_run, store, allow_fewer
    )


def _store_api_batch(
    api_months: list[ApiMonth], index, dry_run: bool, allow_fewer: bool, seen: dict[str, dict[str, set[int]]]
) -> list[RunSummary]:
    """Store a batch's area-months, month by month, each crime once per month.

    A crime (``id``) is kept by the first area that brought it: areas outside this batch that
    hold it (in the database, or earlier in this command) keep it; within the batch, files in
    order. The batch's own areas' earlier runs are being replaced, so their ids do not count.
    A legacy whole-month run is replaced by the batch's first area of that month, so the
    fewer-rows check then weighs all the batch's areas of that month together.
    """
    by_month: dict[str, list[ApiMonth]] = {}
    for api_month in api_months:
        by_month.setdefault(api_month.month, []).append(api_month)
    runs = []
    for month, units in by_month.items():
        areas = {u.area for u in units}
        current = ImportRun.objects.current().filter(kind=RecordKind.API, month=month)
        others = current.exclude(force__in=[*areas, *LEGACY_API_FORCES])
        held = set(CrimeRecord.objects.filter(run__in=others, month=month).values_list("api_id", flat=True))
        earlier = seen.setdefault(month, {})
        for area, ids in earlier.items():
            if area not in areas:
                held |= ids
        brought = sum(u.rows for u in units) if current.filter(force__in=LEGACY_API_FORCES).exists() else None
        taken: set[int] = set()  # by this batch's areas stored so far
        for unit in units:
            unit.drop(held, taken)
            taken.update(unit.api_id)
            earlier[unit.area] = set(unit.api_id)
            runs.append(_store_api(unit, index, dry_run, allow_fewer, brought if unit is units[0] else None))
    return runs


def _store_api(month: ApiMonth, index, dry_run: bool, allow_fewer: bool, brought: int | None) -> RunSummary:
    """One file's month (crimes held elsewhere already dropped) as the run of its area-month."""
    lon, lat = month.coordinates()
    placed = place(index, None, lon, lat)
    n = month.rows

    def store():
        return store_run(
            kind=RecordKind.API,
            force=month.area,
            month=month.month,
            file_name=month.file_name,
            checksum=month.checksum,
            rows_read=month.rows_read,
            duplicates=month.duplicates,
            placed=placed,
            columns={
                "longitude": nullable_floats(lon),
                "latitude": nullable_floats(lat),
                "crime_id": month.crime_id,
                "api_id": month.api_id,
                "reported_by": [""] * n,
                "falls_within": [""] * n,
                "location": month.location,
                "published_lsoa_code": [""] * n,
                "published_lsoa_name": [""] * n,
                "crime_type": month.crime_type,
                "last_outcome": month.last_outcome,
                "context": month.context,
            },
            allow_fewer=allow_fewer,
            also_replace=LEGACY_API_FORCES,
            rows_brought=brought,
        )

    return _run_summary(
        RecordKind.API,
        month.area,
        month.month,
        month.file_name,
        month.rows_read,
        month.duplicates,
        placed,
        dry_run,
        store,
        allow_fewer,
        LEGACY_API_FORCES,
        brought,
    )
