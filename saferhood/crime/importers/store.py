"""Placing records in the partnership's geography and writing one import run.

Placement runs once per distinct LSOA code (a dict lookup) and by point only for rows without
one. Writing is raw ``executemany`` through Django's connection (portable between SQLite and
PostgreSQL, and several times faster than ORM saves); the monthly counts are one
``INSERT … SELECT … GROUP BY`` over the run's records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection, transaction

from saferhood.crime.models import (
    CrimeRecord,
    ImportRun,
    MonthlyCount,
    OutcomeRecord,
    PlacementMethod,
    RecordKind,
    StopSearchRecord,
    record_coverage,
)

RECORD_MODELS = {
    RecordKind.STREET: CrimeRecord,
    RecordKind.API: CrimeRecord,
    RecordKind.OUTCOMES: OutcomeRecord,
    RecordKind.STOP_AND_SEARCH: StopSearchRecord,
}
COUNT_SOURCES = {RecordKind.STREET: "police.uk street", RecordKind.API: "police.uk API"}


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


def place(index, published_lsoa: np.ndarray | None, lon: np.ndarray, lat: np.ndarray) -> Placed:
    """Place every row: by published LSOA code, else by point in ward, else not at all."""
    n = len(lon)
    has_point = ~np.isnan(lon)
    method = np.full(n, PlacementMethod.NO_LOCATION.value, dtype=object)
    cols = [np.full(n, "", dtype=object) for _ in range(4)]
    inside = np.zeros(n, dtype=bool)
    has_lsoa = np.zeros(n, dtype=bool) if published_lsoa is None else published_lsoa != ""

    if has_lsoa.any():
        codes, uniques = pd.factorize(published_lsoa)
        table = []
        for code in uniques:
            p = index.by_lsoa(code) if code else None
            if p is None:
                table.append(
                    (PlacementMethod.UNKNOWN_LSOA.value, "", "", "", "", index.is_in_partnership(None))
                )
            else:
                table.append(
                    (
                        PlacementMethod.LSOA_CODE.value,
                        p.lsoa_code,
                        p.ward_code,
                        p.town_code,
                        p.lad_code,
                        index.is_in_partnership(p),
                    )
                )
        rows = np.flatnonzero(has_lsoa)
        picked = codes[rows]
        for j, column in enumerate([method, *cols]):
            column[rows] = np.array([t[j] for t in table], dtype=object)[picked]
        inside[rows] = np.array([t[5] for t in table], dtype=bool)[picked]

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
                cols[0][row], cols[1][row], cols[2][row], cols[3][row] = (
                    p.lsoa_code,
                    p.ward_code,
                    p.town_code,
                    p.lad_code,
                )
    names, counts = np.unique(method.astype(str), return_counts=True) if n else ([], [])
    return Placed(
        method=method,
        lsoa=cols[0],
        ward=cols[1],
        town=cols[2],
        lad=cols[3],
        outside=int(n - inside.sum()),
        without_location=int(n - has_point.sum()),
        methods={str(k): int(v) for k, v in zip(names, counts, strict=True)},
    )


def nullable_floats(values: np.ndarray) -> np.ndarray:
    """Python floats with None for NaN: what both database drivers accept."""
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out


def previous_rows(kind: str, force: str, month: str) -> int:
    """Rows a new import of this force-month would replace."""
    runs = ImportRun.objects.current().for_force_month(kind, force, month)
    return sum(runs.values_list("rows_stored", flat=True))


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
) -> ImportRun:
    """Replace this kind+force+month with the given rows, atomically. ``columns`` maps db column → values."""
    model = RECORD_MODELS[kind]
    table = model._meta.db_table
    with transaction.atomic():
        old = list(
            ImportRun.objects.current()
            .for_force_month(kind, force, month)
            .select_for_update()
            .values_list("pk", flat=True)
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
                names = list(all_columns)
                sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
                cursor.executemany(sql, list(zip(*all_columns.values(), strict=True)))
            if kind in COUNT_SOURCES and n:
                fill_monthly_counts(cursor, run.pk, COUNT_SOURCES[kind], month, columns["crime_type"], placed)
                record_coverage(run)
    return run


def fill_monthly_counts(
    cursor, run_id: int, source: str, month: str, crime_type: Sequence[str], placed: Placed
) -> None:
    """One row per area × month × crime type of the run (only street and API records count).

    Counted in pandas from the arrays already in memory: a GROUP BY over the freshly written
    records cost more than writing them (see benchmarks/results/import.json).
    """
    frame = pd.DataFrame(
        {
            "crime_type": np.asarray(crime_type, dtype=object),
            "lsoa_code": placed.lsoa,
            "ward_code": placed.ward,
            "town_code": placed.town,
            "lad_code": placed.lad,
        }
    )
    keys = ["crime_type", "lsoa_code", "ward_code", "town_code", "lad_code"]
    grouped = frame.groupby(keys, sort=False).size().reset_index(name="count")
    grouped.insert(0, "month", month)
    grouped.insert(0, "source", source)
    grouped.insert(0, "run_id", run_id)
    cursor.executemany(
        f"INSERT INTO {MonthlyCount._meta.db_table} (run_id, source, month, {', '.join(keys)}, count) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        grouped.astype(object).to_numpy().tolist(),
    )
