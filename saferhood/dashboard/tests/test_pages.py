"""The area pages through Django's test client: sign-in, 404, 400 and the figures shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.areas.models import Area, AreaLevel, Population
from saferhood.crime.importers import import_police

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def analyst(db):
    return get_user_model().objects.create_user("analyst-test", password=PASSWORD)


@pytest.fixture
def signed_in(client: Client, analyst) -> Client:
    client.force_login(analyst)
    return client


@pytest.fixture
def tipton_green(db) -> Area:
    """Sandwell → Tipton → Tipton Green, as the bundled geography has them (created if absent)."""
    lad, _ = Area.objects.get_or_create(
        code="E08000028", defaults={"name": "Sandwell", "level": AreaLevel.LAD}
    )
    town, _ = Area.objects.get_or_create(
        code="tipton", defaults={"name": "Tipton", "level": AreaLevel.TOWN, "parent": lad}
    )
    ward, _ = Area.objects.get_or_create(
        code="E05001279", defaults={"name": "Tipton Green", "level": AreaLevel.WARD, "parent": town}
    )
    Population.objects.update_or_create(area=ward, vintage="mid-2022", defaults={"count": 15721})
    return ward


@pytest.fixture
def sandwell_june_2018(db) -> None:
    """The real police.uk API JSON for every Sandwell ward, June 2018."""
    import_police(
        [Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"],
        progress=False,
    )


def shown(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no data-testid={name!r} on the page"
    return match.group(1).strip()


def test_pages_need_sign_in(client: Client, tipton_green: Area) -> None:
    for url in ("/", "/areas/E08000028/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/?next=")


def test_sign_in_page_renders_and_rejects_bad_password(client: Client, analyst) -> None:
    page = client.get("/sign-in/")
    assert page.status_code == 200
    assert "Open Government Licence v3.0" in page.content.decode()
    response = client.post("/sign-in/", {"username": "analyst-test", "password": "wrong"})
    assert response.status_code == 200
    assert 'data-testid="error-summary"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_then_home_goes_to_the_partnership(client: Client, analyst, tipton_green: Area) -> None:
    response = client.post("/sign-in/", {"username": "analyst-test", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/areas/E08000028/"


def test_unknown_area_is_404(signed_in: Client) -> None:
    assert signed_in.get("/areas/E99999999/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2018-13", "to": "2018-06"},
        {"from": "June", "to": "2018-06"},
        {"from": "2018-06", "to": "2018-6"},
        {"from": "2018-07", "to": "2018-06"},  # reversed
    ],
)
def test_bad_months_are_400_with_an_error_summary(signed_in: Client, tipton_green: Area, query) -> None:
    response = signed_in.get(f"/areas/{tipton_green.code}/", query)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html
    assert "There is a problem" in html


def api(client: Client, code: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": "2018-06", "to": "2018-06"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("code", ["E08000028", "tipton", "E05001279"])
def test_page_figures_are_the_apis(signed_in: Client, sandwell_june_2018, code: str) -> None:
    response = signed_in.get(f"/areas/{code}/", {"from": "2018-06", "to": "2018-06"})
    assert response.status_code == 200
    html = response.content.decode()
    profile = api(signed_in, code)
    assert shown(html, "area-name") == profile["area"]["name"]
    assert shown(html, "crimes") == f"{profile['crimes']:,}"
    assert shown(html, "asb") == f"{profile['asb']:,}"
    assert shown(html, "rate") == f"{profile['rate_per_1000']:,.2f}"
    for child in profile["children"]:
        assert f'href="/areas/{child["code"]}/?from=2018-06&amp;to=2018-06"' in html


def test_breadcrumbs_run_up_the_hierarchy(signed_in: Client, sandwell_june_2018) -> None:
    html = signed_in.get("/areas/E05001279/", {"from": "2018-06", "to": "2018-06"}).content.decode()
    assert 'href="/areas/tipton/?from=2018-06&amp;to=2018-06"' in html
    assert 'href="/areas/E08000028/?from=2018-06&amp;to=2018-06"' in html


def test_default_period_is_the_latest_twelve_months(signed_in: Client, sandwell_june_2018) -> None:
    response = signed_in.get("/areas/E05001279/")
    assert response.status_code == 200
    assert shown(response.content.decode(), "period").startswith("2017-07 to 2018-06")


def test_every_level_up_the_breadcrumbs_has_a_page(signed_in: Client, sandwell_june_2018) -> None:
    """The partnership (CSP) and the force area (PFA) pages answer too, alerts included."""
    sandwell = Area.objects.get(code="E08000028")
    for area in sandwell.ancestors():
        response = signed_in.get(f"/areas/{area.code}/", {"from": "2018-06", "to": "2018-06"})
        assert response.status_code == 200, (area.code, area.level)
        assert area.name in response.content.decode()
