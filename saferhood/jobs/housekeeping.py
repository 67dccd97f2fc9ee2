"""What each worker does beside running jobs: beat, reap dead workers' jobs, queue the schedule.

Two daemon threads so neither waits on the other: the file beat never touches the database (on
SQLite a running import holds the write lock, and the beat must go on); the database thread
beats, reaps and schedules, and simply tries again later when the database is busy.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime

from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

from saferhood.jobs.liveness import BEAT_EVERY_SECONDS, HOST, beat_database, beat_file

logger = logging.getLogger("saferhood.jobs")

LOOK_EVERY_SECONDS = 15.0


def new_worker_id() -> str:
    return f"{HOST[:32]}-{os.getpid()}-{get_random_string(8)}"


def look_once() -> None:
    """Reap dead workers' jobs, then queue what the schedule says is due (each may be retried)."""
    from saferhood.jobs.reaper import reap_dead_workers
    from saferhood.jobs.schedule import enqueue_due

    for step in (reap_dead_workers, enqueue_due):
        try:
            step()
        except DatabaseError as why:  # SQLite busy with another worker's import: next time
            logger.info("worker housekeeping: %s deferred (%s)", step.__name__, why)


class Housekeeping:
    def __init__(self, worker_id: str, *, with_database: bool = True) -> None:
        self.worker_id = worker_id
        self.started_at: datetime = timezone.now()
        self.with_database = with_database
        self.stop = threading.Event()

    def start(self) -> None:
        beat_file(self.worker_id, self.started_at)
        threading.Thread(target=self._file_beats, name="saferhood-beat", daemon=True).start()
        if self.with_database:
            threading.Thread(target=self._database_loop, name="saferhood-housekeeping", daemon=True).start()

    def _file_beats(self) -> None:
        while not self.stop.wait(BEAT_EVERY_SECONDS):
            try:
                beat_file(self.worker_id, self.started_at)
            except OSError as why:
                logger.warning("worker heartbeat file not written: %s", why)

    def _database_loop(self) -> None:
        next_look = 0.0  # look at once when the worker starts
        while not self.stop.is_set():
            try:
                beat_database(self.worker_id, self.started_at)
                if time.monotonic() >= next_look:
                    next_look = time.monotonic() + LOOK_EVERY_SECONDS
                    look_once()
            except DatabaseError as why:
                logger.info("worker heartbeat deferred: %s", why)
            finally:
                connections.close_all()  # this thread's connections only
            self.stop.wait(BEAT_EVERY_SECONDS)
