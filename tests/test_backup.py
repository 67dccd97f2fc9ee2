"""``saferhood backup`` / ``saferhood restore``: a round trip on SQLite and on PostgreSQL.

Run as an operator runs them, as processes against a database of their own: back up, change the
data (a new agency, a renamed one, an extra user), restore, and every change is gone and every
table holds as many rows as at the backup. The SQLite backup is also taken while another process
is writing, as it would be under a running server.
"""

from __future__ import annotations

import json
import stat
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.server_kit import ROOT, VENV_BIN, saferhood, site_env

COUNTS = (
    "import json\nfrom django.apps import apps\n"
    "print(json.dumps({m._meta.label: m._base_manager.count() for m in apps.get_models() if not m._meta.proxy}))"
)
SEED = (
    "from saferhood.accounts.models import Agency\n"
    "Agency.objects.get_or_create(slug='youth-offending', defaults={'name': 'Youth Offending Service'})"
)
CHANGE = (
    "from django.contrib.auth import get_user_model\n"
    "from saferhood.accounts.models import Agency\n"
    "Agency.objects.create(slug='after-backup', name='Made after the backup')\n"
    "Agency.objects.filter(slug='youth-offending').update(name='Renamed after the backup')\n"
    "get_user_model().objects.create_user('late-user', password=None)"
)
AGENCIES = (
    "import json\nfrom saferhood.accounts.models import Agency\n"
    "print(json.dumps(sorted(Agency.objects.values_list('slug', 'name'))))"
)


def _shell(env: dict[str, str], code: str):
    out = saferhood(env, "shell", "--no-imports", "-c", code).stdout.strip().splitlines()
    return json.loads(out[-1]) if out else None


def _round_trip(env: dict[str, str], backup_file: Path) -> None:
    _shell(env, SEED)
    before, agencies = _shell(env, COUNTS), _shell(env, AGENCIES)
    done = saferhood(env, "backup", str(backup_file))
    assert "Backed up" in done.stdout and backup_file.stat().st_size > 0
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # personal data: owner only
    _shell(env, CHANGE)
    changed = _shell(env, COUNTS)
    assert changed != before
    saferhood(env, "restore", str(backup_file), "--no-input")
    assert _shell(env, AGENCIES) == agencies
    assert _shell(env, COUNTS) == before


@pytest.mark.sqlite_file
def test_sqlite_round_trip_while_another_process_writes(tmp_path: Path) -> None:
    env = site_env(tmp_path)
    saferhood(env, "migrate", "--no-input", "-v0")
    # A writer holding the database busy while the backup is taken, as a running server would.
    writer = subprocess.Popen(
        [
            str(VENV_BIN / "saferhood"),
            "shell",
            "--no-imports",
            "-c",
            "from django.contrib.sessions.models import Session\nfrom django.utils import timezone\n"
            "for i in range(300): Session.objects.create(session_key=f'w{i:030d}', session_data='x', "
            "expire_date=timezone.now())",
        ],
        cwd=ROOT,
        env=env,
    )
    during = tmp_path / "during.sqlite3"
    saferhood(env, "backup", str(during))
    assert writer.wait(timeout=120) == 0
    saferhood(env | {"DATABASE_URL": f"sqlite:///{during}"}, "check", "--database", "default")
    _round_trip(env, tmp_path / "saferhood-backup.sqlite3")


@pytest.mark.sqlite_file
def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(tmp_path: Path) -> None:
    env = site_env(tmp_path)
    saferhood(env, "migrate", "--no-input", "-v0")
    _shell(env, SEED)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    done = subprocess.run(
        [str(VENV_BIN / "saferhood"), "restore", str(not_a_backup), "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (
        done.returncode != 0
        and "not a SQLite database" in done.stderr
        and "Nothing was changed" in done.stderr
    )
    assert ["youth-offending", "Youth Offending Service"] in _shell(env, AGENCIES)


def test_restore_asks_first_and_a_no_changes_nothing(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the question is the same on every database; asked on SQLite")
    env = site_env(tmp_path)
    saferhood(env, "migrate", "--no-input", "-v0")
    backup_file = tmp_path / "b.sqlite3"
    saferhood(env, "backup", str(backup_file))
    _shell(env, SEED)
    done = subprocess.run(
        [str(VENV_BIN / "saferhood"), "restore", str(backup_file)],
        cwd=ROOT,
        env=env,
        input="no\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "Type 'yes'" in done.stdout and "Not restored" in done.stderr
    assert ["youth-offending", "Youth Offending Service"] in _shell(env, AGENCIES)


@pytest.fixture
def postgres_database():
    """A database of its own on the test run's PostgreSQL server, dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the PostgreSQL pass of make test)")
    import psycopg

    s = connection.settings_dict
    name = f"saferhood_backup_{uuid.uuid4().hex[:8]}"
    params = {"host": s["HOST"], "port": s["PORT"] or 5432, "user": s["USER"], "password": s["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    yield f"postgres://{s['USER']}{password}@{s['HOST']}:{params['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_round_trip(tmp_path: Path, postgres_database: str) -> None:
    env = site_env(tmp_path, DATABASE_URL=postgres_database)
    saferhood(env, "migrate", "--no-input", "-v0")
    _round_trip(env, tmp_path / "saferhood.dump")
