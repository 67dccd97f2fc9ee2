"""``saferhood serve``: gunicorn and the job worker as real processes, as ``make run`` starts them.

One server is started on a free port against a migrated SQLite file with collectstatic's output,
and checked as a browser and an operator would see it: the probe answers, static files come
compressed and cached for a year under hashed names, pages keep the strict CSP, every request is
one JSON log line, and Ctrl-C leaves no process behind. A second server checks that when the
worker dies the whole of ``serve`` stops with an error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.server_kit import ROOT, VENV_BIN, alive, children, free_port, get, saferhood, site_env, wait_for

pytestmark = pytest.mark.sqlite_file


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    where = tmp_path_factory.mktemp("serve")
    # The test itself is the trusted proxy whose X-Request-ID the log keeps.
    env = site_env(where, SAFERHOOD_API_RATE_ANON="4/min", SAFERHOOD_TRUSTED_PROXIES="127.0.0.1")
    saferhood(env, "migrate", "--no-input", "-v0")
    saferhood(env | {"SAFERHOOD_STATIC_MANIFEST": "1"}, "collectstatic", "--no-input", "-v0")
    return env


def _start(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "saferhood"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _pids(serve: subprocess.Popen) -> dict[str, int]:
    """The children serve announced ("Started the web server (gunicorn): pid N")."""
    found: dict[str, int] = {}
    while len(found) < 2:
        line = serve.stdout.readline()
        assert line, "serve ended before starting both children"
        match = re.search(r"Started the (.+): pid (\d+)", line)
        if match:
            found[match[1]] = int(match[2])
    return found


@pytest.fixture(scope="module")
def server(site: dict[str, str]):
    port = free_port()
    serve = _start(site, port)
    pids = _pids(serve)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/healthz", 60, serve)
    yield {"serve": serve, "base": base, "pids": pids}
    if serve.poll() is None:
        serve.kill()
        for pid in [*pids.values(), *children(pids["web server (gunicorn)"])]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_static_files_are_compressed_and_cached_for_a_year_under_hashed_names(server) -> None:
    status, _, page = get(f"{server['base']}/sign-in/")
    assert status == 200
    css = re.search(rb'href="(/static/govuk/govuk-frontend\.min\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page links GOV.UK's CSS under its hashed name"
    for encoding in ("gzip", "br"):
        status, headers, body = get(server["base"] + css[1].decode(), {"Accept-Encoding": encoding})
        assert status == 200 and headers["content-encoding"] == encoding
        assert "immutable" in headers["cache-control"]
        assert int(re.search(r"max-age=(\d+)", headers["cache-control"])[1]) >= 365 * 24 * 3600
        assert len(body) < 60_000  # the CSS is ~130 kB uncompressed
    status, headers, _ = get(f"{server['base']}/static/govuk/govuk-frontend.min.css")  # unhashed name
    assert status == 200 and "immutable" not in headers["cache-control"]


def test_pages_keep_the_strict_content_security_policy(server) -> None:
    status, headers, _ = get(f"{server['base']}/sign-in/")
    assert status == 200
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe-inline" not in csp


def test_the_rate_limit_is_one_for_all_gunicorn_workers(server) -> None:
    """4/min for anonymous callers: the 5th to 8th requests are refused, whichever worker answers."""
    statuses = [get(f"{server['base']}/api/v1/areas/E08000028/profile")[0] for _ in range(8)]
    assert statuses[:4] == [404] * 4  # allowed (no geography loaded in this database)
    assert statuses[4:] == [429] * 4


def test_every_request_is_one_json_line_without_query_values(server) -> None:
    get(f"{server['base']}/readyz?name=Jane+Smith&postcode=B70", {"X-Request-ID": "probe-request-0001"})
    deadline = time.monotonic() + 10
    line = None
    while time.monotonic() < deadline and line is None:
        text = server["serve"].stdout.readline()
        if "probe-request-0001" in text:
            line = json.loads(text)
    assert line is not None, "no log line for the request"
    assert line["method"] == "GET" and line["path"] == "/readyz" and line["status"] == 200
    assert line["query_keys"] == ["name", "postcode"]
    assert "Jane" not in json.dumps(line) and "B70" not in json.dumps(line)
    assert line["user"] == "anonymous" and line["duration_ms"] >= 0


def test_ctrl_c_stops_the_web_server_its_workers_and_the_job_worker(server) -> None:
    serve, pids = server["serve"], server["pids"]
    web_workers = children(pids["web server (gunicorn)"])
    assert len(web_workers) == 2, "gunicorn runs the two workers asked for"
    everyone = [*pids.values(), *web_workers]
    assert all(alive(pid) for pid in everyone)
    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in everyone if alive(pid)] == []


def test_when_the_job_worker_dies_serve_stops_the_web_server_and_fails(site: dict[str, str]) -> None:
    port = free_port()
    serve = _start(site, port)
    pids = _pids(serve)
    wait_for(f"http://127.0.0.1:{port}/healthz", 60, serve)

    os.kill(pids["job worker"], signal.SIGKILL)
    assert serve.wait(timeout=60) == 1
    assert "job worker stopped by itself" in serve.stderr.read()
    time.sleep(0.5)
    assert not alive(pids["web server (gunicorn)"])


def test_serve_refuses_to_start_without_collected_static_files(tmp_path: Path) -> None:
    env = site_env(tmp_path)
    done = subprocess.run(
        [str(VENV_BIN / "saferhood"), "serve", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "collectstatic" in done.stderr


def test_sigterm_stops_both_as_systemd_or_docker_stop_it(site: dict[str, str]) -> None:
    port = free_port()
    serve = _start(site, port, "--workers", "1")
    pids = _pids(serve)
    wait_for(f"http://127.0.0.1:{port}/healthz", 60, serve)
    everyone = [*pids.values(), *children(pids["web server (gunicorn)"])]
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in everyone if alive(pid)] == []
