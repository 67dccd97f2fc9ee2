"""Finding police.uk files among the paths a user gave: files, folders and archive zips.

The kind, force and month of a CSV come from its name (police.uk's archive names every file
``YYYY-MM-<force>-<kind>.csv``); the header confirms the kind later. API JSON files carry their
month inside, so they are gathered here and grouped by month when read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from saferhood.core.errors import ImportFileError
from saferhood.core.months import MonthError, parse_month
from saferhood.crime.models import RecordKind

# What reading a damaged archive raises: bad CRC or header (BadZipFile), encrypted member
# (RuntimeError), unknown compression (NotImplementedError), cut data (EOFError, zlib.error).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
)
CSV_NAME_RE = re.compile(r"^(\d{4}-\d{2})-(.+)-(street|outcomes|stop-and-search)\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class SourceFile:
    """One file to read: on disk or a member of a zip, loaded only when its turn comes."""

    display: str  # what error messages and the summary call it
    name: str  # the bare file name
    read: Callable[[], bytes]


@dataclass(frozen=True)
class CsvSource:
    file: SourceFile
    kind: str
    force: str
    month: str


@dataclass
class Discovered:
    csv: list[CsvSource]
    json: list[SourceFile]
    skipped: list[str]
    path: str = ""  # the path given, for a batch

    @property
    def files(self) -> int:
        return len(self.csv) + len(self.json)


def _disk(path: Path) -> SourceFile:
    return SourceFile(display=str(path), name=path.name, read=path.read_bytes)


@dataclass(frozen=True)
class _ZipMember:
    """Reads one member of an archive (a class, not a closure, so a source can be pickled)."""

    zpath: Path
    member: str

    def __call__(self) -> bytes:
        try:
            with zipfile.ZipFile(self.zpath) as zf:
                return zf.read(self.member)
        except ZIP_ERRORS as exc:  # a bad CRC, an encrypted or cut member, an unknown compression
            raise ImportFileError(
                f"{self.zpath}!{self.member}", f"expected a readable zip member, found an error: {exc}"
            ) from exc


def _member(zpath: Path, member: str) -> SourceFile:
    return SourceFile(
        display=f"{zpath}!{member}", name=member.rsplit("/", 1)[-1], read=_ZipMember(zpath, member)
    )


def classify_csv(source: SourceFile) -> CsvSource | None:
    """Kind, force and month from a police.uk file name; None when the name is not one."""
    match = CSV_NAME_RE.match(source.name)
    if not match:
        return None
    month, force, kind = match.group(1), match.group(2).lower(), match.group(3).lower()
    try:
        parse_month(month)
    except MonthError as exc:
        raise ImportFileError(
            source.display, f"expected the file name to start with a month YYYY-MM, found {month!r}"
        ) from exc
    return CsvSource(file=source, kind=RecordKind(kind).value, force=force, month=month)


def _add(found: Discovered, source: SourceFile, *, explicit: bool) -> None:
    lower = source.name.lower()
    if lower.endswith(".json"):
        found.json.append(source)
        return
    if lower.endswith(".csv"):
        classified = classify_csv(source)
        if classified is not None:
            found.csv.append(classified)
            return
    if explicit:
        raise ImportFileError(
            source.display,
            "expected a police.uk file named YYYY-MM-<force>-street.csv, -outcomes.csv or "
            f"-stop-and-search.csv, an archive .zip or API .json, found {source.name!r}",
        )
    found.skipped.append(source.display)


def _add_zip(found: Discovered, zpath: Path) -> None:
    try:
        with zipfile.ZipFile(zpath) as zf:
            members = sorted(n for n in zf.namelist() if not n.endswith("/"))
    except ZIP_ERRORS as exc:
        raise ImportFileError(str(zpath), f"expected a zip archive, found an error: {exc}") from exc
    for member in members:
        _add(found, _member(zpath, member), explicit=False)


def discover(paths: list[Path]) -> Discovered:
    """Every importable file under ``paths``, in a stable order (folders sorted, recursively)."""
    found = Discovered(csv=[], json=[], skipped=[])
    for batch in discover_batches(paths):
        found.csv += batch.csv
        found.json += batch.json
        found.skipped += batch.skipped
    return found


def discover_batches(paths: list[Path]) -> list[Discovered]:
    """One :class:`Discovered` per path given (a file, a folder or a zip): each is imported whole or
    not at all. Every path is looked at before anything is read."""
    batches = []
    for path in paths:
        found = Discovered(csv=[], json=[], skipped=[], path=str(path))
        _discover_path(found, Path(path))
        batches.append(found)
    return batches


def _discover_path(found: Discovered, path: Path) -> None:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() == ".zip":
                _add_zip(found, child)
            else:
                _add(found, _disk(child), explicit=False)
    elif path.is_file():
        if path.suffix.lower() == ".zip":
            _add_zip(found, path)
        else:
            _add(found, _disk(path), explicit=True)
    else:
        raise ImportFileError(str(path), "expected a file, folder or zip, found nothing at this path")
