"""A tasking chair runs Town and Borough Tasking in Debian's Chromium: arranges the meeting, raises
a problem, agrees an action, escalates it, reads and issues the pack, records a closed-part case
that another agency's officer cannot open. axe-core checks every page; the CSP is enforced."""

from __future__ import annotations

import datetime
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    ROOT,
    SCREENSHOTS,
    assert_accessible,
    chromium,
    manage,
    running_server,
    server_env,
    sign_in,
)

pytestmark = pytest.mark.browser

COUNTS = ROOT / "demo" / "police-uk-api-wm-lsoa21-monthly-counts-2023-2026" / "birmingham"
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
PASSWORD = "tasking-test-password-2026"
SETUP = f"""
from django.contrib.auth import get_user_model
from saferhood.accounts.models import Agency, Membership, Role
def person(name, agency, role):
    user = get_user_model().objects.create_user(name, password={PASSWORD!r})
    Membership.objects.create(user=user, agency=Agency.objects.get(slug=agency)).roles.set([Role.objects.get(code=role)])
person("chair", "police", "tasking_chair")
person("asbo", "council-asb", "officer")
person("pc", "police", "officer")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = server_env(tmp_path_factory.mktemp("tasking-db") / "saferhood.sqlite3", debug=False)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import", "geography")
    manage(env, "import", "counts", "--no-progress", "--source", "police.uk API counts (UK Crime Explorer)",
           *[str(COUNTS / f"{m}.csv") for m in MONTHS])  # fmt: skip
    manage(env, "shell", "-c", SETUP)
    with running_server(env, tmp_path_factory.mktemp("tasking-log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str):
    with chromium() as browser:
        yield browser


@pytest.fixture
def new_page(browser, server: str):
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=server, bypass_csp=True,
                                      accept_downloads=True)  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.csp_errors = []
        page.on(
            "console",
            lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()


def test_a_chair_runs_town_and_borough_tasking(new_page, server: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = new_page()
    sign_in(page, "chair", PASSWORD)
    page.get_by_role("link", name="Tasking", exact=True).first.click()
    page.wait_for_url("**/tasking/")

    # Arrange Tipton's Town Tasking, with the ASB officer and the chair in the closed part.
    form = page.get_by_test_id("meeting-form")
    form.get_by_label("Meeting").select_option("town")
    form.get_by_label("Town (or the borough, for Borough Tasking)").select_option(label="Tipton")
    form.get_by_label("Date").fill("2026-04-14")
    form.get_by_label("Chairs").fill("Tipton ASB lead and PS Smith")
    form.get_by_label("Police", exact=True).check()
    form.get_by_label("Council ASB team").check()
    form.get_by_label("chair", exact=True).check()
    form.get_by_label("asbo", exact=True).check()
    form.get_by_role("button", name="Arrange meeting").click()
    page.wait_for_url("**/tasking/meetings/*/")
    meeting_url = page.url
    meeting_id = int(meeting_url.rstrip("/").split("/")[-1])
    assert page.get_by_test_id("meeting-title").inner_text() == "Tipton, 14 April 2026"
    assert_accessible(page)

    # Raise a problem, with a GOV.UK error first for the missing description.
    problem_form = page.get_by_test_id("problem-form")
    problem_form.get_by_label("Problem").fill("Nuisance bikes on the canal towpath")
    problem_form.get_by_label("Place").fill("Tipton Green canal towpath")
    problem_form.get_by_label("Ward").select_option(label="Tipton Green")
    problem_form.get_by_label("Theme").select_option("nuisance-bikes")
    problem_form.get_by_label("Lead agency").select_option(label="Council ASB team")
    problem_form.get_by_role("button", name="Raise problem").click()
    assert page.get_by_test_id("error-summary").is_visible()
    assert (
        page.get_by_test_id("problem-form").get_by_label("Place").input_value()
        == "Tipton Green canal towpath"
    )
    page.get_by_test_id("problem-form").get_by_label("What is happening").fill("Off-road bikes every evening")
    page.get_by_test_id("problem-form").get_by_role("button", name="Raise problem").click()
    page.wait_for_url("**/tasking/problems/*/")
    problem_url = page.url

    # Agree an action already past its date: it shows as overdue on the meeting's agenda.
    action = page.get_by_test_id("action-form")
    action.get_by_label("Action").fill("Patrols at dusk")
    action.get_by_label("Agency").select_option(label="Police")
    action.get_by_label("Person responsible").fill("PC Jones")
    action.get_by_label("Due").fill((datetime.date.today() - datetime.timedelta(days=3)).isoformat())
    action.get_by_role("button", name="Add action").click()
    page.wait_for_url(problem_url)
    assert page.get_by_test_id("overdue").is_visible()
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "tasking-problem.png", full_page=True)

    # Escalate to Borough Tasking, then see it there with the reason.
    page.get_by_test_id("escalate-form").get_by_label("Why it moves").fill(
        "Crosses into Wednesbury; needs the police lead"
    )
    page.get_by_role("button", name="Escalate to Borough Tasking").click()
    page.wait_for_url(problem_url)
    assert page.get_by_test_id("level").inner_text() == "Borough Tasking"
    page.goto("/tasking/")
    form = page.get_by_test_id("meeting-form")
    form.get_by_label("Meeting").select_option("borough")
    form.get_by_label("Town (or the borough, for Borough Tasking)").select_option(label="Sandwell (borough)")
    form.get_by_label("Date").fill("2026-04-21")
    form.get_by_label("Chairs").fill("Chief Inspector Rao")
    form.get_by_role("button", name="Arrange meeting").click()
    page.wait_for_url("**/tasking/meetings/*/")
    escalated = page.get_by_test_id("escalated").inner_text()
    assert "Nuisance bikes on the canal towpath" in escalated and "Crosses into Wednesbury" in escalated
    assert_accessible(page)

    # The pack: its figures are the API's; issuing freezes them; the PDF downloads.
    page.goto(f"/tasking/meetings/{meeting_id}/pack/")
    with urllib.request.urlopen(f"{server}/api/v1/areas/tipton/profile?from=2026-01&to=2026-03") as r:
        profile = json.load(r)
    assert page.get_by_test_id("pack-crimes").inner_text() == f"{profile['crimes']:,}"
    assert page.get_by_test_id("pack-asb").inner_text() == f"{profile['asb']:,}"
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "tasking-pack.png", full_page=True)
    page.get_by_label("Analyst's commentary (optional)").fill("ASB is low; drugs alerts in two wards.")
    page.get_by_role("button", name="Save commentary").click()
    page.get_by_test_id("issue-pack").click()
    assert "ASB is low" in page.get_by_test_id("pack-commentary").inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("pack-pdf").click()
    assert Path(info.value.path()).read_bytes()[:5] == b"%PDF-"

    # The closed part: recorded by a member, invisible to another police officer.
    page.goto(f"/tasking/meetings/{meeting_id}/closed/")
    page.get_by_label("Person discussed").fill("Jane Doe")
    page.get_by_label("Summary").fill("Repeat victim of harassment")
    page.get_by_role("button", name="Record case").click()
    assert "Jane Doe" in page.content()
    assert_accessible(page)
    assert page.csp_errors == []

    other = new_page()
    sign_in(other, "pc", PASSWORD)
    response = other.goto(f"/tasking/meetings/{meeting_id}/closed/")
    assert response.status == 404 and "Jane Doe" not in other.content()
    other.goto(meeting_url)
    assert other.get_by_test_id("closed-link").count() == 0
    assert other.csp_errors == []
