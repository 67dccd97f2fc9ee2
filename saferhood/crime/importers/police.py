"""``import_police``: the police.uk importer the ``import police`` command runs.

Each force-month-kind file is read and fully checked, then stored in its own transaction
(replacing any earlier import of the same force-month). The first bad file stops the command:
files before it stay imported, and the error says so.

Reading is pure (no database), so the next file is read in a worker process while this one is
stored (``read_ahead``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.db import connection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers.api_json import ApiMonth, read_json_files
from saferhood.crime.importers.checkpoints import BackgroundCheckpoints
from saferhood.crime.importers.csv_files import BOOLEAN_COLUMNS, ParsedCsv, read_csv
from saferhood.crime.importers.discovery import discover
from saferhood.crime.importers.read_ahead import ReadAhead
from saferhood.crime.importers.store import Placed, nullable_floats, place, previous_rows, store_run
from saferhood.crime.importers.summary import PoliceImportSummary, RunSummary
from saferhood.crime.models import RecordKind


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
    paths: list[Path], *, dry_run: bool = False, progress: bool = True, area_index=None
) -> PoliceImportSummary:
    """Import police.uk street/outcomes/stop-and-search CSVs, archive zips, folders and API JSON.

    ``area_index`` (an :class:`saferhood.areas.placement.AreaIndex`) is built once here when not given.
    Raises :class:`ImportFileError` at the first malformed file; the error carries the summary
    of what was imported before it as ``exc.summary``.
    """
    summary = PoliceImportSummary(dry_run=dry_run)
    found = discover(list(paths))
    summary.skipped = found.skipped
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
        # Foreign keys are not checked row by row (SQLite): every row stored refers to the run
        # created in the same transaction, so the check could never fail. As loaddata does.
        # The reader is forked first, before the progress bar and the checkpoints start threads.
        with (
            ReadAhead(found.csv, read_csv) as reads,
            bar or nullcontext(),
            no_cycle_collection(),
            connection.constraint_checks_disabled(),
            BackgroundCheckpoints() as checkpoints,
        ):
            if area_index is None:  # loaded while the first files are read
                from saferhood.areas.placement import AreaIndex

                area_index = AreaIndex.load()
            for source, parsed in reads:
                task = bar.add_task(source.file.name, total=parsed.rows) if bar else None
                summary.files_read += 1
                summary.runs.append(_store_csv(parsed, area_index, dry_run))
                checkpoints.after_commit()
                if bar:
                    bar.update(task, completed=parsed.rows)
            if found.json:
                task = bar.add_task(f"{len(found.json)} API JSON files", total=None) if bar else None
                months = read_json_files(found.json)
                summary.files_read += len(found.json)
                for api_month in months:
                    summary.runs.append(_store_api(api_month, area_index, dry_run))
                    checkpoints.after_commit()
                if bar:
                    bar.update(task, total=1, completed=1)
    except ImportFileError as exc:
        done = [r for r in summary.runs]
        if done:
            kept = "kept" if not dry_run else "checked (dry run)"
            exc.detail += f"; the {len(done)} file(s)/run(s) before it were imported and {kept}"
            exc.args = (
                str(exc.args[0]).replace(
                    ". Nothing from this file", f"; {len(done)} earlier run(s) {kept}. Nothing from this file"
                ),
            )
        summary.error = str(exc)
        exc.summary = summary
        raise
    return summary


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
) -> RunSummary:
    if dry_run:
        run_id, replaced = None, previous_rows(kind, force, month)
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


def _store_csv(parsed: ParsedCsv, index, dry_run: bool) -> RunSummary:
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
        )

    return _run_summary(
        src.kind, src.force, src.month, src.file.display, parsed.rows, 0, placed, dry_run, store
    )


def _store_api(month: ApiMonth, index, dry_run: bool) -> RunSummary:
    lon, lat = month.coordinates()
    placed = place(index, None, lon, lat)
    n = month.rows

    def store():
        return store_run(
            kind=RecordKind.API,
            force="api",
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
        )

    return _run_summary(
        RecordKind.API,
        "api",
        month.month,
        month.file_name,
        month.rows_read,
        month.duplicates,
        placed,
        dry_run,
        store,
    )
