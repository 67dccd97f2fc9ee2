"""Uploading data in Debian's Chromium: an analyst uploads police.uk's archive zip, a real worker
imports it while the job page follows it to the end, and the summary's figures are the files'; a
corrupted file is refused whole with its line and nothing stored. axe-core; strict CSP."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from harness import (
    ROOT,
    SCREENSHOTS,
    assert_accessible,
    chromium,
    csp_checked_page,
    manage,
    running_server,
    server_env,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "upload-test-password-2026"
STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
MONTHS = ["2022-01", "2022-02", "2022-03"]
SETUP = f"""
from django.contrib.auth import get_user_model
from saferhood.accounts.models import Agency, Membership, Role
user = get_user_model().objects.create_user("ann", password={PASSWORD!r})
Membership.objects.create(user=user, agency=Agency.objects.get(slug="csp-team")).roles.set([Role.objects.get(code="analyst")])
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict, Path, Path]]:
    folder = tmp_path_factory.mktemp("upload-db")
    db = folder / "saferhood.sqlite3"
    env = server_env(
        db,
        debug=False,
        SAFERHOOD_JOBS_DIR=str(folder / "jobs"),
        SAFERHOOD_UPLOAD_DIR=str(folder / "uploads"),
        SAFERHOOD_SCHEDULE="{}",
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import", "geography")
    manage(env, "shell", "-c", SETUP)
    with running_server(env, tmp_path_factory.mktemp("upload-log")) as base:
        yield base, env, db, folder


@pytest.fixture(scope="module")
def worker(server) -> Iterator[None]:
    """`saferhood worker` running beside the server, as `make run` starts it."""
    _, env, _, folder = server
    log = (folder / "worker.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    yield
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    base = server[0]
    with csp_checked_page(browser, base) as page:
        page.goto("/sign-in/?next=/data/upload/")
        page.get_by_label("Username").fill("ann")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        yield page


def runs(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM crime_importrun").fetchone()[0]


def test_an_analyst_uploads_the_archive_zip_and_watches_it_import(page, server, worker, tmp_path) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    _, _, db, _ = server
    archive = tmp_path / "police-uk-2022-q1.zip"
    files = [STREET / m / f"{m}-{force}-street.csv" for m in MONTHS for force in ("staffordshire", "btp")]
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f"{f.parent.name}/{f.name}")  # the archive's own layout: one folder per month
    rows = sum(len(pd.read_csv(f, dtype=str)) for f in files)  # independently, from the files

    page.get_by_test_id("nav-upload").click()
    expect(page.get_by_role("heading", name="Upload data")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("police.uk files").check()
    page.get_by_test_id("upload-files").set_input_files(archive)
    page.get_by_test_id("upload-submit").click()

    expect(page.get_by_test_id("message")).to_contain_text("Uploaded 1 file(s)")
    expect(page.get_by_test_id("job-label")).to_contain_text("police.uk upload: police-uk-2022-q1.zip")
    # The page follows the job by itself while the worker imports it.
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=120_000)
    result = page.get_by_test_id("job-result").inner_text()
    assert f"Rows read:                  {rows:,}" in result
    assert f"Files read:                 {len(files)}" in result
    assert runs(db) == len(files)
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "upload-succeeded.png", full_page=True)


def test_a_corrupted_upload_is_refused_whole_with_its_line(page, server, worker, tmp_path) -> None:
    _, _, db, _ = server
    before = runs(db)
    source = STREET / "2022-04" / "2022-04-staffordshire-street.csv"
    lines = source.read_bytes().split(b"\n")
    header = lines[0].split(b",")
    fields = lines[19].split(b",")
    fields[header.index(b"Month")] = b"April 2022"
    lines[19] = b",".join(fields)
    bad = tmp_path / source.name
    bad.write_bytes(b"\n".join(lines))

    page.goto("/data/upload/")
    page.get_by_label("police.uk files").check()
    page.get_by_test_id("upload-files").set_input_files([STREET / "2022-04" / "2022-04-btp-street.csv", bad])
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("job-state")).to_have_text("Failed", timeout=120_000)
    error = page.get_by_test_id("job-error").inner_text()
    assert error.startswith("2022-04-staffordshire-street.csv:20: column 'Month'")
    assert "Nothing from this file nor from the other 1 file(s)" in error
    assert runs(db) == before  # not even the good file of the same upload


def test_a_file_police_uk_would_not_name_so_is_refused_before_upload_is_kept(page, tmp_path) -> None:
    odd = tmp_path / "crimes.csv"
    odd.write_text("a,b\n1,2\n")
    page.goto("/data/upload/")
    page.get_by_label("police.uk files").check()
    page.get_by_test_id("upload-files").set_input_files(odd)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text(
        "crimes.csv is not named as police.uk names its files"
    )
    assert_accessible(page)
