"""kill -9 the worker mid-import: nothing partial is stored, the job shows failed, and the next
worker retries it whole. Real processes on a real SQLite file, as `make run` runs them, and (in
the PostgreSQL pass) on a fresh PostgreSQL database of the test server."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from saferhood.jobs.reaper import WORKER_DIED
from saferhood.jobs.tests.sites import ENGINES, ROOT, real_site, sql

STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
FIRST = STREET / "2022-01/2022-01-btp-street.csv"
REST = [STREET / f"2022-{m:02d}" for m in range(2, 7)]

START = """
import json, django; django.setup()
import saferhood.jobs.tests.import_kind
from saferhood.jobs.services import start_job
job = start_job("test_import_whole", params={params!r}, label="Demo street files")
print("RESULT" + json.dumps(job.pk))
"""
# Another process reading through the app while the worker's transaction is open.
PROBE = """
import json, django; django.setup()
from saferhood.crime.models import CrimeRecord, ImportRun
from saferhood.jobs.models import Job
jobs = [dict(pk=j.pk, state=j.state, progress=j.current_progress(), error=j.error, summary=j.summary,
             attempt=j.attempt, automatic=j.automatic_retry, retry_of=j.retry_of_id) for j in Job.objects.order_by("pk")]
print("RESULT" + json.dumps(dict(jobs=jobs, records=CrimeRecord.objects.count(), runs=ImportRun.objects.count())))
"""
WORKER = (
    "import django; django.setup(); import saferhood.jobs.tests.import_kind\n"
    "from django.core.management import call_command; call_command('worker', interval=0.2)\n"
)


def _python(env: dict[str, str], script: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.split("RESULT", 1)[1])


def _wait_for(what: str, check, timeout: float = 120.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(paths: list[Path]) -> int:
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.glob("*.csv")))]
    total = 0
    for f in files:
        with f.open(newline="", encoding="utf-8") as handle:
            total += sum(1 for _ in csv.DictReader(handle))
    return total


@pytest.fixture(params=ENGINES)
def site(request, tmp_path) -> Iterator[dict[str, str]]:
    with real_site(request.param, tmp_path) as env:
        yield env


def _job_states(env: dict[str, str]) -> list[tuple[int, str]]:
    return sql(env, "SELECT id, state FROM jobs_job ORDER BY id")


def _progress_file(env: dict[str, str], job_id: int) -> dict | None:
    try:
        return json.loads((Path(env["SAFERHOOD_JOBS_DIR"]) / "progress" / f"{job_id}.json").read_text())
    except (OSError, ValueError):
        return None


def test_a_worker_killed_mid_import_stores_nothing_and_the_next_worker_retries_it_whole(
    site, tmp_path
) -> None:
    gate = tmp_path / "go"
    params = {"paths": [str(FIRST), *map(str, REST)], "gate": str(gate)}
    job_id = _python(site, START.format(params=params))
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=site, start_new_session=True)
    try:
        _wait_for("the first file written inside the open transaction", lambda: _progress_file(site, job_id))

        # Another process sees the job running with its progress, and none of its rows.
        during = _python(site, PROBE)
        [job] = during["jobs"]
        assert job["state"] == "running"
        assert job["progress"]["done"] == 1 and job["progress"]["total"] == 2
        assert job["progress"]["message"].endswith("rows written, transaction open")
        assert during["records"] == 0 and during["runs"] == 0

        gate.touch()  # let the import go on with the rest, then kill it mid-way
        time.sleep(0.5)
        assert _progress_file(site, job_id)["done"] == 1, (
            "the import committed before the kill: give it more files"
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()

    after_kill = _python(site, PROBE)
    assert after_kill["records"] == 0 and after_kill["runs"] == 0  # nothing half-stored
    assert after_kill["jobs"][0]["state"] == "running"  # nobody has noticed yet

    # The next worker notices at once (its predecessor's process is gone) and retries it whole.
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=site, start_new_session=True)
    try:
        _wait_for(
            "the automatic retry to finish",
            lambda: [s for _, s in _job_states(site)] in (["failed", "succeeded"], ["failed", "failed"]),
        )
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=60)

    final = _python(site, PROBE)
    first, retry = final["jobs"]
    assert first["state"] == "failed" and first["error"] == WORKER_DIED
    assert retry["state"] == "succeeded", retry["error"]
    assert (retry["attempt"], retry["automatic"], retry["retry_of"]) == (2, True, first["pk"])
    expected = _rows([FIRST, *REST])
    assert retry["summary"] == f"{expected} records stored"
    assert final["records"] == expected  # whole: every row once
    query = "SELECT status FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
    statuses = [status for (status,) in sql(site, query)]
    [(beats,)] = sql(site, "SELECT COUNT(*) FROM jobs_workerheartbeat")
    assert statuses == ["FAILED", "SUCCESSFUL"]  # the killed worker's queue row is not left running
    # The stopped worker removed its own beat; the reaper forgets the killed one's (on SQLite that
    # write can wait for the retry's import to commit, so it may come at a later look).
    assert beats <= 1
