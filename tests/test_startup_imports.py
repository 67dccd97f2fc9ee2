"""Starting Saferhood loads no numerical or drawing library (issue 15: every command starts in <= 1 s).

pandas, scipy and the rest cost seconds to import; they belong to the functions that analyse or
draw, not to Django's start-up. Each check runs a fresh interpreter, because this test process
has long since imported them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy", "numpy", "shapely", "pyproj", "cairosvg", "weasyprint", "statsmodels")

REPORT = f"""
import json, sys
heavy = {HEAVY!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""

STARTS = {
    # What every request-serving process and `manage.py check` does first.
    "django.setup() and the URLconf": """
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
""",
    # What `saferhood <any command>` does before the command runs: settings, apps, the command list.
    "the saferhood command's start": """
import django
django.setup()
from django.core.management import get_commands
get_commands()
""",
    # Each of our commands' modules: the command imports what it needs when it runs, not on load.
    "loading every saferhood command": """
import django
django.setup()
from django.core.management import get_commands, load_command_class
for name, app in get_commands().items():
    if app.startswith("saferhood"):
        load_command_class(app, name)
""",
}


def _heavy_modules_loaded(code: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saferhood.settings", "SAFERHOOD_PROFILE": "dev"}
    done = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("start", list(STARTS))
def test_start_up_imports_no_heavy_library(start: str) -> None:
    loaded = _heavy_modules_loaded(STARTS[start])
    assert loaded == [], (
        f"{start} imported {loaded}: import them inside the functions that use them "
        "(python -X importtime shows which module pulls them in)"
    )


def test_the_check_sees_a_heavy_import() -> None:
    """The check itself works: a module that imports pandas at the top is caught."""
    assert _heavy_modules_loaded("import pandas") == ["numpy", "pandas"]


def test_a_process_exits_without_a_final_garbage_sweep() -> None:
    """After django.setup() the collector is frozen at exit, so exit does not sweep every object.

    The probe is registered before django.setup(), so it runs after Saferhood's exit hook
    (atexit runs hooks last-registered first) and sees the frozen objects.
    """
    code = """
import atexit, gc
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count()))
import django
django.setup()
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "saferhood.settings", "SAFERHOOD_PROFILE": "dev"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen = int(done.stdout.split("frozen at exit:")[1])
    assert frozen > 10_000, done.stdout
