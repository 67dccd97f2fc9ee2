"""Recognise and read the ONS geography files, checking them as they are read.

Each reader returns a small typed bundle of plain Python data; it raises
:class:`ImportFileError` naming file, line and column for anything malformed, so the caller
can stop before storing anything. Files are recognised by their header (not their name) so a
user can pass their own download of the same ONS product.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saferhood.core.errors import ImportFileError

# Header line of a CSV is line 1, so data row i (0-based) is on line i + 2.
HEADER_LINES = 1

LSOA_RE = r"^[EW]01\d{6}$"
WARD_RE = r"^[EWSN]05\d{6}$"
LAD_RE = r"^[EWSN](06|07|08|09)\d{6}$"
GSS_RE = r"^[EWSNK]\d{8}$"


@dataclass
class Table:
    """A read file: rows as a DataFrame of strings, with the file's own column names kept for errors."""

    path: Path
    kind: str
    data: pd.DataFrame
    columns: dict[str, str]  # canonical lower-case name -> name as written in the file
    vintage: str = ""  # e.g. "21" for a WD21 lookup, "mid-2022" for a population file


@dataclass
class Recognised:
    tables: list[Table] = field(default_factory=list)
    ward_boundaries: list[tuple[Path, dict]] = field(default_factory=list)
    town_boundaries: list[tuple[Path, dict]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def expand(paths: list[Path]) -> list[Path]:
    """Files under the given paths (folders are searched recursively), in a stable order."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.exists():
            files.append(path)
        else:
            raise ImportFileError(str(path), "expected a file or folder, but nothing exists at this path")
    return files


def _csv_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise ImportFileError(str(path), f"expected UTF-8 text ({exc.reason})", line=1) from exc
    return [c.strip().strip('"') for c in first.rstrip("\r\n").split(",")]


def _kind_of(header: list[str], path: Path) -> tuple[str, str] | None:
    """(kind, vintage) from a header, or None if this is not a geography file we know."""
    low = [h.lower() for h in header]
    cols = set(low)

    def year(prefix: str) -> str:
        for h in low:
            m = re.fullmatch(prefix + r"(\d\d)cd", h)
            if m:
                return m.group(1)
        return ""

    if {"lsoa11cd", "lsoa21cd", "chgind"} <= cols:
        return "lsoa_change", ""
    if "lsoa11cd" in cols and year("wd") and year("lad"):
        return "ward11", year("wd")
    if "lsoa21cd" in cols and year("wd") and year("lad"):
        return "ward21", year("wd")
    if year("lad") and year("csp") and year("pfa"):
        return "csp", year("csp")
    if {"lsoacd", "population"} <= cols:
        # The bundled file (LibrariesHacked geography-db) is ONS mid-2022; a file named
        # "...mid-2023..." is taken as that year's estimate.
        m = re.search(r"mid[-_ ]?(\d{4})", path.name, re.I)
        return "population", f"mid-{m.group(1) if m else '2022'}"
    if "mnemonic" in cols and "total" in cols and any("lower layer" in h for h in low):
        return "population_census", "census-2021"
    if {"town", "ward_code"} <= cols:
        return "towns", ""
    return None


def read_csv(path: Path, kind: str, vintage: str = "") -> Table:
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ImportFileError(
            str(path),
            f"expected the same number of fields on every line ({exc})",
            line=int(m.group(1)) if m else None,
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(str(path), f"expected UTF-8 text ({exc.reason})") from exc
    return _table(path, kind, df, vintage)


def _table(path: Path, kind: str, df: pd.DataFrame, vintage: str) -> Table:
    columns = {str(c).strip().lower(): str(c) for c in df.columns}
    df = df.rename(columns={orig: low for low, orig in columns.items()})
    df = df.apply(lambda s: s.str.strip() if s.dtype == object else s)
    return Table(path, kind, df, columns, vintage)


def read_xlsx(path: Path) -> Table | None:
    """First sheet of a workbook, if it is an LSOA21 → ward lookup (openpyxl read-only: ~2× pandas)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise ImportFileError(str(path), f"expected an .xlsx workbook ({exc})") from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        found = _kind_of(header, path)
        if found is None or found[0] != "ward21":
            return None
        data = [["" if v is None else str(v) for v in row] for row in rows]
    finally:
        wb.close()
    df = pd.DataFrame(data, columns=header)
    return _table(path, found[0], df, found[1])


def read_geojson(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            str(path), f"expected GeoJSON ({exc.msg})", line=exc.lineno, column=str(exc.colno)
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(str(path), f"expected UTF-8 text ({exc.reason})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFileError(str(path), "expected a GeoJSON FeatureCollection", line=1)
    return doc


def _geojson_kind(doc: dict) -> str | None:
    feats = doc.get("features") or []
    if not feats:
        return None
    props = {k.lower() for k in (feats[0].get("properties") or {})}
    if "town" in props:
        return "towns"
    if any(re.fullmatch(r"(cm)?wd\d\d(cd|nm)", k) for k in props):
        return "wards"
    return None


def recognise(files: list[Path], towns_csv: Path | None) -> Recognised:
    """Sort files by what they hold; read and check each."""
    out = Recognised()
    for path in files:
        suffix = path.suffix.lower()
        if towns_csv is not None and path.resolve() == Path(towns_csv).resolve():
            continue
        if suffix == ".csv":
            found = _kind_of(_csv_header(path), path)
            if found is None:
                out.skipped.append(f"{path}: not a geography file we recognise (header)")
                continue
            if found[0] == "towns" and towns_csv is not None:
                out.skipped.append(f"{path}: ward → town table ignored, --towns {towns_csv} given")
                continue
            out.tables.append(read_csv(path, *found))
        elif suffix == ".xlsx":
            table = read_xlsx(path)
            if table is None:
                out.skipped.append(f"{path}: not an LSOA21 → ward lookup")
            else:
                out.tables.append(table)
        elif suffix in (".geojson", ".json"):
            doc = read_geojson(path)
            kind = _geojson_kind(doc)
            if kind == "towns":
                out.town_boundaries.append((path, doc))
            elif kind == "wards":
                out.ward_boundaries.append((path, doc))
            else:
                out.skipped.append(f"{path}: GeoJSON without ward or town properties")
        elif suffix not in (".md", ".txt"):
            out.skipped.append(f"{path}: unknown file type")
    if towns_csv is not None:
        towns_csv = Path(towns_csv)
        if not towns_csv.is_file():
            raise ImportFileError(
                str(towns_csv), "expected a CSV file of ward → town (columns town, ward_code)"
            )
        found = _kind_of(_csv_header(towns_csv), towns_csv)
        if found is None or found[0] != "towns":
            header = _csv_header(towns_csv)
            missing = [c for c in ("town", "ward_code") if c not in {h.lower() for h in header}]
            raise ImportFileError(
                str(towns_csv),
                f"expected columns town, ward_code; found {', '.join(header)}",
                line=1,
                column=missing[0] if missing else None,
            )
        out.tables.append(read_csv(towns_csv, "towns"))
    return out


# --- checks --------------------------------------------------------------------------------------


def require(table: Table, *names: str) -> None:
    """Raise unless the table has every named (lower-case) column."""
    for name in names:
        if name not in table.data.columns:
            raise ImportFileError(
                str(table.path),
                f"expected a column '{name}'; found {', '.join(table.columns.values())}",
                line=1,
                column=name,
            )


def check_pattern(table: Table, column: str, pattern: str, what: str) -> None:
    """Raise at the first row whose value in ``column`` does not match ``pattern``."""
    bad = ~table.data[column].str.fullmatch(pattern, na=False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        value = table.data[column].iloc[i]
        raise ImportFileError(
            str(table.path),
            f"expected {what}, found {value!r}",
            line=i + HEADER_LINES + 1,
            column=table.columns.get(column, column),
        )


def check_counts(table: Table, column: str) -> pd.Series:
    """The column as non-negative integers; raise at the first row that is not one."""
    values = pd.to_numeric(table.data[column], errors="coerce")
    bad = values.isna() | (values < 0) | (values != values.round())
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ImportFileError(
            str(table.path),
            f"expected a whole number of people, found {table.data[column].iloc[i]!r}",
            line=i + HEADER_LINES + 1,
            column=table.columns.get(column, column),
        )
    return values.astype("int64")


def column_with(table: Table, prefix: str) -> str:
    """The lower-case name of the column like ``wd21cd`` for prefix ``wd`` and suffix ``cd``."""
    for c in table.data.columns:
        if re.fullmatch(prefix, c):
            return c
    raise ImportFileError(str(table.path), f"expected a column matching {prefix}", line=1, column=prefix)
