"""Live job progress, kept in small files the web process reads while the job runs.

Why not the database: an import holds one long transaction, and on SQLite that transaction holds
the only write lock, so a progress row written by the job is invisible to the web until the end
(and a second connection cannot write at all). A file per job under SAFERHOOD_JOBS_DIR, replaced
atomically (``os.replace``), is readable by any process on the same server at any moment. Several
servers need that directory shared, or progress written through a second database connection
(docs/adr/0007-background-jobs.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings


def jobs_dir() -> Path:
    return Path(settings.SAFERHOOD_JOBS_DIR)


def _progress_path(job_id: int) -> Path:
    return jobs_dir() / "progress" / f"{int(job_id)}.json"


def write_json_atomically(path: Path, value: dict[str, Any]) -> None:
    """Write ``value`` so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_progress(job_id: int, done: int, total: int | None, message: str) -> None:
    write_json_atomically(_progress_path(job_id), {"done": done, "total": total, "message": message})


def read_progress(job_id: int) -> dict[str, Any] | None:
    return read_json(_progress_path(job_id))


def forget_progress(job_id: int) -> None:
    _progress_path(job_id).unlink(missing_ok=True)
