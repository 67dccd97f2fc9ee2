"""Reading and checking one police.uk CSV (street, outcomes, stop and search).

The whole file is parsed by pandas' C reader into string columns and every check runs on
whole columns (or on the distinct values of low-cardinality ones), so a malformed file is
refused before anything is written. Errors name the 1-based line and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers.discovery import CsvSource
from saferhood.crime.models import ALL_CRIME_TYPE_NAMES, RecordKind

_LOCATED = ["Longitude", "Latitude", "Location", "LSOA code", "LSOA name"]
HEADERS: dict[str, list[str]] = {
    RecordKind.STREET: ["Crime ID", "Month", "Reported by", "Falls within", *_LOCATED]
    + ["Crime type", "Last outcome category", "Context"],
    RecordKind.OUTCOMES: ["Crime ID", "Month", "Reported by", "Falls within", *_LOCATED, "Outcome type"],
    RecordKind.STOP_AND_SEARCH: [
        "Type",
        "Date",
        "Part of a policing operation",
        "Policing operation",
        "Latitude",
        "Longitude",
        "Gender",
        "Age range",
        "Self-defined ethnicity",
        "Officer-defined ethnicity",
        "Legislation",
        "Object of search",
        "Outcome",
        "Outcome linked to object of search",
        "Removal of more than just outer clothing",
    ],
}
# Longest value each stored text column takes (the model's max_length): PostgreSQL would refuse more.
MAX_LENGTHS: dict[str, int] = {
    "Crime ID": 64,
    "Reported by": 100,
    "Falls within": 100,
    "Location": 200,
    "LSOA code": 9,
    "LSOA name": 100,
    "Crime type": 60,
    "Last outcome category": 120,
    "Outcome type": 150,
    "Type": 60,
    "Policing operation": 200,
    "Gender": 30,
    "Age range": 30,
    "Self-defined ethnicity": 150,
    "Officer-defined ethnicity": 60,
    "Legislation": 200,
    "Object of search": 150,
    "Outcome": 150,
}
BOOLEAN_COLUMNS = [
    "Part of a policing operation",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]
# Great Britain, its islands and seas, with slack: police.uk itself publishes the odd misplaced
# point (a BTP crime "On or near Carnoustie (Station)" at longitude +2.98). Such points are kept
# and end up "outside" every ward; only impossible values are refused.
LAT_RANGE = (49.0, 61.5)
LON_RANGE = (-11.0, 3.5)
CRIME_ID_RE = re.compile(r"[0-9a-fA-F]{64}")
LSOA_RE = re.compile(r"[EW]01\d{6}")
_HEX_BYTE = np.zeros(256, dtype=bool)
_HEX_BYTE[list(b"0123456789abcdefABCDEF")] = True
# Characters of plain decimal numbers: on text made only of these, Python's float() and
# pandas.to_numeric agree (both refuse what is not a number), so the fast path may use float().
_DECIMAL_TEXT_RE = re.compile(r"[0-9.eE+\-]*")


@dataclass
class ParsedCsv:
    source: CsvSource
    checksum: str
    frame: pd.DataFrame  # every column as str, '' where empty
    lon: np.ndarray  # float, NaN where no coordinates
    lat: np.ndarray
    dates: pd.Series | None = None  # stop and search: aware datetimes (UTC)

    @property
    def rows(self) -> int:
        return len(self.frame)


class _Checker:
    """Raises errors that point at the line of a data row (computed only when needed)."""

    def __init__(self, display: str, text: str) -> None:
        self.display = display
        self.text = text

    def line_of(self, row: int) -> int:
        # Rows and lines differ only with blank lines or quoted newlines, so count with csv.
        reader = csv.reader(io.StringIO(self.text))
        seen = -1  # the header is row -1
        start = 1
        try:
            for record in reader:
                if record:
                    if seen == row:
                        return start
                    seen += 1
                start = reader.line_num + 1
        except csv.Error:
            pass  # pandas read the file whole, so this cannot happen before the row; if it does, say where
        return start

    def fail(
        self, message: str, *, row: int | None = None, line: int | None = None, column: str | None = None
    ):
        if row is not None:
            line = self.line_of(row)
        raise ImportFileError(self.display, message, line=line, column=column)


def _decode(display: str, data: bytes, header: list[str]) -> str:
    if not data:
        raise ImportFileError(display, "expected a CSV header line, found an empty file (0 bytes)", line=1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        field = data.count(b",", line_start, exc.start)
        column = header[field] if line > 1 and field < len(header) else None
        raise ImportFileError(
            display,
            f"expected UTF-8 text, found byte 0x{data[exc.start]:02x} that is not UTF-8 "
            "(save the file as UTF-8)",
            line=line,
            column=column,
        ) from exc


def _column_at(data: bytes, pos: int, header: list[str]) -> str | None:
    line_start = data.rfind(b"\n", 0, pos) + 1
    field = data.count(b",", line_start, pos)
    return header[field] if line_start and field < len(header) else None


def check_raw_bytes(display: str, data: bytes, header: list[str]) -> None:
    """Refuse bytes no police.uk or count CSV holds, and a file cut short, before parsing.

    - NUL bytes: a binary or UTF-16 file (PostgreSQL cannot store them in text either);
    - a lone carriage return (CR-only line ends): the parsers and our line numbers would disagree;
    - no line end after the last line: police.uk ends every line, the last one included, so a file
      without one was cut, possibly inside its last value ("Local reso…"), which no check of the
      value itself could notice.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ImportFileError(
            display,
            "expected text, found a NUL byte (0x00): is this a binary or UTF-16 file? Save it as UTF-8 CSV",
            line=data.count(b"\n", 0, nul) + 1,
            column=_column_at(data, nul, header),
        )
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        lone = re.search(rb"\r(?!\n)", data).start()
        raise ImportFileError(
            display,
            "expected lines ending in LF or CR LF, found a carriage return (CR) alone: "
            "save the file with Unix or Windows line ends",
            line=data.count(b"\n", 0, lone) + 1,
        )
    if data and not data.endswith(b"\n"):
        raise ImportFileError(
            display,
            "expected a line end after the last line, found none: the file looks cut short, perhaps "
            "inside its last value (if the file is complete, add a line end at its end)",
            line=data.count(b"\n") + 1,
            column=_column_at(data, len(data), header),
        )


