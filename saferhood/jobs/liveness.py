"""Is a worker alive? Heartbeats in a file and in the database, and the rule for stale workers.

Two places because each fails somewhere: on SQLite a running import holds the only write lock,
so the database heartbeat stalls while the worker is busy and well (the file keeps beating); with
several servers on PostgreSQL only the database is shared. A worker is alive while either beat is
fresh — and, on its own host, only while its process exists (so a worker killed with -9 is seen
dead at once, not after the stale period).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone

from saferhood.jobs.progress import jobs_dir, read_json, write_json_atomically

BEAT_EVERY_SECONDS = 2.0
STALE_AFTER_SECONDS = 30.0
HOST = socket.gethostname()


@dataclass(frozen=True)
class Beat:
    worker_id: str
    host: str
    pid: int
    at: datetime


def _beat_path(worker_id: str):
    safe = "".join(c for c in worker_id if c.isalnum() or c in "-_")
    return jobs_dir() / "workers" / f"{safe}.json"


def beat_file(worker_id: str, started_at: datetime) -> None:
    write_json_atomically(
        _beat_path(worker_id),
        {"worker_id": worker_id, "host": HOST, "pid": os.getpid(), "at": timezone.now().isoformat()},
    )


def beat_database(worker_id: str, started_at: datetime) -> None:
    from saferhood.jobs.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": HOST, "pid": os.getpid(), "beat_at": timezone.now()},
        create_defaults={
            "host": HOST,
            "pid": os.getpid(),
            "beat_at": timezone.now(),
            "started_at": started_at,
        },
    )


def forget_worker(worker_id: str) -> None:
    """A worker stopping cleanly removes its beats (so readyz stops counting it at once)."""
    from saferhood.jobs.models import WorkerHeartbeat

    _beat_path(worker_id).unlink(missing_ok=True)
    try:
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
    except DatabaseError:
        pass


def _file_beats() -> dict[str, Beat]:
    beats: dict[str, Beat] = {}
    folder = jobs_dir() / "workers"
    if not folder.is_dir():
        return beats
    for path in folder.glob("*.json"):
        raw = read_json(path)
        try:
            beat = Beat(
                str(raw["worker_id"]), str(raw["host"]), int(raw["pid"]), datetime.fromisoformat(raw["at"])
            )
        except (TypeError, KeyError, ValueError):
            continue
        beats[beat.worker_id] = beat
    return beats


def _database_beats() -> dict[str, Beat]:
    from saferhood.jobs.models import WorkerHeartbeat

    return {
        row.worker_id: Beat(row.worker_id, row.host, row.pid, row.beat_at)
        for row in WorkerHeartbeat.objects.all()
    }


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


class Liveness:
    """A snapshot of every worker's beats, read once and asked about many workers."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.beats: dict[str, list[Beat]] = {}
        for source in (_file_beats(), _database_beats()):
            for worker_id, beat in source.items():
                self.beats.setdefault(worker_id, []).append(beat)

    def is_alive(self, worker_id: str) -> bool:
        beats = self.beats.get(worker_id, [])
        if not beats:
            return False
        if any(b.host == HOST and not _process_exists(b.pid) for b in beats):
            return False
        freshest = max(b.at for b in beats)
        return self.now - freshest <= timedelta(seconds=STALE_AFTER_SECONDS)

    def alive_workers(self) -> list[str]:
        return sorted(w for w in self.beats if self.is_alive(w))

    def dead_workers(self) -> list[str]:
        return sorted(w for w in self.beats if not self.is_alive(w))


def worker_readiness() -> str | None:
    """For /readyz: None when some worker's heartbeat is fresh, else why not."""
    if Liveness().alive_workers():
        return None
    return "no worker running (start `saferhood worker`)"
