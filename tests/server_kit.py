"""Shared kit for tests that run Saferhood as real processes against a SQLite file of their own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SETTINGS_VARIABLES = {
    "SAFERHOOD_PROFILE",
    "SECRET_KEY",
    "DATABASE_URL",
    "SAFERHOOD_AUDIT_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "SAFERHOOD_ENV_FILE",
    "SAFERHOOD_STATIC_MANIFEST",
    "SAFERHOOD_CACHE",
}


def site_env(where: Path, **extra: str) -> dict[str, str]:
    """A dev-profile environment whose database, static files and cache all live under ``where``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env |= {
        "SAFERHOOD_ENV_FILE": "",
        "SAFERHOOD_PROFILE": "dev",
        "DATABASE_URL": f"sqlite:///{where / 'saferhood.sqlite3'}",
        "SAFERHOOD_STATIC_ROOT": str(where / "static"),
        "SAFERHOOD_CACHE_DIR": str(where / "cache"),
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def saferhood(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(VENV_BIN / "saferhood"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"saferhood {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body; a 4xx/5xx is an answer, not an exception."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> float:
    """Seconds until ``url`` answers 200; fails if ``process`` exits first or time runs out."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}) before {url} answered")
        try:
            if get(url)[0] == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer 200 within {seconds} s")


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return found
