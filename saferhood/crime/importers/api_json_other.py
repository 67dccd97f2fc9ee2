"""police.uk API JSON of stop and search (``stops-street``) and outcomes (``outcomes-at-location``).

One file per area, as for crimes (``api_json``): each file's records of a month are one run of
its kind, keyed on the file's area, replacing only that area-month's earlier run of the kind.
Reading is in ``saferhood.policeapi.records`` (shared with the fetch folder); here the errors
get the file's name and the runs their kind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from saferhood.core.errors import ImportFileError
from saferhood.crime.models import RecordKind
from saferhood.policeapi.records import OUTCOMES, STOPS, KindMonth, RecordError, read_outcomes, read_stops

RUN_KINDS = {STOPS: RecordKind.STOP_AND_SEARCH, OUTCOMES: RecordKind.OUTCOMES}


@dataclass
class OtherMonth:
    """One file's stops (or outcomes) of one month: one import run of the file's area."""

    kind: str  # RecordKind.STOP_AND_SEARCH or RecordKind.OUTCOMES
    month: str
    area: str
    file_name: str
    checksum: str
    records: KindMonth

    @property
    def rows_read(self) -> int:
        return self.records.rows_read

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.records.lon, dtype=float), np.asarray(self.records.lat, dtype=float)

    def columns(self) -> dict[str, list]:
        """Model columns, the fields the API does not give filled as the CSV importer leaves them empty."""
        columns = dict(self.records.columns)
        if self.kind == RecordKind.STOP_AND_SEARCH:
            from django.db import connection

            adapt = connection.ops.adapt_datetimefield_value
            columns["date"] = [adapt(d) for d in columns["date"]]
            return columns
        n = self.rows_read
        return {
            **columns,
            "reported_by": [""] * n,
            "falls_within": [""] * n,
            "published_lsoa_code": [""] * n,
            "published_lsoa_name": [""] * n,
        }


def read_other(display: str, area: str, data: bytes, records: list, kind: str) -> list[OtherMonth]:
    """A file of stops or outcomes, checked whole, per month; :class:`ImportFileError` names the
    file, the record and the field of the first problem."""
    try:
        months = read_stops(records) if kind == STOPS else read_outcomes(records)
    except RecordError as exc:
        raise ImportFileError(display, f"record {exc.n}: {exc.detail}", column=exc.column) from exc
    checksum = hashlib.sha256(data).hexdigest()
    return [OtherMonth(RUN_KINDS[kind], m.month, area, display, checksum, m) for m in months]
