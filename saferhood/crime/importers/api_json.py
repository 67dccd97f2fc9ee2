"""Reading police.uk API ``crimes-street`` JSON arrays, one file per area (stop and search and
outcomes files are told apart by their records' shape and read by ``api_json_other``).

An API pull is saved as one file per query polygon (usually a ward), and each file is its own
unit of import: the records of one file for one month replace only the earlier import of the
same area and month (see :func:`area_key`), never the other wards' files of that month.
Neighbouring polygons overlap at their edges, so the same crime (``id``) can come in two files;
the importer stores it once, under the first area that brought it (see ``police._store_api``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np

from saferhood.core.errors import ImportFileError
from saferhood.core.months import is_month
from saferhood.crime.importers.api_json_other import OtherMonth, read_other
from saferhood.crime.importers.csv_files import LAT_RANGE, LON_RANGE
from saferhood.crime.importers.discovery import SourceFile
from saferhood.crime.models import CRIME_TYPES
from saferhood.policeapi.records import CRIMES, kind_of

# Slugs the API used before May 2013, for older months.
LEGACY_SLUGS = {"public-disorder-weapons": "Public disorder and weapons"}
# An ONS (GSS) area code in a file name, e.g. the ward E05001260 of "output_…_area_E05001260_0.json".
GSS_CODE_RE = re.compile(r"(?<![A-Za-z0-9])([EWSN]\d{8})(?![0-9])")
API_ID_MAX = 2**63 - 1  # CrimeRecord.api_id is a 64-bit integer column
MAX_DEPTH = 32  # an API array of crimes nests 4 levels; far deeper is not API output
AREA_KEY_MAX_LENGTH = 100  # ImportRun.force


def area_key(name: str) -> str:
    """The area a JSON file covers, from its name: the one ONS code in it, else the name itself.

    An API pull names each file after its polygon (``…_area_E05001260_0.json``); a re-pull of the
    same polygon gets the same name, whatever folder or zip it sits in.
    """
    codes = set(GSS_CODE_RE.findall(name))
    if len(codes) == 1:
        return codes.pop()
    stem = name[:-5] if name.lower().endswith(".json") else name
    return stem[:AREA_KEY_MAX_LENGTH]


@dataclass
class ApiMonth:
    """One file's deduplicated records of one month: one import run."""

    month: str
    area: str  # area_key of the file
    file_name: str
    checksum: str  # sha256 of the file
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

    @property
    def rows(self) -> int:
        return len(self.api_id)

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.lon, dtype=float), np.asarray(self.lat, dtype=float)

    def drop(self, *held: set[int]) -> None:
        """Leave out the records whose id another area already holds (counted as duplicates)."""
        keep = [i for i, api_id in enumerate(self.api_id) if not any(api_id in ids for ids in held)]
        if len(keep) == self.rows:
            return
        self.duplicates += self.rows - len(keep)
        for name in ("api_id", "crime_id", "crime_type", "location", "context", "last_outcome", "lon", "lat"):
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in keep])


def _text(display: str, n: int, value: object, column: str) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ImportFileError(display, f"record {n}: expected text, found a NUL character", column=column)
    return text


def _coordinate(display: str, n: int, value: object, name: str, bounds: tuple[float, float]) -> float:
    try:
        number = float(value)  # the API writes coordinates as strings
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not bounds[0] <= number <= bounds[1]:
        raise ImportFileError(
            display,
            f"record {n}: expected a {name} in Great Britain ({bounds[0]} to {bounds[1]}), found {value!r:.40}",
            column=f"location.{name}",
        )
    return number


def _too_deep(data: bytes) -> int:
    """The 1-based line where the nesting first goes past MAX_DEPTH (only called on failure)."""
    depth, in_string, escaped, line = 0, False, False, 1
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif byte in b"]}":
            depth -= 1
        if byte == 0x0A:
            line += 1
    return line


