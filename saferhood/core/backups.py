"""Backing up and restoring the whole database: ``saferhood backup`` / ``saferhood restore``.

SQLite goes through SQLite's online backup API, which copies a consistent snapshot while the
server keeps reading and writing (WAL), and restores the same way into the live file, so open
connections see the restored data rather than a file swapped under them. PostgreSQL goes through
``pg_dump -Fc`` and ``pg_restore --clean --if-exists --single-transaction`` (all or nothing).

A backup is written to a temporary file beside its target and renamed into place when whole, so
an interrupted backup never leaves half a file under the backup's name; it is readable by its
owner only, because it holds personal data.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper


class BackupError(Exception):
    """A backup or restore that could not be done, with why and what to do."""


def engine(connection: BaseDatabaseWrapper) -> str:
    return connection.vendor  # "sqlite" or "postgresql"


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def _sqlite_source(connection: BaseDatabaseWrapper) -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection  # the live connection: works for a file and an in-memory database


def backup_sqlite(connection: BaseDatabaseWrapper, target: Path) -> None:
    partial = _temporary_beside(target)
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        destination = sqlite3.connect(partial)
        try:
            # pages=-1: one step, so the copy is one consistent snapshot of the database.
            _sqlite_source(connection).backup(destination, pages=-1)
            # The copy is a plain database file: no WAL beside it to lose when it is moved.
            destination.execute("PRAGMA journal_mode=DELETE")
            _check_sqlite(destination, partial)
        finally:
            destination.close()
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _check_sqlite(db: sqlite3.Connection, path: Path) -> None:
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        has_migrations = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from exc
    if result != "ok":
        raise BackupError(f"{path} is damaged (SQLite's check says: {result})")
    if not has_migrations:
        raise BackupError(f"{path} is a SQLite database but not a Saferhood one (no django_migrations table)")


def restore_sqlite(connection: BaseDatabaseWrapper, source: Path) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite(backup, source)
        live = _sqlite_source(connection)
        if live.in_transaction:
            raise BackupError("the database connection is inside a transaction: restore outside one")
        backup.backup(live, pages=-1)
    finally:
        backup.close()
    connection.close()  # next use reopens and sees the restored schema


def postgres_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH, else the newest under /usr/lib/postgresql/*/bin (Debian)."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    # The newest version can read every older server; PATH may hold an older client.
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} not found: install PostgreSQL's client programs (apt-get install postgresql-client)"
    )


def _postgres_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's variables for the connection Saferhood uses (no password on a command line)."""
    s = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(
            f"{Path(argv[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )


def backup_postgres(connection: BaseDatabaseWrapper, target: Path) -> None:
    partial = _temporary_beside(target)
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        _run([postgres_tool("pg_dump"), "--format=custom", f"--file={partial}"], _postgres_env(connection))
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def restore_postgres(connection: BaseDatabaseWrapper, source: Path) -> None:
    env = _postgres_env(connection)
    connection.close()  # our own idle connection must not hold a lock on a table being replaced
    _run(
        [
            postgres_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={env.get('PGDATABASE', '')}",
            str(source),
        ],
        env,
    )


def backup(connection: BaseDatabaseWrapper, target: Path) -> None:
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the backup file's name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist")
    if engine(connection) == "sqlite":
        backup_sqlite(connection, target)
    elif engine(connection) == "postgresql":
        backup_postgres(connection, target)
    else:
        raise BackupError(f"backups of {engine(connection)} databases are not supported")


def restore(connection: BaseDatabaseWrapper, source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if engine(connection) == "sqlite":
        restore_sqlite(connection, source)
    elif engine(connection) == "postgresql":
        restore_postgres(connection, source)
    else:
        raise BackupError(f"restoring {engine(connection)} databases is not supported")
