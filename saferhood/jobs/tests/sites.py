"""Real sites for the process tests: a new database (an SQLite file, or a fresh database on the
PostgreSQL pass's server), migrated with manage.py, and the environment its processes run in."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ENGINES = [pytest.param("sqlite", marks=pytest.mark.sqlite_file), "postgresql"]


@contextmanager
def _database(engine: str, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL of a new, empty database of ``engine``."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'saferhood.sqlite3'}"
        return
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        pytest.skip("the PostgreSQL pass runs this (scripts/with-postgres.sh sets DATABASE_URL)")
    import psycopg

    name = f"saferhood_jobs_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def real_site(
    engine: str, tmp_path: Path, *, geography: bool = True, **extra: str
) -> Iterator[dict[str, str]]:
    with _database(engine, tmp_path) as url:
        env = {
            **os.environ,
            "SAFERHOOD_ENV_FILE": "",
            "SAFERHOOD_PROFILE": "dev",
            "DJANGO_SETTINGS_MODULE": "saferhood.settings",
            "DATABASE_URL": url,
            "SAFERHOOD_JOBS_DIR": str(tmp_path / "jobs"),
            "SAFERHOOD_SCHEDULE": "{}",
            **extra,
        }
        for args in (["migrate", "--no-input", "-v0"], ["import", "geography"])[: 2 if geography else 1]:
            done = subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        yield env


def sql(env: dict[str, str], query: str) -> list[tuple]:
    """Rows of ``query`` read straight from the site's database (no Django in this process)."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(query).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()
