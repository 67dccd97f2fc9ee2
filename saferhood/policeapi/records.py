"""police.uk API answers for stop and search (``stops-street``) and outcomes
(``outcomes-at-location``): which kind an answer is, when two answers hold the same record, and
their records read into columns named as Saferhood's models name them.

Plain Python, so the importer (``saferhood.crime.importers.api_json_other``) and the fetch folder
(``state``) share one reading. Each value is mapped as the police.uk CSV files of the same kind
give it (the CSV's ``Outcome`` is the API's ``outcome``, ``Type`` is ``type``, …), so a month
fetched from the API and the same month imported from the archive hold the same values.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

CRIMES, STOPS, OUTCOMES = "crimes", "stops", "outcomes"
KINDS = (CRIMES, STOPS, OUTCOMES)
PATHS = {CRIMES: "crimes-street/all-crime", STOPS: "stops-street", OUTCOMES: "outcomes-at-location"}
WHAT = {CRIMES: "crimes", STOPS: "stops and searches", OUTCOMES: "outcomes"}
# Great Britain with slack (as the CSV importer's LAT_RANGE / LON_RANGE).
LAT_RANGE = (49.0, 61.5)
LON_RANGE = (-11.0, 3.5)
# Each stored text column's longest value (the model's max_length): PostgreSQL would refuse more.
STOP_TEXT = {  # API field → (model field, max length)
    "type": ("search_type", 60),
    "operation_name": ("policing_operation", 200),
    "gender": ("gender", 30),
    "age_range": ("age_range", 30),
    "self_defined_ethnicity": ("self_defined_ethnicity", 150),
    "officer_defined_ethnicity": ("officer_defined_ethnicity", 60),
    "legislation": ("legislation", 200),
    "object_of_search": ("object_of_search", 150),
    "outcome": ("outcome", 150),
}
STOP_FLAGS = {  # API field → model field (true, false or null, as the CSV's True, False or empty)
    "operation": "part_of_policing_operation",
    "outcome_linked_to_object_of_search": "outcome_linked_to_object_of_search",
    "removal_of_more_than_outer_clothing": "removal_of_more_than_just_outer_clothing",
}
CRIME_ID_RE = re.compile(r"[0-9a-fA-F]{64}")
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# An offset is required: a time without one is ambiguous (BST or GMT); police.uk always writes one.
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:[+-]\d\d:?\d\d|Z)")


class RecordError(Exception):
    """One record is not what police.uk sends: ``n`` is its 1-based place, ``column`` the field."""

    def __init__(self, n: int, column: str | None, detail: str) -> None:
        super().__init__(f"record {n}: {detail}")
        self.n, self.column, self.detail = n, column, detail


def kind_of(records: list) -> str:
    """Which answer an array of records is, from its first record (police.uk's shapes differ)."""
    first = records[0] if records else None
    if isinstance(first, dict):
        if "crime" in first:
            return OUTCOMES
        if "datetime" in first or "object_of_search" in first:
            return STOPS
    return CRIMES


def repeat_key(kind: str, record: object) -> object:
    """What makes two answers' records the same record (None: no key; the importer refuses it).

    Crimes have an ``id``. Stops have none, so the whole record is the key; outcomes are one
    crime's outcome of a category on a date for a person. Records equal under the key can still
    be two real records (two people searched together), so callers keep as many as any one
    answer holds, never fewer.
    """
    if not isinstance(record, dict):
        return None
    if kind == CRIMES:
        record_id = record.get("id")
        return record_id if isinstance(record_id, int) and not isinstance(record_id, bool) else None
    if kind == STOPS:
        return json.dumps(record, sort_keys=True, separators=(",", ":"))
    crime = record.get("crime") if isinstance(record.get("crime"), dict) else {}
    category = record.get("category") if isinstance(record.get("category"), dict) else {}
    key = [crime.get("persistent_id") or crime.get("id"), category.get("code"), record.get("date")]
    return json.dumps([*key, record.get("person_id")])


@dataclass
class KindMonth:
    """One answer's (or file's) records of one kind in one month, as model columns."""

    kind: str
    month: str
    rows_read: int = 0
    columns: dict[str, list] = field(default_factory=dict)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)

    def add(self, values: dict[str, object], lon: float, lat: float) -> None:
        self.rows_read += 1
        for name, value in values.items():
            self.columns.setdefault(name, []).append(value)
        self.lon.append(lon)
        self.lat.append(lat)