def _parse(source: SourceFile, data: bytes) -> list:
    display = source.display
    if not data.strip():
        raise ImportFileError(display, "expected a JSON array of crimes, found an empty file", line=1)
    try:
        records = json.loads(data)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            display, "expected UTF-8 JSON, found a byte that is not UTF-8", line=line
        ) from exc
    except json.JSONDecodeError as exc:
        raise ImportFileError(display, f"expected JSON, found an error: {exc.msg}", line=exc.lineno) from exc
    except ValueError as exc:  # a number of more than 4,300 digits (Python's limit)
        long_number = re.search(rb"\d{4300}", data)
        line = data.count(b"\n", 0, long_number.start()) + 1 if long_number else None
        raise ImportFileError(
            display, f"expected JSON, found a value Python cannot read: {exc}", line=line
        ) from exc
    except RecursionError as exc:
        raise ImportFileError(
            display,
            f"expected a JSON array of crimes, found values nested more than {MAX_DEPTH} levels deep",
            line=_too_deep(data),
        ) from exc
    if not isinstance(records, list):
        raise ImportFileError(
            display, f"expected a JSON array of crimes, found {type(records).__name__}", line=1
        )
    if not records:  # would replace an area-month with nothing
        raise ImportFileError(display, "expected at least one crime in the JSON array, found none", line=1)
    return records


def read_json_file(source: SourceFile) -> list[ApiMonth | OtherMonth]:
    """Every record of one file, checked, per month (sorted): crimes deduplicated on ``id`` within
    the file; stop and search or outcomes (told apart by their shape) as ``api_json_other`` reads them."""
    data = source.read()
    records = _parse(source, data)
    kind = kind_of(records)
    try:
        if kind != CRIMES:
            return read_other(source.display, area_key(source.name), data, records, kind)
        return _read_records(source, data, records)
    except ImportFileError as exc:
        if exc.line is None and b"\n" not in data.strip():  # the API's output is one line
            raise ImportFileError(exc.path, exc.detail, line=1, column=exc.column) from exc
        raise


def _read_records(source: SourceFile, data: bytes, records: list) -> list[ApiMonth]:
    checksum = hashlib.sha256(data).hexdigest()
    area = area_key(source.name)
    months: dict[str, ApiMonth] = {}
    seen: set[tuple[str, int]] = set()
    display = source.display
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ImportFileError(
                display, f"record {n}: expected a JSON object, found {type(record).__name__}"
            )
        month = record.get("month")
        if not isinstance(month, str) or not is_month(month):
            raise ImportFileError(
                display, f"record {n}: expected a month YYYY-MM, found {month!r:.40}", column="month"
            )
        slug = record.get("category")
        name = (CRIME_TYPES.get(slug) or LEGACY_SLUGS.get(slug)) if isinstance(slug, str) else None
        if name is None:
            raise ImportFileError(
                display,
                f"record {n}: expected a police.uk crime category, found {slug!r:.60}",
                column="category",
            )
        api_id = record.get("id")
        if not isinstance(api_id, int) or isinstance(api_id, bool) or not 0 < api_id <= API_ID_MAX:
            raise ImportFileError(
                display,
                f"record {n}: expected an integer id from 1 to {API_ID_MAX}, found {api_id!r:.40}",
                column="id",
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
        persistent = _text(display, n, record.get("persistent_id"), "persistent_id")
        if len(persistent) > 64:
            raise ImportFileError(
                display,
                f"record {n}: expected a persistent_id of 64 characters, found {persistent!r:.80}",
                column="persistent_id",
            )
        street_name = _text(
            display, n, street.get("name") if isinstance(street, dict) else "", "location.street"
        )
        context = _text(display, n, record.get("context"), "context")
        outcome_name = _text(
            display, n, outcome.get("category") if isinstance(outcome, dict) else "", "outcome_status"
        )

        bucket = months.get(month)
        if bucket is None:
            bucket = months[month] = ApiMonth(month=month, area=area, file_name=display, checksum=checksum)
        bucket.rows_read += 1
        if (month, api_id) in seen:
            bucket.duplicates += 1
            continue
        seen.add((month, api_id))
        bucket.api_id.append(api_id)
        bucket.crime_id.append(persistent)
        bucket.crime_type.append(name)
        bucket.location.append(street_name[:200])
        bucket.context.append(context)
        bucket.last_outcome.append(outcome_name[:120])
        bucket.lon.append(lon)
        bucket.lat.append(lat)
    return [months[m] for m in sorted(months)]
