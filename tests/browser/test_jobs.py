"""The Jobs page in Debian's Chromium: list → failed job → retry → banner, then the page follows
the retry to its end by itself (a real `saferhood worker --batch` runs it), under the strict CSP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

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

PASSWORD = "jobs-test-password-2026"

SETUP = f"""
from django.contrib.auth import get_user_model
from django.utils import timezone
from saferhood.accounts.models import Agency, Membership, Role
from saferhood.jobs.models import Job
User = get_user_model()
for name, role in (("ann", "analyst"), ("olly", "officer")):
    user = User.objects.create_user(name, password={PASSWORD!r})
    membership = Membership.objects.create(user=user, agency=Agency.objects.get(slug="csp-team"))
    membership.roles.set([Role.objects.get(code=role)])
now = timezone.now()
job = Job.objects.create(kind="retention", label="Apply retention (scheduled)", state="failed",
                         created_at=now, started_at=now, finished_at=now,
                         error="The worker stopped while running this job; nothing from it was stored.")
print(job.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, dict]]:
    folder = tmp_path_factory.mktemp("jobs-db")
    env = server_env(
        folder / "saferhood.sqlite3",
        debug=False,
        SAFERHOOD_JOBS_DIR=str(folder / "jobs"),
        SAFERHOOD_SCHEDULE="{}",
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    job_id = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    with running_server(env, tmp_path_factory.mktemp("jobs-log")) as base:
        yield base, job_id, env


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    base, _, _ = server
    with csp_checked_page(browser, base) as page:
        yield page


def sign_in(page, username: str, next_url: str) -> None:
    page.goto(f"/sign-in/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_an_analyst_retries_a_failed_job_and_watches_it_finish(page, server) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    _, job_id, env = server
    sign_in(page, "ann", "/tasking/")
    page.get_by_test_id("nav-jobs").click()
    row = page.locator(f'tr[data-job="{job_id}"]')
    expect(row).to_contain_text("Failed")
    assert_accessible(page)
    row.get_by_role("link", name="Apply retention (scheduled)").click()

    expect(page.get_by_test_id("job-error")).to_have_text(
        "The worker stopped while running this job; nothing from it was stored."
    )
    assert_accessible(page)
    page.get_by_test_id("retry").click()
    expect(page.get_by_role("heading", name="Retry Apply retention (scheduled)?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, retry this job").click()

    expect(page.get_by_test_id("message")).to_contain_text("Apply retention (scheduled): attempt 2 queued.")
    expect(page.get_by_test_id("job-state")).to_have_text("Queued")
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "jobs-retry-queued.png", full_page=True)

    # A worker runs it; the open page updates itself (no reload by the user).
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expect(page.get_by_test_id("job-state")).to_have_text("Succeeded", timeout=15000)
    expect(page.get_by_test_id("job-result")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "jobs-retry-succeeded.png", full_page=True)


def test_an_officer_is_refused_and_has_no_jobs_link(page) -> None:
    sign_in(page, "olly", "/tasking/")
    assert page.get_by_test_id("nav-jobs").count() == 0
    assert page.goto("/jobs/").status == 403
    expect(page.get_by_test_id("refusal")).to_contain_text("Only analysts and admins can see background jobs")
