"""Placing records in the partnership's geography and writing one import run.

Placement runs once per distinct LSOA code (a dict lookup) and by point only for rows without
one. Writing is raw ``executemany`` through Django's connection on SQLite and ``COPY`` on
PostgreSQL (both several times faster than ORM saves); the monthly counts are grouped in numpy
from the arrays already in memory and written the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction

from saferhood.core.errors import ImportFileError
from saferhood.crime.models import (
    CrimeRecord,
    ImportRun,
    MonthlyCount,
    OutcomeRecord,
    PlacementMethod,
    RecordKind,
    RunCoverage,
    StopSearchRecord,
)

RECORD_MODELS = {
    RecordKind.STREET: CrimeRecord,
    RecordKind.API: CrimeRecord,
    RecordKind.OUTCOMES: OutcomeRecord,
    RecordKind.STOP_AND_SEARCH: StopSearchRecord,
}
COUNT_SOURCES = {RecordKind.STREET: "police.uk street", RecordKind.API: "police.uk API"}
ROWS_PER_INSERT = 250
# OR FAIL rather than the default OR ABORT: a constraint error then stops the statement without
# undoing its earlier rows, so SQLite keeps no statement journal (a copy of every page each
# multi-row INSERT touches, written to a temporary file). The error still propagates and the
# import's transaction rolls back whole, so nothing of the file is ever kept.
SQLITE_INSERT = "INSERT OR FAIL"


@dataclass
class Placed:
    """Per-row placement columns, as object arrays of str, plus what the summary reports."""

    method: np.ndarray
    lsoa: np.ndarray
    ward: np.ndarray
    town: np.ndarray
    lad: np.ndarray
    outside: int  # rows not in the partnership
    without_location: int  # rows without coordinates
    methods: dict[str, int]
    # Equal for rows with the same four area codes: what the counts group by (see count_groups).
    area_key: np.ndarray | None = None


def place(index, published_lsoa: np.ndarray | None, lon: np.ndarray, lat: np.ndarray) -> Placed:
    """Place every row: by published LSOA code, else by point in ward, else not at all."""
    n = len(lon)
    has_point = ~np.isnan(lon)
    area_ids = {("", "", "", ""): 0}  # one id per distinct (lsoa, ward, town, lad)
    nothing = (PlacementMethod.NO_LOCATION.value, "", "", "", "", False, 0)  # no code (yet)
    if published_lsoa is None:
        has_lsoa = np.zeros(n, dtype=bool)
        codes, table = np.zeros(n, dtype=np.intp), [nothing]
    else:
        # One row of placement per distinct code, then every column taken from it by code: each
        # row's value comes out of a small table in one step (files name a few hundred codes).
        has_lsoa = published_lsoa != ""
        codes, uniques = pd.factorize(published_lsoa)
        named = [code for code in uniques if code != ""]
        placements = iter(index.by_lsoas(named))
        table = []
        for code in uniques:
            p = next(placements) if code != "" else nothing
            if p is nothing:
                table.append(nothing)
            elif p is None:
                table.append(
                    (PlacementMethod.UNKNOWN_LSOA.value, "", "", "", "", index.is_in_partnership(None), 0)
                )
            else:
                areas = (p.lsoa_code, p.ward_code, p.town_code, p.lad_code)
                key = area_ids.setdefault(areas, len(area_ids))
                table.append((PlacementMethod.LSOA_CODE.value, *areas, index.is_in_partnership(p), key))
    columns = list(zip(*(table or [nothing]), strict=True))
    method, *cols = (np.array(columns[j], dtype=object).take(codes) for j in range(5))
    inside = np.array(columns[5], dtype=bool).take(codes)
    area_key = np.array(columns[6], dtype=np.int64).take(codes)

    by_point = has_point & ~has_lsoa
    if by_point.any():
        rows = np.flatnonzero(by_point)
        placements = index.by_points(lon[rows], lat[rows])
        verdict: dict = {}
        for row, p in zip(rows, placements, strict=True):
            if p not in verdict:
                verdict[p] = index.is_in_partnership(p)
            inside[row] = verdict[p]
            if p is None:
                method[row] = PlacementMethod.OUTSIDE.value
            else:
                method[row] = PlacementMethod.WARD_POLYGON.value
                areas = (p.lsoa_code, p.ward_code, p.town_code, p.lad_code)
                cols[0][row], cols[1][row], cols[2][row], cols[3][row] = areas
                area_key[row] = area_ids.setdefault(areas, len(area_ids))
    codes, names = pd.factorize(method)
    counts = np.bincount(codes, minlength=len(names))
    return Placed(
        method=method,
        lsoa=cols[0],
        ward=cols[1],
        town=cols[2],
        lad=cols[3],
        outside=int(n - inside.sum()),
        without_location=int(n - has_point.sum()),
        methods={str(k): int(v) for k, v in sorted(zip(names, counts, strict=True))},
        area_key=area_key,
    )


def nullable_floats(values: np.ndarray) -> np.ndarray:
    """Python floats with None for NaN: what both database drivers accept."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out


