"""A signed-in analyst walks Sandwell → town → ward → LSOA and back, in Debian's Chromium.

The server is a real ``runserver`` subprocess on its own SQLite file (not pytest-django's
live_server, which would flush the session's geography), loaded the way an analyst would:
``import geography``, ``import police <the Sandwell API JSON folder>``, ``import counts <the
West Midlands counts, 2025-04 … 2026-03>``. Every number on the pages is checked against the JSON
API, Sandwell's against pandas reading the files, and axe-core checks every page (WCAG 2.2 AA).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import shapely
from harness import ROOT, SCREENSHOTS, assert_accessible, chromium, manage, running_server, server_env

pytestmark = pytest.mark.browser

API_JSON = ROOT / "demo" / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
COUNTS = ROOT / "demo" / "police-uk-api-wm-lsoa21-monthly-counts-2023-2026" / "birmingham"
COUNT_MONTHS = [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
USER, PASSWORD = "analyst", "browser-test-password-2026"
PERIOD = "from=2018-06&to=2018-06"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("browser-db") / "saferhood.sqlite3"
    # DEBUG on: runserver serves the static files itself.
    env = server_env(db, debug=True, DEMO_PASSWORD=PASSWORD)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "import", "geography")
    manage(env, "import", "police", "--no-progress", str(API_JSON))
    manage(
        env,
        "import",
        "counts",
        "--no-progress",
        "--source",
        "police.uk API counts (UK Crime Explorer)",
        *[str(COUNTS / f"{m}.csv") for m in COUNT_MONTHS],
    )
    manage(env, "create_demo_user", "--username", USER)
    with running_server(env, tmp_path_factory.mktemp("browser-log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, base_url=server, accept_downloads=True
    )
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
    yield page
    context.close()
    # Nothing may come from a CDN, font or tile server: every request stays on Saferhood.
    assert outside == [], f"requests left the server: {outside}"


def api_profile(server: str, code: str, query: str = PERIOD) -> dict:
    with urllib.request.urlopen(f"{server}/api/v1/areas/{code}/profile?{query}", timeout=10) as response:
        return json.load(response)


def sign_in(page) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/areas/**")


def number(text: str) -> int | float | None:
    text = text.strip().replace(",", "").replace("−", "-")
    if text in ("–", "", "No data"):  # "No data": the figure is null, never shown as 0
        return None
    return float(text) if "." in text else int(text)


def shown(page, testid: str) -> int | float | None:
    return number(page.get_by_test_id(testid).first.inner_text())


def assert_page_matches_api(page, server: str, code: str, query: str = PERIOD) -> dict:
    """The headline figures, the chart points and the child table on the page are the API's."""
    api = api_profile(server, code, query)
    assert page.get_by_test_id("area-name").inner_text() == api["area"]["name"]
    assert shown(page, "crimes") == api["crimes"]
    assert shown(page, "asb") == api["asb"]
    assert shown(page, "rate") == (
        round(api["rate_per_1000"], 2) if api["rate_per_1000"] is not None else None
    )
    if api["previous"].get("no_data_reason"):
        assert api["previous"]["no_data_reason"] in page.get_by_test_id("previous-no-data").inner_text()
    else:
        assert shown(page, "previous-crimes") == api["previous"]["crimes"]
    assert shown(page, "change-absolute") == api["change"]["absolute"]
    for child in api["children"]:
        row = page.locator(f'[data-testid="children"] tr[data-code="{child["code"]}"]')
        if child.get("no_data_reason"):  # null with its reason (another vintage, no data), never 0
            assert child["no_data_reason"] in row.get_by_test_id("child-no-data").inner_text(), child
            continue
        assert number(row.get_by_test_id("child-crimes").inner_text()) == child["crimes"], child
        assert number(row.get_by_test_id("child-asb").inner_text()) == child["asb"], child
    by_type = {
        row.get_attribute("data-type"): number(row.get_by_test_id("type-count").inner_text())
        for row in page.locator('[data-testid="by-type"] tbody tr[data-type]').all()
    }
    assert by_type == api["by_type"]
    key = "asb" if api["type"]["key"] == "asb" else "crimes"
    drawn = {
        c.get_attribute("data-month"): int(c.get_attribute("data-value"))
        for c in page.locator("#trend-chart .series-current circle").all()
    }
    assert drawn == {p["month"]: p[key] for p in api["series"] if p[key] is not None}
    gaps = [r.get_attribute("data-month") for r in page.locator("#trend-chart rect.gap").all()]
    assert gaps == api["gaps"]
    return api


