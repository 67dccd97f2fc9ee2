"""What several server processes share: the SQLite file (two writers at once) and the rate limits.

gunicorn runs several worker processes and the job worker writes beside them, so each check here
runs two real processes against one SQLite file and one cache.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.server_kit import ROOT, VENV_BIN, saferhood, site_env

pytestmark = pytest.mark.sqlite_file

# Read, then write, in one transaction, 150 times: a page that looks before it saves. Without
# IMMEDIATE transactions SQLite refuses the upgrade from reading to writing with "database is
# locked" as soon as the other process has written since the read, whatever the busy timeout.
WRITER = """
import sys, time
from pathlib import Path
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.005)
for i in range(150):
    with transaction.atomic():
        Session.objects.filter(session_key__startswith=sys.argv[2]).count()
        Session.objects.create(session_key=f"{sys.argv[2]}{i:030d}", session_data="x", expire_date=timezone.now())
print("done")
"""

API_CALLS = """
import json, sys  # the statuses on the last line (the request log writes its own lines before)
from django.test import Client
client = Client()
print(json.dumps([client.get("/api/v1/areas/E08000028/profile").status_code for _ in range(int(sys.argv[1]))]))
"""


def _python(env: dict[str, str], code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "python"), "-c", "import django; django.setup()\n" + code, *args],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "saferhood.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    where = tmp_path_factory.mktemp("shared")
    env = site_env(where)
    saferhood(env, "migrate", "--no-input", "-v0")
    return env


def test_two_processes_writing_at_once_both_succeed(site: dict[str, str]) -> None:
    start = str(time.time() + 3)  # both start writing at the same instant, after Django has loaded
    writers = [_python(site, WRITER, start, prefix) for prefix in ("a", "b")]
    results = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0 and out.strip() == "done", err[-2000:]
    count = _python(
        site, "from django.contrib.sessions.models import Session; print(Session.objects.count())"
    )
    assert count.communicate(timeout=120)[0].strip() == "300"


@pytest.mark.parametrize(
    ("backend", "shared"),
    [("file", True), ("database", True), ("memory", False)],
)
def test_the_api_rate_limit_is_shared_by_processes(
    site: dict[str, str], tmp_path: Path, backend: str, shared: bool
) -> None:
    """5 requests a minute: 3 from one process, then 3 from another; the 6th is refused if shared."""
    env = site | {
        "SAFERHOOD_CACHE": backend,
        "SAFERHOOD_CACHE_DIR": str(tmp_path),
        "SAFERHOOD_API_RATE_ANON": "5/min",
    }
    saferhood(env, "createcachetable")
    if backend == "database":
        # A table of its own per run: empty buckets, whatever an earlier parameter left.
        saferhood(env, "shell", "--no-imports", "-c", "from django.core.cache import cache; cache.clear()")
    first, second = (
        json.loads(_python(env, API_CALLS, "3").communicate(timeout=120)[0].splitlines()[-1])
        for _ in range(2)
    )
    assert first == [404, 404, 404]  # allowed: no geography in this database
    # "memory" is one cache per process: documented as for a single process only.
    assert second == ([404, 404, 429] if shared else [404, 404, 404])
