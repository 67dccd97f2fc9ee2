"""Several workers look at the schedule at the same moment: each period is queued exactly once.
Real processes racing on one database (an SQLite file; a PostgreSQL database in its pass)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from saferhood.jobs.tests.sites import ENGINES, ROOT, real_site, sql

# One "worker": set up, wait for the start line, then ask the schedule 25 times as fast as it can.
LOOKER = """
import json, sys, time, django; django.setup()
from pathlib import Path
from saferhood.jobs.schedule import enqueue_due
gate = Path(sys.argv[1])
while not gate.exists():
    time.sleep(0.005)
print("RESULT" + json.dumps(sum(len(enqueue_due()) for _ in range(25))))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_four_workers_asking_at_once_queue_the_daily_run_once(engine, tmp_path) -> None:
    with real_site(engine, tmp_path, geography=False, SAFERHOOD_SCHEDULE='{"retention": "daily"}') as env:
        gate = tmp_path / "go"
        lookers = [
            subprocess.Popen(
                [sys.executable, "-c", LOOKER, str(gate)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        time.sleep(3)  # let every process finish starting Django
        gate.touch()
        queued = []
        for looker in lookers:
            out, err = looker.communicate(timeout=120)
            assert looker.returncode == 0, err
            queued.append(json.loads(out.split("RESULT", 1)[1]))
        assert sum(queued) == 1, queued
        assert sql(env, "SELECT kind, started_by_id FROM jobs_job") == [("retention", None)]
        assert len(sql(env, "SELECT id FROM django_tasks_database_dbtaskresult")) == 1
