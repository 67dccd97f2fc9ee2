"""Reading police.uk API ``crimes-street`` JSON arrays.

API pulls come as many files (one per ward or polygon) that overlap at their edges, so every
JSON file of one command is read, checked, merged by month and deduplicated on the API ``id``
before anything is stored: one import run per month.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

from saferhood.core.errors import ImportFileError
from saferhood.core.months import is_month
from saferhood.crime.importers.csv_files import LAT_RANGE, LON_RANGE
from saferhood.crime.importers.discovery import SourceFile
from saferhood.crime.models import CRIME_TYPES

# Slugs the API used before May 2013, for older months.
LEGACY_SLUGS = {"public-disorder-weapons": "Public disorder and weapons"}


@dataclass
class ApiMonth:
    """The merged, deduplicated records of one month."""

    month: str
    files: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    rows_read: int = 0
    duplicates: int = 0
    api_id: list[int] = field(default_factory=list)
    crime_id: list[str] = field(default_factory=list)
    crime_type: list[str] = field(default_factory=list)
    location: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    last_outcome: list[str] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    @property
    def rows(self) -> int:
        return len(self.api_id)

    @property
    def checksum(self) -> str:
        return hashlib.sha256("".join(sorted(self.digests)).encode()).hexdigest()

    @property
    def file_name(self) -> str:
        names = sorted(set(self.files))
        if len(names) == 1:
            return names[0]
        folders = {n.rsplit("/", 1)[0] for n in names}
        where = f" in {folders.pop()}" if len(folders) == 1 else ""
        return f"{len(names)} JSON files{where}"[:500]

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.lon, dtype=float), np.asarray(self.lat, dtype=float)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _coordinate(display: str, n: int, value: object, name: str, bounds: tuple[float, float]) -> float:
    try:
        number = float(value)  # the API writes coordinates as strings
    except (TypeError, ValueError):
        number = math.nan
    if not bounds[0] <= number <= bounds[1]:
        raise ImportFileError(
            display,
            f"record {n}: expected a {name} in Great Britain ({bounds[0]} to {bounds[1]}), found {value!r}",
            column=f"location.{name}",
        )
    return number


def read_json_files(sources: list[SourceFile]) -> list[ApiMonth]:
    """Every record of every file, merged per month (sorted) and deduplicated on ``id``."""
    months: dict[str, ApiMonth] = {}
    for source in sources:
        data = source.read()
        if not data.strip():
            raise ImportFileError(
                source.display, "expected a JSON array of crimes, found an empty file", line=1
            )
        try:
            records = json.loads(data)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ImportFileError(
                source.display, "expected UTF-8 JSON, found a byte that is not UTF-8", line=line
            ) from exc
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                source.display, f"expected JSON, found an error: {exc.msg}", line=exc.lineno
            ) from exc
        if not isinstance(records, list):
            raise ImportFileError(
                source.display, f"expected a JSON array of crimes, found {type(records).__name__}", line=1
            )
        digest = hashlib.sha256(data).hexdigest()
        _read_records(source, records, digest, months)
    return [months[m] for m in sorted(months)]


def _read_records(source: SourceFile, records: list, digest: str, months: dict[str, ApiMonth]) -> None:
    display = source.display
    touched: set[str] = set()
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ImportFileError(
                display, f"record {n}: expected a JSON object, found {type(record).__name__}"
            )
        month = record.get("month")
        if not isinstance(month, str) or not is_month(month):
            raise ImportFileError(
                display, f"record {n}: expected a month YYYY-MM, found {month!r}", column="month"
            )
        slug = record.get("category")
        name = CRIME_TYPES.get(slug) or LEGACY_SLUGS.get(slug)
        if name is None:
            raise ImportFileError(
                display, f"record {n}: expected a police.uk crime category, found {slug!r}", column="category"
            )
        api_id = record.get("id")
        if not isinstance(api_id, int) or isinstance(api_id, bool):
            raise ImportFileError(
                display, f"record {n}: expected an integer id, found {api_id!r}", column="id"
            )
        location = record.get("location") or {}
        if not isinstance(location, dict):
            raise ImportFileError(display, f"record {n}: expected a location object", column="location")
        lat_raw, lon_raw = location.get("latitude"), location.get("longitude")
        if lat_raw in (None, "") and lon_raw in (None, ""):
            lon = lat = math.nan
        else:
            lat = _coordinate(display, n, lat_raw, "latitude", LAT_RANGE)
            lon = _coordinate(display, n, lon_raw, "longitude", LON_RANGE)
        outcome = record.get("outcome_status") or {}
        street = location.get("street") or {}
        persistent = _text(record.get("persistent_id"))
        if len(persistent) > 64:
            raise ImportFileError(
                display,
                f"record {n}: expected a persistent_id of 64 characters, found {persistent!r}",
                column="persistent_id",
            )

        bucket = months.get(month)
        if bucket is None:
            bucket = months[month] = ApiMonth(month=month)
        if month not in touched:
            touched.add(month)
            bucket.files.append(display)
            bucket.digests.append(digest)
        bucket.rows_read += 1
        if api_id in bucket._seen:  # overlapping query polygons return the same crime twice
            bucket.duplicates += 1
            continue
        bucket._seen.add(api_id)
        bucket.api_id.append(api_id)
        bucket.crime_id.append(persistent)
        bucket.crime_type.append(name)
        bucket.location.append(_text(street.get("name") if isinstance(street, dict) else "")[:200])
        bucket.context.append(_text(record.get("context")))
        bucket.last_outcome.append(_text(outcome.get("category") if isinstance(outcome, dict) else "")[:120])
        bucket.lon.append(lon)
        bucket.lat.append(lat)