def _check_header(check: _Checker, kind: str, found: list[str]) -> None:
    expected = HEADERS[kind]
    for i, name in enumerate(expected):
        if i >= len(found):
            check.fail(
                f"expected {len(expected)} columns ({kind} file), found {len(found)}: column {i + 1} missing",
                line=1,
                column=name,
            )
        if found[i].strip() != name:
            check.fail(
                f"expected column {i + 1} to be {name!r} ({kind} file), found {found[i]!r}",
                line=1,
                column=name,
            )
    if len(found) > len(expected):
        check.fail(
            f"expected {len(expected)} columns ({kind} file), found {len(found)}: extra column {found[len(expected)]!r}",
            line=1,
            column=found[len(expected)],
        )


def _check_field_counts(check: _Checker, ncols: int, nrows: int) -> None:
    """Find a short or long line: pandas pads short rows silently, so count separators."""
    text = check.text
    if '"' not in text and text.count(",") == (nrows + 1) * (ncols - 1):
        return  # fast path: no quoting, every line has exactly ncols - 1 commas
    reader = csv.reader(io.StringIO(text), strict=True)
    start = 1
    try:
        for record in reader:
            if record and len(record) != ncols:
                problem = "the line looks cut short" if len(record) < ncols else "too many fields"
                check.fail(f"expected {ncols} fields, found {len(record)} ({problem})", line=start)
            start = reader.line_num + 1
    except csv.Error as exc:  # an unbalanced or stray quote, a field too long
        check.fail(f"expected CSV fields with balanced quotes, found an error: {exc}", line=start)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_allowed(check: _Checker, frame: pd.DataFrame, column: str, ok, what: str) -> None:
    """Check each distinct value once (cheap for low-cardinality columns)."""
    values = frame[column].to_numpy()
    bad = [v for v in pd.unique(values) if not ok(v)]
    if bad:
        row = _first(np.isin(values, bad))
        check.fail(f"expected {what}, found {values[row]!r}", row=row, column=column)


