"""A second ``load_demo`` (every ``make run`` after the first) finds everything loaded and is quick.

It stores nothing new and loads none of the importers' libraries (pandas, shapely: about half a
second of start-up), which it needs only when a bundled file is new or changed (issue 15).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.sqlite_file

HEAVY = ("pandas", "numpy", "scipy", "shapely", "pyproj")
# Runs the command as `saferhood load_demo` does, then reports what it imported.
SECOND_RUN = f"""
import json, sys
from saferhood.cli import main
main(["load_demo", "--no-progress"])
print("LOADED" + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_second_load_demo_stores_nothing_and_imports_no_importer_library(tmp_path: Path) -> None:
    env = {**os.environ, "SAFERHOOD_PROFILE": "dev", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    _run(env, "manage.py", "migrate", "--no-input", "-v0")
    first = _run(env, "manage.py", "load_demo", "--no-progress")
    assert "Geography imported in" in first, first

    second = _run(env, "-c", SECOND_RUN)
    out, loaded = second.split("LOADED", 1)
    assert "Geography already loaded" in out
    assert "All bundled police.uk files are already imported." in out
    assert "monthly-counts-2023-2026: already imported" in out
    assert json.loads(loaded) == [], f"a second load_demo imported {loaded.strip()}"
