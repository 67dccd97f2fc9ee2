"""The load-balancer probes: /healthz while the process answers, /readyz only while the database does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_anyone_without_a_session(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]  # a probe's answer is never cached
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ready_when_the_database_answers_and_a_worker_beats(db, client, settings, tmp_path) -> None:
    from django.utils import timezone

    from saferhood.jobs.liveness import beat_file

    settings.SAFERHOOD_JOBS_DIR = tmp_path
    response = client.get("/readyz")
    assert response.status_code == 503  # no job worker: imports and the schedule would never run
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "worker": "no worker running (start `saferhood worker`)"},
    }
    beat_file("worker-1", timezone.now())  # as `saferhood worker` does every two seconds
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "worker": "ok"}}


def test_readyz_is_503_and_says_which_check_failed_when_the_database_is_unreachable() -> None:
    # A real server process whose database (PostgreSQL on a closed port) cannot be reached.
    probe = (
        "import django, json; django.setup()\n"
        "from django.test.utils import setup_test_environment; setup_test_environment()\n"
        "from django.test import Client\n"
        "r = Client().get('/readyz'); print(json.dumps([r.status_code, r.json()]))\n"
    )
    env = {
        **os.environ,
        "SAFERHOOD_ENV_FILE": "",
        "SAFERHOOD_PROFILE": "dev",
        "DJANGO_SETTINGS_MODULE": "saferhood.settings",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nowhere",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["database"].startswith("unreachable")
    assert "nobody" not in result.stdout  # the connection details stay out of the answer
