"""Shared parts of the browser tests: a real ``runserver`` on its own SQLite file, Chromium, axe-core.

The server is a subprocess (not pytest-django's live_server, which would flush the session's
geography); each test module builds its own database with ``manage.py`` commands, as a user would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def server_env(db: Path, *, debug: bool, **extra: str) -> dict[str, str]:
    """The environment of a test server: dev profile, its own SQLite file."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    if not (ROOT / "saferhood" / "static" / "govuk" / "govuk-frontend.min.css").exists():
        pytest.fail("GOV.UK Frontend is not in saferhood/static/govuk/: run `make install`")
    return {
        **os.environ,
        "SAFERHOOD_PROFILE": "dev",
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "1" if debug else "0",
        # runserver --insecure serves the sources; the hashed copies (collectstatic) are for
        # `saferhood serve`, whose own tests run collectstatic (tests/test_serve.py).
        "SAFERHOOD_STATIC_MANIFEST": "0",
        **extra,
    }


@contextmanager
def running_server(env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """``runserver`` on a free port until the block ends; yields its base URL.

    With DEBUG off, ``--insecure`` still serves the static files, so error pages are production's.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (log_dir / "runserver.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/sign-in/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"runserver did not start; see {log.name}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def csp_checked_page(browser, base: str) -> Iterator[object]:
    """A fresh browser context's page on ``base``; when the block ends, fails if any page broke
    its own Content-Security-Policy (Chromium reports each refusal on the console)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        yield page
    finally:
        context.close()
    assert violations == [], f"the pages broke their own Content-Security-Policy: {violations}"


def assert_accessible(page) -> None:
    """axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on the page as shown.

    axe is evaluated through the browser's debugging protocol, which the page's Content Security
    Policy does not govern: the pages are checked with their CSP in force.
    """
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci)")
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert problems == [], "\n".join(problems)


def sign_in(page, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
