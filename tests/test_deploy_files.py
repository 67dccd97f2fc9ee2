"""The files in deploy/ name things that exist, and the example settings start a production server.

A unit naming a command that was renamed, or a settings file naming a variable nothing reads,
fails silently on the council's server; these fail here instead.
"""

from __future__ import annotations

import re
import secrets
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

from tests.server_kit import ROOT, VENV_BIN, site_env

DEPLOY = ROOT / "deploy"
INSTALL_VENV = "/opt/saferhood/.venv/bin/"
UNITS = sorted(DEPLOY.glob("*.service"))
EXAMPLE = DEPLOY / "saferhood.env.example"


def _exec_lines(unit: Path) -> list[list[str]]:
    return [
        shlex.split(line.split("=", 1)[1])
        for line in unit.read_text().splitlines()
        if re.match(r"ExecStart(Pre|Post)?=", line)
    ]


def _local(argv: list[str]) -> list[str]:
    """The command as it runs from this checkout's virtualenv."""
    assert argv[0].startswith(INSTALL_VENV), f"{argv[0]}: units run programs from the install's virtualenv"
    return [str(VENV_BIN / argv[0].removeprefix(INSTALL_VENV)), *argv[1:]]


def test_the_units_are_the_web_server_and_the_worker() -> None:
    assert [u.name for u in UNITS] == ["saferhood-web.service", "saferhood-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=[u.stem for u in UNITS])
def test_every_saferhood_command_a_unit_runs_exists(unit: Path) -> None:
    commands = get_commands()
    for argv in _exec_lines(unit):
        if Path(argv[0]).name == "saferhood":
            assert argv[1] in commands, f"{unit.name}: no `saferhood {argv[1]}` command"
            assert Path(_local(argv)[0]).exists()


def test_the_web_unit_starts_gunicorn_with_saferhoods_config_and_application(tmp_path: Path) -> None:
    (start,) = [a for a in _exec_lines(DEPLOY / "saferhood-web.service") if "gunicorn" in a]
    assert start[1:3] == ["-m", "gunicorn"]
    # gunicorn's own check: the config module loads and the application imports.
    done = subprocess.run(
        [*_local(start), "--check-config"], cwd=ROOT, env=site_env(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_worker_unit_runs_saferhood_worker() -> None:
    starts = [a for a in _exec_lines(DEPLOY / "saferhood-worker.service") if Path(a[0]).name == "saferhood"]
    assert [a[1] for a in starts] == ["worker"]


def _example_settings() -> dict[str, str]:
    settings = {}
    for line in EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value
    return settings


def test_every_variable_in_the_example_settings_is_read_by_saferhood() -> None:
    sources = "".join(
        (ROOT / "saferhood" / f).read_text() for f in ("settings.py", "core/gunicorn_conf.py", "env_file.py")
    )
    for line in EXAMPLE.read_text().splitlines():
        match = re.match(r"#?([A-Z_]+)=", line)
        if match:
            assert f'"{match[1]}"' in sources, f"{match[1]} is in the example but nothing reads it"


def test_the_example_settings_with_real_secrets_pass_djangos_deployment_check(tmp_path: Path) -> None:
    """Filled in as docs/deploy.md says, the example is a production configuration Django accepts."""
    settings = _example_settings()
    assert settings["SAFERHOOD_PROFILE"] == "production"
    assert {n for n, v in settings.items() if v == "change-me"} == {"SECRET_KEY", "SAFERHOOD_AUDIT_KEY"}
    settings |= {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SAFERHOOD_AUDIT_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # the check needs no PostgreSQL
    }
    env = {k: v for k, v in site_env(tmp_path).items() if k not in ("SAFERHOOD_PROFILE", "DATABASE_URL")}
    done = subprocess.run(
        [str(VENV_BIN / "saferhood"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env | settings,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