def _plain_floats(values: np.ndarray, empty: np.ndarray) -> np.ndarray | None:
    """Fast path: floats (NaN where empty) when every value is a plain decimal, else None."""
    if not _DECIMAL_TEXT_RE.fullmatch("".join(values)):
        return None
    numbers = np.full(len(values), np.nan)
    try:
        numbers[~empty] = values[~empty].astype(np.float64)
    except ValueError:
        return None
    return numbers


def _coordinates(check: _Checker, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    parsed = {}
    empty = {}
    for column in ("Longitude", "Latitude"):
        text = frame[column]
        values = text.to_numpy()
        empty[column] = values == ""
        numbers = _plain_floats(values, empty[column])
        if numbers is None:  # something unusual: let pandas find which value is not a number
            numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(numbers) & ~empty[column]
        if bad.any():
            row = _first(bad)
            check.fail(f"expected a number, found {text.iat[row]!r}", row=row, column=column)
        parsed[column] = numbers
    lone = empty["Longitude"] != empty["Latitude"]
    if lone.any():
        row = _first(lone)
        missing = "Longitude" if empty["Longitude"][row] else "Latitude"
        check.fail("expected both Longitude and Latitude or neither, found only one", row=row, column=missing)
    for column, (low, high) in (("Latitude", LAT_RANGE), ("Longitude", LON_RANGE)):
        values = parsed[column]
        with np.errstate(invalid="ignore"):
            out = ~empty[column] & ~((values >= low) & (values <= high))
        if out.any():
            row = _first(out)
            check.fail(
                f"expected a {column.lower()} in Great Britain ({low} to {high}), found {frame[column].iat[row]!r}",
                row=row,
                column=column,
            )
    return parsed["Longitude"], parsed["Latitude"]


def _check_lengths(check: _Checker, frame: pd.DataFrame) -> None:
    for column in frame.columns:
        limit = MAX_LENGTHS.get(column)
        if limit is None or frame.empty or column in ("Crime ID", "LSOA code"):
            continue  # those two have their own pattern checks
        longest = max(map(len, frame[column].to_numpy()))  # C-level: cheaper than finding distinct values
        if longest > limit:
            row = _first((frame[column].str.len() > limit).to_numpy())
            check.fail(f"expected at most {limit} characters, found {longest}", row=row, column=column)


def _check_month(check: _Checker, frame: pd.DataFrame, month: str) -> None:
    _check_allowed(check, frame, "Month", lambda v: v == month, f"the file's month {month}")


def _all_crime_ids(ids: np.ndarray) -> bool:
    """Fast path: True when every non-empty value is exactly 64 hexadecimal characters.

    The values are joined with a comma after each and viewed as rows of 65 bytes: a comma can
    never be a hex digit, so the rows line up only when every ID has exactly 64 characters.
    """
    if not len(ids):
        return True
    joined = ",".join(ids) + ","
    if not joined.isascii() or len(joined) % 65:
        return False
    rows = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 65)
    return bool((rows[:, 64] == ord(",")).all() and _HEX_BYTE[rows[:, :64]].all())