def insert_rows(cursor, table: str, columns: dict[str, Sequence]) -> None:
    """Insert equal-length ``columns`` (db column → values) into ``table``.

    The values go through one 2-D object array, from which rows (or runs of rows) come out as
    lists in C, faster than zipping columns. PostgreSQL gets ``COPY … FROM STDIN`` (``cursor`` is a
    Django cursor; its ``.cursor`` is the psycopg 3 cursor, in the same transaction); SQLite gets
    ``executemany`` of multi-row INSERTs; any other database plain ``executemany``.
    """
    names = list(columns)
    n = len(next(iter(columns.values()), ()))
    if not n:
        return
    if connection.vendor == "sqlite":
        _insert_sqlite(cursor, table, columns, n)
        return
    grid = _grid(columns, n)
    if connection.vendor == "postgresql":
        connection.validate_no_broken_transaction()
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in grid.tolist():
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(names))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", grid.tolist())


def _grid(columns: dict[str, Sequence], n: int) -> np.ndarray:
    grid = np.empty((n, len(columns)), dtype=object)
    for j, values in enumerate(columns.values()):
        grid[:, j] = values
    return grid


def _insert_sqlite(cursor, table: str, columns: dict[str, Sequence], n: int) -> None:
    """Multi-row INSERTs, with the columns that hold one value throughout written as literals.

    Binding each value costs about as much as SQLite's own work on it, and a police.uk file has
    several columns that never vary (its run and month, "Reported by", "Falls within", the empty
    "Context"), so those are written once into the statement instead of once per row.
    """
    constants = {name: literal for name, values in columns.items() if (literal := _constant_literal(values))}
    if len(constants) == len(columns):  # every row alike: bind one column so rows stay countable
        constants.pop(next(iter(columns)))
    bound = {name: values for name, values in columns.items() if name not in constants}
    grid = _grid(bound, n)
    # Many rows per INSERT: SQLite's per-statement work (and the driver's per-call work) is then
    # paid once per ROWS_PER_INSERT rows; about a quarter faster than one row per statement.
    per = max(1, min(ROWS_PER_INSERT, _max_parameters() // len(bound)))
    one = "(" + ", ".join(["?"] * len(bound) + list(constants.values())) + ")"
    head = f"{SQLITE_INSERT} INTO {table} ({', '.join([*bound, *constants])}) VALUES "
    whole = n - n % per
    batches = []
    if whole:
        batches.append((per, [grid[i : i + per].ravel().tolist() for i in range(0, whole, per)]))
    if whole < n:
        batches.append((n - whole, [grid[whole:].ravel().tolist()]))
    # Straight to the sqlite3 cursor, with qmark placeholders: Django's wrapper would rewrite each
    # "%s" of these long statements with a regex first.
    raw = cursor.cursor
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        for rows, params in batches:
            sqlite3.Cursor.executemany(raw, head + ", ".join([one] * rows), params)


def _constant_literal(values: Sequence) -> str | None:
    """An SQLite literal for the one value ``values`` holds throughout; None if it varies or is
    not an int or text (floats, NULLs and booleans are always bound)."""
    first = values[0]
    if type(first) is int:
        literal = str(first)
    elif type(first) is str and "\x00" not in first:
        literal = "'" + first.replace("'", "''") + "'"
    else:
        return None
    if values[-1] != first or values[len(values) // 2] != first:
        return None  # most columns that vary show it here, without a pass over every row
    # Elementwise == in C (ints here are ids and counts, never mixed with booleans).
    if isinstance(values, np.ndarray):
        same = values.dtype == object and bool((values == first).all())
    else:
        same = list(values).count(first) == len(values)
    return literal if same else None


def _max_parameters() -> int:
    """How many ``?`` one SQLite statement may hold (32766 since SQLite 3.32; Django assumes 999)."""
    raw = connection.connection
    if hasattr(raw, "getlimit"):
        return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 999


class ReplaceWithFewerError(ImportFileError):
    """A re-import that would replace many more rows than it brings, refused until confirmed.

    Carries the counts so a caller (the command's ``--replace-with-fewer``, a future upload
    page's confirmation) can show them and ask.
    """

    def __init__(
        self, path: str, *, kind: str, force: str, month: str, rows_new: int, rows_held: int, share: float
    ) -> None:
        self.kind, self.force, self.month = kind, force, month
        self.rows_new, self.rows_held = rows_new, rows_held
        super().__init__(
            path,
            f"expected at least {share:.0%} of the {rows_held:,} rows held for {kind} {force} {month}, "
            f"found {rows_new:,}: importing this would replace {rows_held:,} rows with {rows_new:,} "
            "(a cut or partial file?). If it is the whole month, import it again with --replace-with-fewer",
        )


def check_replacement(
    path: str, kind: str, force: str, month: str, rows_new: int, rows_held: int, *, allow_fewer: bool
) -> None:
    """Refuse to replace ``rows_held`` rows with far fewer unless ``allow_fewer`` (see settings)."""
    share = settings.SAFERHOOD_IMPORT_MIN_REPLACEMENT_SHARE
    if rows_held and rows_new < share * rows_held and not allow_fewer:
        raise ReplaceWithFewerError(
            path, kind=kind, force=force, month=month, rows_new=rows_new, rows_held=rows_held, share=share
        )


def _held_runs(kind: str, forces: Sequence[str], month: str):
    return ImportRun.objects.current().filter(kind=kind, force__in=list(forces), month=month)


def previous_rows(kind: str, force: str, month: str, *, also: Sequence[str] = ()) -> int:
    """Rows a new import of this force-month would replace (``also``: other force values it replaces)."""
    return sum(_held_runs(kind, [force, *also], month).values_list("rows_stored", flat=True))


def store_run(
    *,
    kind: str,
    force: str,
    month: str,
    file_name: str,
    checksum: str,
    rows_read: int,
    duplicates: int,
    placed: Placed,
    columns: dict[str, Sequence],
    allow_fewer: bool = False,
    also_replace: Sequence[str] = (),
    rows_brought: int | None = None,
) -> ImportRun:
    """Replace this kind+force+month with the given rows, atomically. ``columns`` maps db column → values.

    Runs of the month under the ``also_replace`` force values are replaced too (legacy API runs).
    Raises :class:`ReplaceWithFewerError` (nothing changed) when the rows held are many more than
    the rows brought (``rows_brought``, default the rows given), unless ``allow_fewer``. Called inside
    a transaction, any error leaves that transaction to be rolled back (there is no savepoint).
    """
    model = RECORD_MODELS[kind]
    table = model._meta.db_table
    # No savepoint when called inside the import's transaction: any error here propagates and rolls
    # the whole batch back, and a savepoint would have SQLite copy every page it touches aside first.
    with transaction.atomic(savepoint=False):
        held = list(
            _held_runs(kind, [force, *also_replace], month)
            .select_for_update()
            .values_list("pk", "rows_stored")
        )
        old = [pk for pk, _ in held]
        brought = len(placed.method) if rows_brought is None else rows_brought
        check_replacement(
            file_name, kind, force, month, brought, sum(n for _, n in held), allow_fewer=allow_fewer
        )
        replaced = 0
        with connection.cursor() as cursor:
            if old:
                marks = ", ".join(["%s"] * len(old))
                cursor.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", old)
                replaced = cursor.rowcount
                # Counts, coverage and anything else hanging off the old run go by CASCADE.
                ImportRun.objects.filter(pk__in=old).delete()
            run = ImportRun.objects.create(
                kind=kind,
                force=force,
                month=month,
                file_name=file_name[:500],
                checksum=checksum,
                rows_read=rows_read,
                rows_stored=len(placed.method),
                rows_replaced=replaced,
                rows_without_location=placed.without_location,
                rows_outside_partnership=placed.outside,
                rows_duplicate=duplicates,
            )
            n = len(placed.method)
            all_columns = {
                "run_id": [run.pk] * n,
                "month": [month] * n,
                "placement": placed.method,
                "lsoa_code": placed.lsoa,
                "ward_code": placed.ward,
                "town_code": placed.town,
                "lad_code": placed.lad,
                **columns,
            }
            if n:
                insert_rows(cursor, table, all_columns)
            if kind in COUNT_SOURCES and n:
                fill_monthly_counts(cursor, run.pk, COUNT_SOURCES[kind], month, columns["crime_type"], placed)
                fill_run_coverage(cursor, run.pk, month, placed)
    return run


def count_groups(crime_type: Sequence[str], placed: Placed) -> dict[str, np.ndarray]:
    """Columns crime_type, lsoa_code, ward_code, town_code, lad_code and count: one row per
    distinct combination of the five, in order of first appearance.

    The crime type is factorized to integer codes and combined with the placement's area key
    into one key, so the grouping is integer work in numpy rather than a pandas groupby over
    five text columns.
    """
    columns = {
        "crime_type": np.asarray(crime_type, dtype=object),
        "lsoa_code": placed.lsoa,
        "ward_code": placed.ward,
        "town_code": placed.town,
        "lad_code": placed.lad,
    }
    if not len(placed.method):
        return {name: np.array([], dtype=object) for name in [*columns, "count"]}
    area_key = placed.area_key if placed.area_key is not None else _area_key(placed)
    types, names = pd.factorize(columns["crime_type"], use_na_sentinel=False)
    key = pd.factorize(area_key * len(names) + types)[0]
    # Codes number the groups 0, 1, … in order of first row, so np.unique keeps that order.
    first, counts = np.unique(key, return_index=True, return_counts=True)[1:]
    return {**{name: values[first] for name, values in columns.items()}, "count": counts.astype(object)}


def _area_key(placed: Placed) -> np.ndarray:
    """An area key from the four code columns, for a Placed made without one."""
    key = np.zeros(len(placed.method), dtype=np.int64)
    for values in (placed.lsoa, placed.ward, placed.town, placed.lad):
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        key = pd.factorize(key * len(uniques) + codes)[0]
    return key


def fill_monthly_counts(
    cursor, run_id: int, source: str, month: str, crime_type: Sequence[str], placed: Placed
) -> None:
    """One row per area × month × crime type of the run (only street and API records count).

    Counted in numpy from the arrays already in memory: a GROUP BY over the freshly written
    records cost more than writing them (see benchmarks/results/import.json).
    """
    groups = count_groups(crime_type, placed)
    n = len(groups["count"])
    insert_rows(
        cursor,
        MonthlyCount._meta.db_table,
        {"run_id": [run_id] * n, "source": [source] * n, "month": [month] * n, **groups},
    )


def run_coverage(placed: Placed) -> dict[str, bool]:
    """Each local authority the run placed records in (code order) → whether all of them there were
    placed down to an LSOA: what :class:`RunCoverage` holds (see ``coverage.py``)."""
    located = placed.lad != ""
    codes, lads = pd.factorize(placed.lad[located], sort=True)
    without_lsoa = np.bincount(codes, weights=placed.lsoa[located] == "", minlength=len(lads))
    return {str(lad): not missing for lad, missing in zip(lads, without_lsoa, strict=True)}


def fill_run_coverage(cursor, run_id: int, month: str, placed: Placed) -> None:
    """The run's :class:`RunCoverage` rows, from the placement in memory (a few rows per run):
    no aggregate over the count rows just written."""
    covered = run_coverage(placed)
    n = len(covered)
    if n:
        insert_rows(
            cursor,
            RunCoverage._meta.db_table,
            {
                "run_id": [run_id] * n,
                "lad_code": list(covered),
                "month": [month] * n,
                "lsoa_complete": list(covered.values()),
            },
        )
