"""``make bench-national`` (import step): the app's police.uk import of a stage's files, in a process of
its own so that its memory is its own.

``python -m benchmarks.national_import plan.json result.json``: ``plan.json`` lists groups of file
paths; each group is one call of :func:`saferhood.crime.importers.import_police` (a month of every
force's files, as a monthly refresh brings them). A thread samples the process's resident memory
every 20 ms, so each call's peak is known as well as the whole run's (``getrusage``); the forked
read-ahead worker's peak comes from ``RUSAGE_CHILDREN``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class PeakSampler(threading.Thread):
    """Highest resident memory seen since the last :meth:`take`."""

    def __init__(self, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.peak = rss_bytes()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak = max(self.peak, rss_bytes())

    def take(self) -> int:
        peak, self.peak = max(self.peak, rss_bytes()), rss_bytes()
        return peak


def main(plan_path: str, result_path: str) -> None:
    os.environ.setdefault("SAFERHOOD_PROFILE", "dev")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhood.settings")
    import django

    django.setup()
    from saferhood.crime.importers import import_police

    groups: list[list[str]] = json.loads(Path(plan_path).read_text())
    sampler = PeakSampler()
    sampler.start()
    before = sampler.take()
    calls = []
    rows_total = 0
    started = time.perf_counter()
    for group in groups:
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
                "peak_rss_mb": round(sampler.take() / 2**20, 1),
            }
        )
    elapsed = time.perf_counter() - started
    sampler.stopped.set()
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
