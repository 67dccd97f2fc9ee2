"""Checkpointing SQLite's write-ahead log beside an import instead of inside its commits.

In WAL mode each commit that finds the log past ``wal_autocheckpoint`` pages copies the log
into the database file there and then, with two fsyncs, while the importer waits. During an
import we turn that off and checkpoint from a second connection in a thread instead (a PASSIVE
checkpoint never blocks the writer; SQLite's own documentation suggests it), so copying one
file's rows overlaps writing the next. The last checkpoint runs before the import returns, so
the database ends as it would have. Nothing changes on PostgreSQL or an in-memory database.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from django.db import connection


class BackgroundCheckpoints:
    """``with BackgroundCheckpoints() as checkpoints: … checkpoints.after_commit() …``"""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._autocheckpoint = 0
        self._thread_connection: sqlite3.Connection | None = None

    def __enter__(self) -> BackgroundCheckpoints:
        if connection.vendor != "sqlite" or connection.is_in_memory_db() or connection.in_atomic_block:
            return self
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0].lower() != "wal":
                return self
            cursor.execute("PRAGMA wal_autocheckpoint")
            self._autocheckpoint = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        self._path = connection.settings_dict["NAME"]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="saferhood-checkpoint")
        return self

    def _checkpoint(self) -> None:
        try:
            if self._thread_connection is None:  # made and used in the worker thread only
                self._thread_connection = sqlite3.connect(self._path)
            self._thread_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            # Only ever an optimisation: the next checkpoint (or SQLite's own, once the
            # setting is restored) copies whatever this one could not.
            pass

    def after_commit(self) -> None:
        """Start a checkpoint of what has been committed, unless one is still running."""
        if self._pool and (self._pending is None or self._pending.done()):
            self._pending = self._pool.submit(self._checkpoint)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is None:
            return
        try:
            if self._pending is not None:
                self._pending.result()
            self._pool.submit(self._checkpoint).result()  # whatever the last commit wrote
        finally:
            if self._thread_connection is not None:
                self._pool.submit(self._thread_connection.close).result()
            self._pool.shutdown()
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint={int(self._autocheckpoint)}")
