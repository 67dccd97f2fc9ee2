"""A month of tasking in Debian's Chromium, as the issue walks it: Tipton's pack from the bundled data
-> commentary -> the meeting raises a problem from a repeat location in the pack, agrees actions for
two agencies, records a closed-part case -> next month the actions roll over, one is completed, the
problem escalates -> Borough Tasking's pack shows it. A housing officer outside the closed part
cannot see it by page, API or search, and the attempt is audited. CCTV requests rank by evidence
and a finished deployment shows its before/after counts. axe-core checks the pages; CSP enforced."""

from __future__ import annotations

import json
import re
import sqlite3
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
API_JSON = ROOT / "demo" / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
STREET = ROOT / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
PASSWORD = "tasking-test-password-2026"
SETUP = f"""
import datetime
from django.contrib.auth import get_user_model
from saferhood.accounts.models import Agency, Membership, Role
from saferhood.areas.models import Area
from saferhood.cctv import services as cctv
def person(name, agency, role):
    user = get_user_model().objects.create_user(name, password={PASSWORD!r})
    Membership.objects.create(user=user, agency=Agency.objects.get(slug=agency)).roles.set([Role.objects.get(code=role)])
    return user
chair = person("chair", "police", "tasking_chair")
person("asbo", "council-asb", "officer")
person("hal", "housing", "officer")
stafford = Area.objects.get(code="E07000197")
police = Agency.objects.get(slug="police")
for place, lon, lat in [("Weston Road, Stafford", -2.0803, 52.8130), ("Market Square, Stafford", -2.1168, 52.8066)]:
    cctv.request_deployment(place_name=place, longitude=lon, latitude=lat, requesting_agency=police,
                            reason="Repeat incidents", by=chair, area=stafford)
camera = cctv.add_camera("DC-01", "Deployable camera 1", by=chair)
done = cctv.deploy_camera(cctv.Place("Gaol Square, Stafford", -2.1135, 52.8083), camera, datetime.date(2022, 5, 1),
                          datetime.date(2022, 6, 1), chair, area=stafford)
cctv.end_deployment(done, datetime.date(2022, 7, 31), chair)
print(done.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    db = tmp_path_factory.mktemp("tasking-db") / "saferhood.sqlite3"
    env = server_env(db, debug=False)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import", "geography")
    manage(env, "import", "police", "--no-progress", str(API_JSON),
           *[str(p) for p in sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv"))])  # fmt: skip
    manage(env, "import", "counts", "--no-progress", "--source", "police.uk API counts (UK Crime Explorer)",
           *[str(COUNTS / f"{m}.csv") for m in MONTHS])  # fmt: skip
    deployment = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    with running_server(env, tmp_path_factory.mktemp("tasking-log")) as base:
        yield base, db, deployment


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as browser:
        yield browser


@pytest.fixture
def new_page(browser, server):
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=server[0],
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


def api(server: str, path: str) -> dict:
    with urllib.request.urlopen(f"{server}/api/v1/{path}", timeout=30) as response:
        return json.load(response)


def arrange(page, kind: str, area: str, on: str, chairs: str, *, agencies=(), members=()) -> int:
    page.goto("/tasking/")
    form = page.get_by_test_id("meeting-form")
    form.get_by_label("Meeting").select_option(kind)
    form.get_by_label("Town (or the borough, for Borough Tasking)").select_option(label=area)
    form.get_by_label("Date").fill(on)
    form.get_by_label("Chairs").fill(chairs)
    for name in agencies:
        form.get_by_label(name, exact=True).check()
    for name in members:
        form.get_by_label(name, exact=True).check()
    form.get_by_role("button", name="Arrange meeting").click()
    page.wait_for_url("**/tasking/meetings/*/")
    return int(page.url.rstrip("/").split("/")[-1])


def add_action(page, what: str, agency: str, person: str, due: str) -> None:
    form = page.get_by_test_id("action-form")
    form.get_by_label("Action").fill(what)
    form.get_by_label("Agency").select_option(label=agency)
    form.get_by_label("Person responsible").fill(person)
    form.get_by_label("Due").fill(due)
    form.get_by_role("button", name="Add action").click()
    page.wait_for_load_state()


def test_a_month_of_tasking(new_page, server) -> None:
    base, db, _ = server
    SCREENSHOTS.mkdir(exist_ok=True)
    page = new_page()
    sign_in(page, "chair", PASSWORD)
    page.get_by_role("link", name="Tasking", exact=True).first.click()
    page.wait_for_url("**/tasking/")

    # March: Tipton's Town Tasking, the chair and the ASB officer in its closed part.
    march = arrange(page, "town", "Tipton", "2026-03-10", "Tipton ASB lead and PS Smith",
                    agencies=["Police", "Council ASB team"], members=["chair", "asbo"])  # fmt: skip
    assert_accessible(page)

    # The pack from the bundled data: the analyst's months (June 2018: records with locations).
    page.goto(f"/tasking/meetings/{march}/pack/")
    page.get_by_label("From month").fill("2018-06")
    page.get_by_label("To month").fill("2018-06")
    page.get_by_role("button", name="Change months").click()
    page.get_by_label("Analyst's commentary (optional)").fill("Repeat ASB at two snap points by the canal.")
    page.get_by_role("button", name="Save commentary").click()
    profile = api(base, "areas/tipton/profile?from=2018-06&to=2018-06")
    assert page.get_by_test_id("pack-crimes").inner_text() == f"{profile['crimes']:,}"
    assert page.get_by_test_id("pack-asb").inner_text() == f"{profile['asb']:,}"
    repeat = api(base, "areas/tipton/repeat-locations?from=2018-06&to=2018-06&type=asb&top=10")["locations"]
    shown = [
        r.get_attribute("data-location") for r in page.locator('[data-testid="pack-repeat"] tbody tr').all()
    ]
    assert shown == [r["location"] for r in repeat] and shown
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "tasking-pack.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_test_id("pack-pdf").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf[:5] == b"%PDF-"
    (SCREENSHOTS / "tasking-pack.pdf").write_bytes(pdf)

    # The meeting raises a problem from the pack's first repeat location: place, point and evidence filled.
    page.get_by_test_id("raise-from-repeat").first.click()
    page.wait_for_url(f"**/tasking/meetings/{march}/**")
    form = page.get_by_test_id("problem-form")
    assert form.get_by_label("Place").input_value() == repeat[0]["location"]
    assert float(form.get_by_label("Latitude (optional)").input_value()) == repeat[0]["lat"]
    assert "snap point" in form.get_by_label("Evidence (optional)").input_value()
    form.get_by_label("Ward").select_option(label="Tipton Green")
    form.get_by_label("Lead agency").select_option(label="Council ASB team")
    form.get_by_role("button", name="Raise problem").click()
    assert page.get_by_test_id("error-summary").is_visible()  # "What is happening" is needed; nothing lost
    assert page.get_by_test_id("problem-form").get_by_label("Place").input_value() == repeat[0]["location"]
    page.get_by_test_id("problem-form").get_by_label("What is happening").fill(
        "Groups gathering every evening"
    )
    page.get_by_test_id("problem-form").get_by_role("button", name="Raise problem").click()
    page.wait_for_url(re.compile(r"/tasking/problems/\d+/"))  # the #raise fragment survives the redirect
    problem_url = page.url.split("#")[0]

    # Actions for two agencies.
    add_action(page, "Evening patrols", "Police", "PC Jones", "2026-03-31")
    add_action(page, "Letters to residents", "Housing", "A Khan", "2026-04-30")
    assert page.locator("[data-action]").count() == 2
    assert_accessible(page)

    # The closed part: a case note, for its members only.
    page.goto(f"/tasking/meetings/{march}/closed/")
    page.get_by_label("Person discussed").fill("Jane Doe")
    page.get_by_label("Summary").fill("Repeat victim of harassment near the canal")
    page.get_by_role("button", name="Record case").click()
    assert "Jane Doe" in page.content()
    assert_accessible(page)

    # April: both actions roll over; the police one is overdue by the meeting's date.
    april = arrange(page, "town", "Tipton", "2026-04-14", "Tipton ASB lead and PS Smith", members=["chair"])
    assert page.get_by_test_id("open-actions").locator("tr[data-action]").count() == 2
    overdue = page.get_by_test_id("overdue-actions").inner_text()
    assert "Evening patrols" in overdue and "Letters to residents" not in overdue
    # One is completed …
    page.goto(problem_url)
    patrols = page.locator("[data-action]").filter(has_text="Evening patrols")
    patrols.get_by_label("Update").fill("Done: four evenings, two dispersals")
    patrols.get_by_label("Status").select_option("done")
    patrols.get_by_role("button", name="Save update").click()
    page.goto(f"/tasking/meetings/{april}/")
    assert page.get_by_test_id("open-actions").locator("tr[data-action]").count() == 1
    # … and the problem escalates to Borough Tasking, whose pack shows it with the reason.
    page.goto(problem_url)
    page.get_by_test_id("escalate-form").get_by_label("Why it moves").fill(
        "Linked to a group active across towns"
    )
    page.get_by_role("button", name="Escalate to Borough Tasking").click()
    assert page.get_by_test_id("level").inner_text() == "Borough Tasking"
    borough = arrange(page, "borough", "Sandwell (borough)", "2026-04-21", "Chief Inspector Rao")
    assert "Linked to a group active across towns" in page.get_by_test_id("escalated").inner_text()
    page.goto(f"/tasking/meetings/{borough}/pack/")
    assert repeat[0]["location"] in page.get_by_test_id("pack-problems").inner_text()
    assert "Linked to a group active across towns" in page.content()
    assert_accessible(page)
    assert page.csp_errors == []

    # A housing officer outside the closed part: not by page, API or search; the attempt audited.
    hal = new_page()
    sign_in(hal, "hal", PASSWORD)
    assert hal.goto(f"/tasking/meetings/{march}/closed/").status == 404
    # The API answers as the page does: the closed part is not revealed.
    assert hal.goto(f"/api/v1/tasking/meetings/{march}/closed-cases").status == 404
    assert "Jane Doe" not in hal.content()
    hal.goto(f"/tasking/meetings/{march}/")
    assert hal.get_by_test_id("closed-link").count() == 0 and "Jane Doe" not in hal.content()
    with sqlite3.connect(db) as con:
        actions = {a for (a,) in con.execute("select action from core_auditevent where username = 'hal'")}
    assert "denied" in actions and "search" not in actions  # refused before any search is made


def test_cctv_requests_rank_by_evidence_and_a_deployment_shows_before_and_after(new_page, server) -> None:
    _, _, deployment = server
    page = new_page()
    sign_in(page, "chair", PASSWORD)
    page.goto("/cctv/?area=E07000197")
    rows = page.locator('[data-testid="ranked-requests"] tbody tr').all()
    places = [r.get_attribute("data-place") for r in rows]
    scores = [float(r.get_attribute("data-score")) for r in rows]
    assert places == ["Market Square, Stafford", "Weston Road, Stafford"] and scores[0] > scores[1]
    ranking = page.request.get("/api/v1/cctv/requests?area=E07000197").json()  # signed in: the page's cookies
    assert [r["place_name"] for r in ranking["requests"]] == places
    assert [r["score"] for r in ranking["requests"]] == scores
    assert_accessible(page)

    page.goto(f"/cctv/deployments/{deployment}/")
    shown = {r.get_attribute("data-period"): r.get_attribute("data-count") for r in
             page.locator('[data-testid="periods"] tbody tr').all()}  # fmt: skip
    evaluation = page.request.get(f"/api/v1/cctv/deployments/{deployment}").json()["evaluation"]
    counts = [evaluation[p]["count"] for p in ("before", "during", "after")]
    assert list(shown.values()) == [str(c) for c in counts] and all(c is not None for c in counts)
    assert page.get_by_test_id("displacement-caveat").is_visible()
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "cctv-deployment.png", full_page=True)
