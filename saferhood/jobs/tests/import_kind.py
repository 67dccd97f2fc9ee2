"""A TEST-ONLY job kind: a real police.uk import of bundled demo files as ONE transaction.

The real kind (crime/tasks.py) belongs to the crime app; this one exists so the kill -9 test can
hold the transaction open at a known point: after the first file's rows are written (not yet
committed) it reports progress, waits for the test's go-ahead file, then imports the rest.
Imported by the worker process the test starts (``python -c 'import …; call_command("worker")'``).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.db import transaction

from saferhood.jobs.context import JobContext
from saferhood.jobs.registry import job_kind


@job_kind("test_import_whole", title="Import police.uk files in one transaction (test)", retry_safe=True)
def import_whole(ctx: JobContext, *, paths: list[str], gate: str = "") -> str:
    from saferhood.crime.importers import import_police

    with transaction.atomic():
        first = import_police([Path(paths[0])], progress=False)
        ctx.progress(1, 2, f"{first.rows_stored} rows written, transaction open")
        deadline = time.monotonic() + 120
        while gate and not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        rest = import_police([Path(p) for p in paths[1:]], progress=False)
    ctx.progress(2, 2, "committed")
    return f"{first.rows_stored + rest.rows_stored} records stored"
