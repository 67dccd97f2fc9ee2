"""Start-up time of whole processes: every ``saferhood`` command should start in <= 1 s (issue 15).

Each command is run as a fresh process, as a user runs it, with the environment of ``make bench``
(PYTHONDONTWRITEBYTECODE=1 where the machine sets it: Python then reads the .pyc files ``make
install`` wrote but writes none). The baselines are measured in the same run: a bare interpreter
and ``django.setup()`` with Saferhood's settings, so the figures can be read against this
machine's speed at the time. Results go to benchmarks/results/startup.json.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results_file import write_result

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TARGET_SECONDS = 1.0

BASELINES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "django.setup()": [sys.executable, "-c", "import django; django.setup()"],
}
COMMANDS = {
    "saferhood check": [str(VENV_BIN / "saferhood"), "check"],
    "saferhood help": [str(VENV_BIN / "saferhood"), "help"],
    "manage.py check": [sys.executable, "manage.py", "check"],
}


def _env() -> dict[str, str]:
    return {**os.environ, "SAFERHOOD_PROFILE": "dev", "DJANGO_SETTINGS_MODULE": "saferhood.settings"}


def time_processes(runs: dict[str, list[str]], repeats: int) -> dict[str, list[float]]:
    """Wall-clock seconds of each process from spawn to exit, ``repeats`` times each.

    The runs are interleaved (one of each, then again), so load from other users of the machine
    falls on the baselines and the commands alike.
    """
    env = _env()
    for argv in runs.values():  # warm the disk cache, untimed
        subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, argv in runs.items():
            t0 = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t0)
    return times


def _summary(times: list[float]) -> dict:
    return {
        "best_seconds": round(min(times), 3),
        "median_seconds": round(statistics.median(times), 3),
        "all_seconds": [round(t, 3) for t in times],
    }


def _compiled() -> dict:
    """Whether the .pyc files start-up reads exist and are current (``make install`` writes them).

    A source edited since the last install is compiled again in memory on every start, because
    Python may not write the .pyc here: the count says how many such files this run paid for.
    """
    import importlib.util

    import django

    import saferhood

    def stale(package: Path) -> int:
        count = 0
        for source in package.rglob("*.py"):
            cached = Path(importlib.util.cache_from_source(str(source)))
            if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                count += 1
        return count

    return {
        "django_sources_without_current_pyc": stale(Path(django.__file__).parent),
        "saferhood_sources_without_current_pyc": stale(Path(saferhood.__file__).parent),
    }


def bench_startup(workdir: Path | None = None, repeats: int = 9) -> dict:
    """Time the commands against the baselines; write and return the result."""
    times = time_processes({**BASELINES, **COMMANDS}, repeats)
    baselines = {name: times[name] for name in BASELINES}
    commands = {name: times[name] for name in COMMANDS}
    django_best = min(baselines["django.setup()"])
    django_median = statistics.median(baselines["django.setup()"])
    figures = {}
    for name, times in commands.items():
        figures[name] = {
            **_summary(times),
            "ratio_to_django_setup_best": round(min(times) / django_best, 2),
            "ratio_to_django_setup_median": round(statistics.median(times) / django_median, 2),
            "met": statistics.median(times) <= TARGET_SECONDS,
        }
    result = {
        "what": "start-up of whole processes: `saferhood check`, `saferhood help`, `manage.py check`, "
        "each spawned fresh and timed to exit (subprocess + time.perf_counter)",
        "repeats": repeats,
        "method": "one untimed warm-up run each, then the repeats, interleaved (one run of each in turn); "
        "best and median of the repeats; baselines measured in the same run",
        "environment": {
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
            "bytecode_compiled_at_install": _compiled(),
        },
        "baselines": {name: _summary(times) for name, times in baselines.items()},
        "commands": figures,
        "target": f"every saferhood command starts in <= {TARGET_SECONDS:g} s (median of the repeats)",
        "target_seconds": TARGET_SECONDS,
        "met": all(f["met"] for f in figures.values()),
        "notes": "Before issue 15: `saferhood check` took 8.5 s, because nothing was byte-compiled "
        "(the machine forbids writing .pyc at run time) and the URLconf imported pandas and "
        "scipy.stats. Now `make install` compiles every package and our sources, and the numerical "
        "and drawing libraries are imported inside the functions that use them "
        "(tests/test_startup_imports.py keeps them out of start-up). A process also exits without the "
        "final garbage-collector sweep over every object (saferhood/core/process_exit.py), about 0.3 s "
        "of each command on this machine.",
    }
    write_result("startup", result)
    return result


if __name__ == "__main__":
    bench_startup()
