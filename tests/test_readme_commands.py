"""Every ``saferhood …`` command the README shows runs as printed, after the set-up ``make run`` does.

Each command line of the README's ```sh blocks that starts ``saferhood`` or ``.venv/bin/saferhood``
(continuation lines joined) is run by bash from the repository root, in a shell like a user's
after ``make run``: the virtualenv on PATH, no Saferhood variable in the environment, and a
settings file written by the same writer ``make run`` uses (``python -m saferhood.env_file``),
pointing at a throwaway SQLite database with the bundled geography loaded. So the dev profile
and the secret key come from the file, as they do for a user: before ``.env`` existed, every
command stopped with "SECRET_KEY must be set in production".
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_file

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
# Settings a user's shell does not hold after `make run`: they must come from the settings file.
SETTINGS_VARIABLES = {
    "SAFERHOOD_PROFILE",
    "SECRET_KEY",
    "DATABASE_URL",
    "SAFERHOOD_AUDIT_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "SAFERHOOD_ENV_FILE",
}
# Commands that need a file only a user has, each with why no bundled file stands in for it.
SKIPPED = {
    "~/Downloads/3b1c…e9.zip": "no archive zip is bundled (police.uk's are hundreds of MB); "
    "zip imports are tested in saferhood/crime/tests",
    "--spec my-columns.json": "a spec describes the user's own column layout, and every bundled count "
    "file has the default one; specs are tested in saferhood/crime/tests",
}


def readme_commands(text: str) -> list[str]:
    """The ``saferhood`` command lines of the ```sh blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        for line in re.sub(r"\\\n\s*", "", block).splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] in ("saferhood", ".venv/bin/saferhood"):
                commands.append(line.strip())
    return commands


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def _skip_reason(command: str) -> str | None:
    return next((why for marker, why in SKIPPED.items() if marker in command), None)


def test_the_readme_commands_are_found_and_every_skip_is_still_there() -> None:
    assert len(COMMANDS) >= 8, COMMANDS
    for kind in ("police", "counts", "geography"):
        assert any(f"import {kind}" in c for c in COMMANDS), kind
    for marker in SKIPPED:
        assert any(marker in c for c in COMMANDS), f"{marker!r} is no longer in the README: drop its skip"


def test_continuation_lines_are_joined() -> None:
    text = '```sh\nsaferhood import counts a.csv \\\n    --source "x y"   # note\nmake run\n```\n'
    assert readme_commands(text) == ['saferhood import counts a.csv --source "x y"   # note']


@pytest.fixture(scope="module")
def user_shell(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A user's environment after `make run`: settings file written, database migrated, geography loaded."""
    where = tmp_path_factory.mktemp("readme")
    env_file = where / ".env"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env |= {
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(VENV_BIN.parent),
        "SAFERHOOD_ENV_FILE": str(env_file),
    }
    for args in (
        ["-m", "saferhood.env_file", str(env_file), "--database", str(where / "saferhood.sqlite3")],
        ["manage.py", "migrate", "--no-input", "-v0"],
        ["manage.py", "import", "geography"],
    ):
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    assert "SAFERHOOD_PROFILE=dev" in env_file.read_text()
    return env


@pytest.mark.parametrize(
    "command",
    COMMANDS,
    ids=[f"{i}-" + "-".join(re.findall(r"[\w.]+", c.split("#")[0])[1:4]) for i, c in enumerate(COMMANDS)],
)
def test_readme_command_runs_as_printed(user_shell: dict[str, str], command: str) -> None:
    reason = _skip_reason(command)
    if reason:
        pytest.skip(reason)
    assert "…" not in command, "a placeholder: use a bundled demo/ file, or list the command in SKIPPED"
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=user_shell, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (
        f"{command}\nexited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