def pandas_sandwell_counts() -> tuple[int, int]:
    """Crimes (excluding ASB) and ASB in the bundled API JSON that lie inside Sandwell.

    Deduplicated on ``id`` and placed with shapely in the ONS ward polygons, independently of
    Saferhood's code: the police's request polygons overlap the borough edge, so a few of the
    2,834 records lie in a neighbouring borough.
    """
    records = []
    for path in sorted(API_JSON.glob("*.json")):
        records += json.loads(path.read_text())
    frame = pd.DataFrame(
        {
            "id": [r["id"] for r in records],
            "category": [r["category"] for r in records],
            "lon": [float(r["location"]["longitude"]) for r in records],
            "lat": [float(r["location"]["latitude"]) for r in records],
        }
    ).drop_duplicates("id")
    geo = ROOT / "demo" / "geography" / "ons-census-merged-wards-2011-west-midlands" / "E08000028.geojson"
    wards = json.loads(geo.read_text())["features"]
    borough = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in wards])
    inside = shapely.intersects(borough, shapely.points(frame.lon.to_numpy(), frame.lat.to_numpy()))
    frame = frame[inside]
    asb = int((frame.category == "anti-social-behaviour").sum())
    return len(frame) - asb, asb


def test_pandas_reference_counts() -> None:
    # Of the 2,834 unique records (465 ASB), nearly all lie inside Sandwell's wards.
    crimes, asb = pandas_sandwell_counts()
    assert 2800 < crimes + asb <= 2834
    assert 455 < asb <= 465


def test_sign_in_and_walk_down_and_up_the_hierarchy(page, server: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)

    # Signing in with a wrong password shows the GOV.UK error summary.
    page.goto("/")
    assert "/sign-in/" in page.url
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("error-summary").is_visible()
    page.screenshot(path=SCREENSHOTS / "00-sign-in-error.png")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/areas/E08000028/")
    assert page.get_by_test_id("area-name").inner_text() == "Sandwell"

    # The overview opens on the latest twelve months with data (the bundled counts) …
    assert page.get_by_test_id("period").inner_text().startswith("2025-04 to 2026-03")
    overview = assert_page_matches_api(page, server, "E08000028", "from=2025-04&to=2026-03")
    assert overview["sources"] == [
        {"source": "police.uk API counts (UK Crime Explorer)", "months": COUNT_MONTHS}
    ]
    # … with every loaded month since 2018-06 in the long chart: the years between are gaps, not zeros.
    history_gaps = page.locator("#history-chart rect.gap").count()
    assert history_gaps == len(pd.period_range("2018-07", "2025-03", freq="M"))
    page.screenshot(path=SCREENSHOTS / "00-overview.png")
    page.screenshot(path=SCREENSHOTS / "00-overview-full.png", full_page=True)
    assert_accessible(page)

    # Choose June 2018 with the period form.
    page.get_by_label("From month").fill("2018-06")
    page.get_by_label("To month").fill("2018-06")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**/areas/E08000028/?{PERIOD}&type=all&compare=previous*")
    page.screenshot(path=SCREENSHOTS / "01-sandwell.png")
    page.screenshot(path=SCREENSHOTS / "01-sandwell-full.png", full_page=True)
    sandwell = assert_page_matches_api(page, server, "E08000028")
    assert (shown(page, "crimes"), shown(page, "asb")) == pandas_sandwell_counts()
    assert sandwell["area"]["population"] and shown(page, "population") == sandwell["area"]["population"]
    footer = page.locator("footer").inner_text()
    assert "Open Government Licence v3.0" in footer
    assert "Contains OS data © Crown copyright and database right" in footer
    assert_accessible(page)

    # Down: a town, one of its wards, one of that ward's LSOAs.
    page.locator('[data-testid="children"]').get_by_role("link", name="Tipton", exact=True).click()
    page.wait_for_url(f"**/areas/tipton/?{PERIOD}")
    page.screenshot(path=SCREENSHOTS / "02-tipton.png")
    tipton = assert_page_matches_api(page, server, "tipton")
    assert_accessible(page)
    assert tipton["crimes"] > 0
    assert sum(c["crimes"] for c in tipton["children"]) == tipton["crimes"]

    ward = max(tipton["children"], key=lambda c: c["crimes"])
    page.locator(f'[data-testid="children"] tr[data-code="{ward["code"]}"] a').click()
    page.wait_for_url(f"**/areas/{ward['code']}/?{PERIOD}")
    page.screenshot(path=SCREENSHOTS / "03-ward.png")
    ward_profile = assert_page_matches_api(page, server, ward["code"])
    assert_accessible(page)
    assert ward_profile["crimes"] == ward["crimes"] > 0

    lsoa = ward_profile["children"][0]
    page.locator(f'[data-testid="children"] tr[data-code="{lsoa["code"]}"] a').click()
    page.wait_for_url(f"**/areas/{lsoa['code']}/?{PERIOD}")
    page.screenshot(path=SCREENSHOTS / "04-lsoa.png")
    # API JSON records carry no LSOA: they are placed down to ward only, so the LSOA shows its own (zero) figures.
    assert_page_matches_api(page, server, lsoa["code"])
    assert_accessible(page)

    # Back up by the breadcrumbs, keeping the period.
    crumbs = page.get_by_test_id("breadcrumbs")
    crumbs.get_by_role("link", name=ward["name"], exact=True).click()
    page.wait_for_url(f"**/areas/{ward['code']}/?{PERIOD}")
    page.get_by_test_id("breadcrumbs").get_by_role("link", name="Sandwell", exact=True).click()
    page.wait_for_url(f"**/areas/E08000028/?{PERIOD}")
    assert shown(page, "crimes") == sandwell["crimes"]