def _text(n: int, value: object, column: str, limit: int, *, required: bool = False) -> str:
    if value is None or value is False and column == "outcome":  # older answers: outcome false
        value = ""
    if not isinstance(value, str):
        raise RecordError(n, column, f"expected text, found {value!r:.40}")
    if "\x00" in value:
        raise RecordError(n, column, "expected text, found a NUL character")
    if required and not value:
        raise RecordError(n, column, "expected a value, found none")
    if len(value) > limit:
        raise RecordError(n, column, f"expected at most {limit} characters, found {len(value)}")
    return value


def _flag(n: int, value: object, column: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RecordError(n, column, f"expected true, false or null, found {value!r:.40}")


def _point(n: int, location: object, prefix: str) -> tuple[float, float, str]:
    """Longitude, latitude (NaN when police.uk has no location) and street name."""
    if location is None:
        return math.nan, math.nan, ""
    if not isinstance(location, dict):
        raise RecordError(n, prefix, f"expected a location object or null, found {location!r:.40}")
    lat_raw, lon_raw = location.get("latitude"), location.get("longitude")
    street = location.get("street") or {}
    name = _text(n, street.get("name") if isinstance(street, dict) else None, f"{prefix}.street.name", 200)
    if lat_raw in (None, "") and lon_raw in (None, ""):
        return math.nan, math.nan, name
    point = []
    for raw, what, (low, high) in ((lon_raw, "longitude", LON_RANGE), (lat_raw, "latitude", LAT_RANGE)):
        try:
            number = float(raw)  # police.uk writes coordinates as strings
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not low <= number <= high:
            raise RecordError(
                n,
                f"{prefix}.{what}",
                f"expected a {what} in Great Britain ({low} to {high}), found {raw!r:.40}",
            )
        point.append(number)
    return point[0], point[1], name


def read_stops(records: list) -> list[KindMonth]:
    """Every stop and search of an answer, checked, per month (the month of its local date)."""
    months: dict[str, KindMonth] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise RecordError(n, None, f"expected a JSON object, found {type(record).__name__}")
        text = record.get("datetime")
        when = None
        if isinstance(text, str) and DATETIME_RE.fullmatch(text):
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
            except ValueError:
                when = None
        if when is None:
            raise RecordError(
                n,
                "datetime",
                f"expected an ISO-8601 date and time with offset (e.g. 2020-01-31T18:05:00+00:00), found {text!r:.40}",
            )
        values: dict[str, object] = {"date": when}
        for api, (model, limit) in STOP_TEXT.items():
            values[model] = _text(n, record.get(api), api, limit, required=api == "type")
        for api, model in STOP_FLAGS.items():
            values[model] = _flag(n, record.get(api), api)
        lon, lat, _ = _point(n, record.get("location"), "location")
        month = text[:7]  # as police.uk files it: the local date as written
        months.setdefault(month, KindMonth(STOPS, month)).add(values, lon, lat)
    return [months[m] for m in sorted(months)]


def read_outcomes(records: list) -> list[KindMonth]:
    """Every outcome of an answer, checked, per month the outcome was recorded in."""
    months: dict[str, KindMonth] = {}
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise RecordError(n, None, f"expected a JSON object, found {type(record).__name__}")
        month = record.get("date")
        if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
            raise RecordError(n, "date", f"expected a month YYYY-MM, found {month!r:.40}")
        category = record.get("category")
        name = category.get("name") if isinstance(category, dict) else None
        outcome_type = _text(n, name, "category.name", 150, required=True) if isinstance(name, str) else None
        if not outcome_type:
            raise RecordError(
                n, "category", f"expected an outcome category {{code, name}}, found {category!r:.60}"
            )
        crime = record.get("crime")
        if not isinstance(crime, dict):
            raise RecordError(n, "crime", f"expected the crime as an object, found {crime!r:.40}")
        crime_id = crime.get("persistent_id")
        if not isinstance(crime_id, str) or not CRIME_ID_RE.fullmatch(crime_id):
            raise RecordError(
                n, "crime.persistent_id", f"expected 64 hexadecimal characters, found {crime_id!r:.80}"
            )
        lon, lat, street = _point(n, crime.get("location"), "crime.location")
        values = {"crime_id": crime_id, "location": street, "outcome_type": outcome_type}
        months.setdefault(month, KindMonth(OUTCOMES, month)).add(values, lon, lat)
    return [months[m] for m in sorted(months)]