def _check_crime_ids(check: _Checker, frame: pd.DataFrame, *, required: bool) -> None:
    values = frame["Crime ID"].to_numpy()
    if _all_crime_ids(values if required else values[values != ""]):
        return
    ids = frame["Crime ID"]
    ok = ids.str.fullmatch(CRIME_ID_RE.pattern).to_numpy(dtype=bool, copy=True)
    if not required:
        ok |= (ids == "").to_numpy()
    if not ok.all():
        row = _first(~ok)
        what = "a Crime ID of 64 hexadecimal characters" + ("" if required else " or empty (ASB)")
        check.fail(f"expected {what}, found {ids.iat[row]!r}", row=row, column="Crime ID")


def read_csv(source: CsvSource) -> ParsedCsv:
    """Parse and fully check one police.uk CSV; raise :class:`ImportFileError` on the first problem."""
    display = source.file.display
    kind = source.kind
    data = source.file.read()
    header = HEADERS[kind]
    text = _decode(display, data, header)
    check_raw_bytes(display, data, header)
    check = _Checker(display, text)
    try:
        first = next(csv.reader(io.StringIO(text), strict=True), [])
    except csv.Error as exc:
        check.fail(f"expected the {kind} header line, found a CSV error: {exc}", line=1)
    if not any(cell.strip() for cell in first):
        check.fail(f"expected the {kind} header line, found an empty line", line=1, column=header[0])
    _check_header(check, kind, first)
    try:
        frame = pd.read_csv(
            io.BytesIO(data[3:] if data.startswith(b"\xef\xbb\xbf") else data),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        _check_field_counts(check, len(header), -1)
        check.fail(f"expected CSV text, found a line pandas cannot read ({str(exc).strip()})")
    frame.columns = header  # the header matched up to stray spaces
    if frame.empty:  # would replace a force-month with nothing
        check.fail(f"expected at least one row of data after the header, found none ({kind} file)", line=2)
    _check_field_counts(check, len(header), len(frame))
    _check_lengths(check, frame)
    lon, lat = _coordinates(check, frame)
    dates = None
    if kind == RecordKind.STOP_AND_SEARCH:
        dates = _check_stop_and_search(check, frame, source.month)
    else:
        _check_month(check, frame, source.month)
        _check_crime_ids(check, frame, required=kind == RecordKind.OUTCOMES)
        _check_allowed(
            check,
            frame,
            "LSOA code",
            lambda v: v == "" or LSOA_RE.fullmatch(v),
            "an LSOA code (E01/W01 and 6 digits) or empty",
        )
        if kind == RecordKind.STREET:
            _check_allowed(
                check, frame, "Crime type", ALL_CRIME_TYPE_NAMES.__contains__, "a police.uk crime type"
            )
        else:
            _check_allowed(check, frame, "Outcome type", bool, "an outcome type")
    return ParsedCsv(
        source=source,
        checksum=hashlib.sha256(data).hexdigest(),
        frame=frame,
        lon=lon,
        lat=lat,
        dates=dates,
    )


def _check_stop_and_search(check: _Checker, frame: pd.DataFrame, month: str) -> pd.Series:
    _check_allowed(check, frame, "Type", bool, "a search type")
    for column in BOOLEAN_COLUMNS:
        _check_allowed(check, frame, column, lambda v: v in ("True", "False", ""), "True, False or empty")
    text = frame["Date"]
    dates = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    # A date without a time zone is ambiguous (BST or GMT): police.uk always writes an offset.
    bad = dates.isna().to_numpy() | ~text.str.contains(r"T.*(?:[+-]\d\d:?\d\d|Z)$", regex=True).to_numpy(
        dtype=bool
    )
    if bad.any():
        row = _first(bad)
        check.fail(
            f"expected an ISO-8601 date and time with offset (e.g. 2020-01-31T18:05:00+00:00), found {text.iat[row]!r}",
            row=row,
            column="Date",
        )
    # The local date (as written) decides the month, as police.uk files it.
    wrong = (text.str.slice(0, 7) != month).to_numpy()
    if wrong.any():
        row = _first(wrong)
        check.fail(
            f"expected a date in the file's month {month}, found {text.iat[row]!r}", row=row, column="Date"
        )
    return dates