def test_filters_and_downloads(page, server: str) -> None:
    sign_in(page)
    # Change period and type: the URL carries both, so the view can be bookmarked and shared.
    page.goto("/areas/tipton/")
    page.get_by_label("From month").fill("2025-10")
    page.get_by_label("To month").fill("2026-03")
    page.get_by_label("Crime type").select_option("asb")
    page.get_by_role("button", name="Show", exact=True).click()
    query = "from=2025-10&to=2026-03&type=asb"
    page.wait_for_url(f"**/areas/tipton/?{query}&compare=previous*")
    api = assert_page_matches_api(page, server, "tipton", query)
    assert api["type"]["label"] == "Anti-social behaviour" and api["crimes"] == 0 and api["asb"] > 0
    assert page.get_by_test_id("type-label").inner_text() == "Anti-social behaviour"
    page.screenshot(path=SCREENSHOTS / "06-tipton-asb.png", full_page=True)
    assert_accessible(page)

    # The town map: each ward shaded by ASB per 1,000, the value the API gives.
    shaded = {
        p.get_attribute("data-code"): float(p.get_attribute("data-value"))
        for p in page.locator("#children-map path[data-code]").all()
    }
    assert shaded == {c["code"]: c["asb_rate_per_1000"] for c in api["children"]}

    # Download the wards as CSV and GeoJSON: the same figures as the API.
    downloads = page.get_by_test_id("downloads")
    with page.expect_download() as info:
        page.locator('a[data-format="csv"][href*="/download/children.csv"]').click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert {r["code"]: int(r["asb"]) for r in rows} == {c["code"]: c["asb"] for c in api["children"]}
    with page.expect_download() as info:
        page.locator('a[data-format="geojson"]').click()
    collection = json.loads(Path(info.value.path()).read_text())
    assert {f["properties"]["code"]: f["properties"]["asb"] for f in collection["features"]} == {
        c["code"]: c["asb"] for c in api["children"]
    }
    assert info.value.suggested_filename.endswith(".geojson")
    with page.expect_download() as info:
        page.locator('a[data-format="png"][href*="/download/trend.png"]').click()
    assert Path(info.value.path()).read_bytes()[:4] == b"\x89PNG"
    assert downloads.count() >= 5  # one set beside every chart, map and table


def test_bad_period_shows_an_error_summary(page, server: str) -> None:
    sign_in(page)
    response = page.goto("/areas/E08000028/?from=2018-07&to=2018-06")
    assert response.status == 400
    summary = page.get_by_test_id("error-summary")
    assert summary.is_visible()
    assert "2018-07" in summary.inner_text()
    page.screenshot(path=SCREENSHOTS / "05-bad-period.png")
    assert_accessible(page)
