"""Data files uploaded in the browser: streamed to disk, checked by name, kept for their import job.

An upload is never held in memory: every file goes through Django's temporary-file handler
(no in-memory handler), and a size guard stops the request as soon as the files together pass
``SAFERHOOD_UPLOAD_MAX_BYTES`` (2 GB by default). Each upload gets its own folder under
``SAFERHOOD_UPLOAD_DIR``; the import job reads that folder as ONE batch, so the upload is
imported whole or not at all.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.move import file_move_safe
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.utils.text import get_valid_filename

POLICE_SUFFIXES = (".csv", ".zip", ".json")
MAX_FILES = 50


def max_upload_bytes() -> int:
    return int(settings.SAFERHOOD_UPLOAD_MAX_BYTES)


def upload_root() -> Path:
    return Path(settings.SAFERHOOD_UPLOAD_DIR)


def size_in_words(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


class UploadTooLarge(Exception):
    pass


class SizeGuard(FileUploadHandler):
    """Counts the bytes of every file as they stream past and stops the upload beyond the limit."""

    def __init__(self, request: HttpRequest | None = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refused = True
            # Keep the connection: the browser then shows our answer, not a reset.
            raise StopUpload(connection_reset=False)
        return raw_data  # handed on to the temporary-file handler

    def file_complete(self, file_size: int) -> None:
        return None


def stream_to_disk(request: HttpRequest) -> SizeGuard:
    """Set the request's upload handlers (before its body is read): guard, then disk only."""
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
    guard = SizeGuard(request)
    request.upload_handlers = [guard, TemporaryFileUploadHandler(request)]
    return guard


def check_police_name(name: str) -> str | None:
    """Why a file cannot be a police.uk upload, or None."""
    # Here, not at the top: the importers package loads pandas, which start-up must not.
    from saferhood.crime.importers.discovery import CSV_NAME_RE

    lower = name.lower()
    if not lower.endswith(POLICE_SUFFIXES):
        return f"{name} is not a police.uk file: upload .csv files, an archive .zip or API .json"
    if lower.endswith(".csv") and not CSV_NAME_RE.match(name):
        return (
            f"{name} is not named as police.uk names its files: expected YYYY-MM-<force>-street.csv, "
            "-outcomes.csv or -stop-and-search.csv (as in the police.uk archive)"
        )
    return None


def check_counts_name(name: str) -> str | None:
    if not name.lower().endswith(".csv"):
        return f"{name} is not a count file: upload .csv files"
    return None


@dataclass(frozen=True)
class StoredUpload:
    folder: Path
    names: list[str]
    size: int


def keep(files: list[UploadedFile]) -> StoredUpload:
    """Move the uploaded files into a new folder of their own (a rename: same disk as the temp dir)."""
    folder = upload_root() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    names: list[str] = []
    size = 0
    for f in files:
        name = get_valid_filename(Path(f.name).name)
        if name in names:  # two files of one name: keep both
            name = f"{len(names)}-{name}"
        target = folder / name
        if hasattr(f, "temporary_file_path"):
            file_move_safe(f.temporary_file_path(), str(target))
        else:  # not reached with stream_to_disk's handlers; kept for callers passing other files
            with target.open("wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
        names.append(name)
        size += f.size or 0
    return StoredUpload(folder=folder, names=names, size=size)


def discard(folder: str | Path) -> None:
    """Remove an upload's folder once its import has stored it (a failed one stays, for a retry)."""
    path = Path(folder)
    if path.is_dir() and upload_root() in path.parents:
        shutil.rmtree(path, ignore_errors=True)
