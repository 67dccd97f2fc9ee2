"""Issue 13 item 3: no analysis request can take the server down.

Every analysis is costed before it runs (grid cells, records, kernel, periods, alert tests) and
refused with a 422 that says what to change. The costs come from a count and an extent, so an
over-budget request reads no record and builds no grid. Normal requests answer as before.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from saferhood.crime.importers import import_police

STREET = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
SANDWELL_JSON = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
STAFFORDSHIRE = "E23000015"  # the force area
STAFFORD = "E07000197"
SANDWELL = "E08000028"
YEAR = {"from": "2022-01", "to": "2022-11"}


@pytest.fixture
def staffordshire(db) -> None:
    import_police(sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv")), progress=False)


@pytest.fixture
def sandwell(db) -> None:
    import_police([SANDWELL_JSON], progress=False)


@pytest.fixture
def budget(settings):
    """Set some limits low, keeping the rest at the configured values."""

    def set_limits(**limits: int) -> None:
        settings.SAFERHOOD_ANALYSIS_BUDGET = {**settings.SAFERHOOD_ANALYSIS_BUDGET, **limits}

    return set_limits


def record_reads(queries: list[dict]) -> list[str]:
    """Queries that fetch crime records themselves rather than a count or an extent."""
    return [q["sql"] for q in queries if "crime_crimerecord" in q["sql"] and "COUNT(" not in q["sql"].upper()]


def test_the_issues_request_on_the_force_area_is_refused_before_any_work(
    client: Client, staffordshire
) -> None:
    # The request from the issue: 10 m cells over a whole force area.
    response = client.get(f"/api/v1/areas/{STAFFORDSHIRE}/hotspots", {**YEAR, "cell": "10"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("'cell': ") and "25" in response.json()["detail"]

    # The smallest cell the schema allows is still far over the budget for a force area.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/areas/{STAFFORDSHIRE}/hotspots", {**YEAR, "cell": "25"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    match = re.fullmatch(
        r"'cell': 25 m cells give ([\d,]+) cells over Staffordshire; the limit is 50,000: "
        r"use cell ≥ (\d+) m or a smaller area",
        detail,
    )
    assert match, detail
    assert int(match.group(1).replace(",", "")) > 5_000_000
    assert record_reads(queries.captured_queries) == []  # a count and an extent, no record read


def test_the_cell_size_the_message_names_is_accepted(client: Client, staffordshire, budget) -> None:
    budget(cells=2_000)
    refused = client.get(f"/api/v1/areas/{STAFFORD}/hotspots", {**YEAR, "type": "asb", "cell": "100"})
    assert refused.status_code == 422
    fit = int(re.search(r"use cell ≥ (\d+) m", refused.json()["detail"]).group(1))

    body = client.get(f"/api/v1/areas/{STAFFORD}/hotspots", {**YEAR, "type": "asb", "cell": str(fit)}).json()
    assert body["grid"]["cell_size_m"] == fit and body["grid"]["nx"] * body["grid"]["ny"] <= 2_000
    smaller = client.get(f"/api/v1/areas/{STAFFORD}/hotspots", {**YEAR, "type": "asb", "cell": str(fit - 10)})
    assert smaller.status_code == 422


def test_a_normal_sandwell_request_answers_with_the_same_figures(client: Client, sandwell) -> None:
    # Figures as the API gave them before the budget existed (same data, same defaults).
    body = client.get(f"/api/v1/areas/{SANDWELL}/hotspots", {"from": "2018-06", "to": "2018-06"}).json()
    assert body["records"] == body["records_in_grid"] == 2823
    assert body["summary"] == {"hot": 86, "cold": 0}
    assert (body["grid"]["cell_size_m"], body["grid"]["nx"], body["grid"]["ny"], body["grid"]["cells"]) == (
        200.0,
        62,
        62,
        2312,
    )
    props = [f["properties"] for f in body["features"]]
    assert sum(p["count"] for p in props) == 2823
    assert max(p["kde"] for p in props if p["kde"] is not None) == pytest.approx(55.95745)
    assert max(p["gi_z"] for p in props if p["gi_z"] is not None) == pytest.approx(12.728545378)
    repeat = client.get(
        f"/api/v1/areas/{SANDWELL}/repeat-locations", {"from": "2018-06", "to": "2018-06", "top": "3"}
    ).json()
    assert [(r["location"], r["count"]) for r in repeat["locations"]] == [
        ("On or near Brickhouse Lane South", 21),
        ("On or near Petrol Station", 19),
        ("On or near John Street", 17),
    ]


def test_too_many_records_is_refused_naming_the_period(client: Client, staffordshire, budget) -> None:
    budget(points=1_000)
    for route in ("hotspots", "repeat-locations", "hotspot-change", "hotspot-classes"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/areas/{STAFFORD}/{route}", YEAR)
        assert response.status_code == 422, route
        detail = response.json()["detail"]
        assert detail.startswith("'from': this period has ") and "located records in Stafford" in detail
        assert "the limit is 1,000: choose a shorter period" in detail
        assert record_reads(queries.captured_queries) == []


def test_a_kernel_too_wide_for_its_cells_is_refused(client: Client, staffordshire, budget) -> None:
    budget(convolution_cells=10_000)
    response = client.get(f"/api/v1/areas/{STAFFORD}/hotspots", {**YEAR, "cell": "400", "bandwidth": "5000"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("'bandwidth': a 5,000 m kernel over 400 m cells needs ")
    assert "use a smaller bandwidth or larger cells" in response.json()["detail"]
    wide = client.get(f"/api/v1/areas/{STAFFORD}/hotspots", {**YEAR, "cell": "400", "distance": "10000"})
    assert wide.status_code == 422 and wide.json()["detail"].startswith(
        "'distance': neighbours within 10,000 m"
    )


def test_too_many_cell_periods_is_refused_naming_how_many_fit(client: Client, staffordshire, budget) -> None:
    budget(cell_periods=10_000)
    response = client.get(f"/api/v1/areas/{STAFFORD}/hotspot-classes", {**YEAR, "cell": "500"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("'period_months': 11 periods × ") and "use at most " in detail


def test_alerts_over_too_many_series_are_refused_naming_a_higher_level(client: Client, staffordshire) -> None:
    response = client.get(f"/api/v1/areas/{STAFFORDSHIRE}/alerts", {**YEAR, "level": "lsoa"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert re.match(r"'level': [\d,]+ lsoa × crime type series over 11 month\(s\) is [\d,]+ tests; ", detail)
    assert "the limit is 30,000" in detail and "(ward or town rather than lsoa)" in detail


@pytest.mark.parametrize(
    ("route", "query", "parameter"),
    [
        ("hotspots", {"cell": "0"}, "cell"),
        ("hotspots", {"cell": "24.9"}, "cell"),
        ("hotspots", {"bandwidth": "20001"}, "bandwidth"),
        ("hotspots", {"distance": "5"}, "distance"),
        ("hotspots", {"alpha": "0"}, "alpha"),
        ("hotspots", {"to": "2022-1"}, "to"),
        ("hotspot-classes", {"period_months": "0"}, "period_months"),
        ("repeat-locations", {"top": "501"}, "top"),
        ("alerts", {"alpha": "0.5"}, "alpha"),
    ],
)
def test_parameter_limits_are_422_naming_them(
    client: Client, db, route: str, query: dict, parameter: str
) -> None:
    response = client.get(f"/api/v1/areas/{STAFFORD}/{route}", query)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"'{parameter}': ")


def test_the_area_page_shows_the_budget_message_instead_of_failing(
    client: Client, staffordshire, budget
) -> None:
    budget(points=1_000)
    client.force_login(
        get_user_model().objects.create_user("analyst-budget", password="a-long-test-password-1")
    )
    response = client.get(f"/areas/{STAFFORD}/", YEAR)
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and "choose a shorter period" in html
    download = client.get(f"/areas/{STAFFORD}/download/hotspots.csv", YEAR)
    assert download.status_code == 400 and "choose a shorter period" in download.content.decode()
