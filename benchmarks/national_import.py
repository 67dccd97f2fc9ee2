"""``make bench-national`` (import step): the app's police.uk import of a stage's files, in a process of
its own so that its memory is its own.

``python -m benchmarks.national_import plan.json result.json``: ``plan.json`` lists groups of file
paths; each group is one call of :func:`saferhood.crime.importers.import_police` (a month of every
force's files, as a monthly refresh brings them). Each call's peak resident memory is exact (the
kernel's high-water mark, reset before the call); the whole run's comes from ``getrusage``, the
forked read-ahead worker's from ``RUSAGE_CHILDREN``. Run with DEBUG off (production's setting):
with DEBUG on, Django keeps the last 9,000 queries' SQL, which looks like a slow leak.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from pathlib import Path


def peak_rss_bytes() -> int:
    """The process's peak resident memory since the last :func:`reset_peak` (Linux VmHWM)."""
    with open("/proc/self/status") as fh:
        return int(re.search(r"VmHWM:\s+(\d+) kB", fh.read()).group(1)) * 1024


def reset_peak() -> None:
    """Start a new peak (Linux: writing 5 to clear_refs resets VmHWM to the current size)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def main(plan_path: str, result_path: str) -> None:
    os.environ.setdefault("SAFERHOOD_PROFILE", "dev")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhood.settings")
    import django

    django.setup()
    from saferhood.crime.importers import import_police

    groups: list[list[str]] = json.loads(Path(plan_path).read_text())
    before = peak_rss_bytes()
    calls = []
    rows_total = 0
    started = time.perf_counter()
    for group in groups:
        reset_peak()
        t0 = time.perf_counter()
        summary = import_police([Path(p) for p in group], progress=False)
        seconds = time.perf_counter() - t0
        rows = sum(run.rows_stored for run in summary.runs)
        rows_total += rows
        calls.append(
            {
                "files": len(group),
                "rows": rows,
                "largest_file_rows": max(run.rows_stored for run in summary.runs),
                "seconds": round(seconds, 3),
                "rows_before": rows_total - rows,
                "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
            }
        )
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "rows": rows_total,
        "seconds": round(elapsed, 2),
        "rss_before_import_mb": round(before / 2**20, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        "read_ahead_worker_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "read_ahead_cpu_seconds": round(children.ru_utime + children.ru_stime, 1),
        "calls": calls,
    }
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:3])
