"""The local settings file: environment variables win over it, it is written once, production still needs its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from saferhood.core.tests.test_security import PRODUCTION
from saferhood.env_file import write_dev_file

ROOT = Path(__file__).resolve().parents[1]
SHOW = "from django.conf import settings as s; print(s.PROFILE, s.SECRET_KEY, s.DATABASES['default']['NAME'])"
SETTINGS_VARIABLES = set(PRODUCTION) | {"DEBUG", "SAFERHOOD_ENV_FILE"}


def _start(env: dict[str, str], then: str = SHOW) -> subprocess.CompletedProcess:
    """Start Django in a fresh process whose environment holds only ``env`` of Saferhood's settings."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {then}"],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "saferhood.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_written_file_gives_the_dev_profile_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    assert write_dev_file(env_file, tmp_path / "db.sqlite3")
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"  # it holds a secret key
    started = _start({"SAFERHOOD_ENV_FILE": str(env_file)})
    profile, key, database = started.stdout.split()
    assert (profile, database) == ("dev", str(tmp_path / "db.sqlite3")), started.stderr
    assert len(key) >= 50 and key != "dev-only-not-secret"

    other = tmp_path / "other.sqlite3"
    overridden = _start({"SAFERHOOD_ENV_FILE": str(env_file), "DATABASE_URL": f"sqlite:///{other}"})
    assert overridden.stdout.split()[2] == str(other), overridden.stderr


def test_the_file_is_never_overwritten(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SAFERHOOD_PROFILE=dev\nSECRET_KEY=mine\n")
    assert not write_dev_file(env_file, tmp_path / "db.sqlite3")
    assert env_file.read_text() == "SAFERHOOD_PROFILE=dev\nSECRET_KEY=mine\n"


def test_production_from_a_file_still_refuses_without_its_secrets(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in PRODUCTION.items() if k != "SECRET_KEY"))
    refused = _start({"SAFERHOOD_ENV_FILE": str(env_file)})
    assert refused.returncode != 0 and "SECRET_KEY must be set in production" in refused.stderr

    with env_file.open("a") as out:
        out.write(f"SECRET_KEY={PRODUCTION['SECRET_KEY']}\n")
    assert _start({"SAFERHOOD_ENV_FILE": str(env_file)}, "print('started')").stdout.strip() == "started"


def test_no_file_or_a_missing_one(tmp_path: Path) -> None:
    # Disabled: nothing fills in the production secrets, whatever .env the repository holds.
    none = _start({"SAFERHOOD_ENV_FILE": ""})
    assert none.returncode != 0 and "SECRET_KEY must be set in production" in none.stderr
    # A file named but absent is a mistake to name, not silently another configuration.
    missing = _start({**PRODUCTION, "SAFERHOOD_ENV_FILE": str(tmp_path / "nowhere.env")})
    assert missing.returncode != 0 and "nowhere.env: no such file" in missing.stderr
