"""The CCTV pages and API show the same figures as pandas on Stafford's records; viewers cannot add."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from saferhood.accounts.models import Agency
from saferhood.cctv import services
from saferhood.cctv.models import Deployment, DeploymentRequest
from saferhood.cctv.tests.conftest import SITES, STAFFORD, near
from saferhood.core.models import AuditAction, AuditEvent

LATEST_SIX = [f"2022-{m:02d}" for m in range(6, 12)]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_of(html: str, testid: str) -> list[dict[str, str]]:
    """data-* attributes of each table row under the element with this data-testid."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    found = [dict(re.findall(r'data-([a-z-]+)="([^"]*)"', row)) for row in re.findall(r"<tr [^>]*>", table)]
    return [row for row in found if row]  # header rows carry no data


def add_requests(officer: Any, stafford) -> None:
    for name, (lon, lat) in SITES.items():
        services.request_deployment(
            place_name=name,
            longitude=lon,
            latitude=lat,
            requesting_agency=Agency.objects.get(slug="police"),
            reason="Street drinking and ASB",
            requested_on=datetime.date(2022, 12, 1),
            area=stafford,
            by=officer,
        )


def test_the_page_ranks_requests_with_the_counts_pandas_finds(loaded, stafford, officer, records) -> None:
    add_requests(officer, stafford)
    response = signed_in(officer).get("/cctv/", {"area": STAFFORD})
    assert response.status_code == 200
    html = response.content.decode()
    recent = records[records.Month.isin(LATEST_SIX)]
    want = {name: len(near(recent, *site)) for name, site in SITES.items()}
    shown = rows_of(html, "ranked-requests")
    assert {r["place"].replace("&#x27;", "'"): int(r["incidents"]) for r in shown} == want
    scores = [float(r["score"]) for r in shown]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
    assert shown[0]["place"] == "Market Square, Stafford"
    assert 'data-testid="months-used">2022-06 to 2022-11<' in html
    assert "snap point" in html


def test_a_finished_deployment_shows_its_before_during_after_counts(
    loaded, stafford, officer, records
) -> None:
    camera = services.add_camera("CAM-01", "", by=officer)
    lon, lat = SITES["Market Square, Stafford"]
    deployment = services.deploy_camera(
        services.Place("Market Square, Stafford", lon, lat),
        camera,
        datetime.date(2022, 5, 1),
        datetime.date(2022, 6, 1),
        officer,
        area=stafford,
    )
    services.end_deployment(deployment, datetime.date(2022, 7, 31), officer)
    rows = near(records, lon, lat)
    want = [
        int(rows.Month.isin(m).sum())
        for m in (
            ["2022-02", "2022-03", "2022-04"],
            ["2022-05", "2022-06", "2022-07"],
            ["2022-08", "2022-09", "2022-10"],
        )
    ]
    client = signed_in(officer)
    html = client.get(f"/cctv/deployments/{deployment.pk}/").content.decode()
    assert [int(r["count"]) for r in rows_of(html, "periods")] == want
    bars = re.findall(r'<g class="bar" data-label="([^"]*)" data-value="([^"]*)"', html)
    assert [int(v) for _, v in bars] == want
    assert "displacement" in html and 'data-testid="test-result"' in html
    # The page states the change per day with the days it compares (92 in May-July, 89 before).
    result = re.search(r'data-testid="test-result">([^<]*)<', html).group(1)
    assert f"{want[1]:,} in 92 days against {want[0]:,} in 89" in result and "% per day" in result
    assert re.search(r"p (= \d\.\d{3}|< 0\.001)", result) and "p = 0.000" not in result

    body = client.get(f"/api/v1/cctv/deployments/{deployment.pk}").json()
    ev = body["evaluation"]
    assert [ev[p]["count"] for p in ("before", "during", "after")] == want
    assert ev["before"]["from"] == "2022-02" and ev["after"]["to"] == "2022-10"
    assert [ev[p]["days"] for p in ("before", "during", "after")] == [89, 92, 92]
    listed = client.get("/api/v1/cctv/deployments", {"area": STAFFORD}).json()
    assert [d["id"] for d in listed] == [deployment.pk]


def test_a_running_deployment_page_says_after_is_not_over(loaded, stafford, officer) -> None:
    camera = services.add_camera("CAM-02", "", by=officer)
    lon, lat = SITES["Weston Road, Stafford"]
    deployment = services.deploy_camera(
        services.Place("Weston Road, Stafford", lon, lat),
        camera,
        datetime.date(2022, 9, 1),
        datetime.date(2022, 10, 1),
        officer,
        area=stafford,
    )
    html = signed_in(officer).get(f"/cctv/deployments/{deployment.pk}/").content.decode()
    after = rows_of(html, "periods")[-1]
    assert after["period"] == "after" and after["count"] == ""
    assert "Not over yet" in html and "still running" in html
    index = signed_in(officer).get("/cctv/", {"area": STAFFORD}).content.decode()
    assert 'data-testid="review-due"' in index  # review was due on 2022-10-01


def test_a_bad_request_keeps_what_was_typed_and_stores_nothing(stafford, officer) -> None:
    response = signed_in(officer).post(
        f"/cctv/requests/?area={STAFFORD}",
        {
            "place_name": "Gaolgate Street",
            "longitude": "west",
            "latitude": "52.8",
            "requesting_agency": "",
            "reason": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    summary = html.split('data-testid="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert "Longitude must be a number" in summary and "Select the agency" in summary and "Say why" in summary
    assert 'value="Gaolgate Street"' in html and 'value="west"' in html
    assert not DeploymentRequest.objects.exists()


def test_an_officer_adds_a_request_from_the_page(stafford, officer) -> None:
    client = signed_in(officer)
    agency = Agency.objects.get(slug="council-asb")
    response = client.post(
        f"/cctv/requests/?area={STAFFORD}",
        {
            "place_name": "Gaolgate Street, Stafford",
            "longitude": "-2.1170",
            "latitude": "52.8075",
            "requesting_agency": agency.pk,
            "reason": "Late-night disorder",
            "requested_on": "2022-12-01",
        },
    )
    assert response.status_code == 302
    created = DeploymentRequest.objects.get()
    assert created.lad_code == STAFFORD and created.requesting_agency == agency
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE,
        object_type="cctv.deploymentrequest",
        object_id=str(created.pk),
        user=officer,
    ).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Gaolgate Street, Stafford" in page and "Request for Gaolgate Street, Stafford added" in page


def test_a_viewer_is_refused_by_page_and_api_and_nothing_is_stored(stafford, viewer) -> None:
    client = signed_in(viewer)
    page = client.get("/cctv/", {"area": STAFFORD})
    assert page.status_code == 200 and 'data-testid="request-form"' not in page.content.decode()
    form = {
        "place_name": "Market Square",
        "longitude": "-2.1168",
        "latitude": "52.8066",
        "requesting_agency": Agency.objects.get(slug="housing").pk,
        "reason": "ASB",
        "requested_on": "2022-12-01",
    }
    assert client.post(f"/cctv/requests/?area={STAFFORD}", form).status_code == 403
    api = client.post(
        "/api/v1/cctv/requests",
        {**form, "requesting_agency": "housing", "area": STAFFORD},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert client.post(f"/cctv/deployments/?area={STAFFORD}", {"start": "2022-05-01"}).status_code == 403
    assert not DeploymentRequest.objects.exists() and not Deployment.objects.exists()
    assert AuditEvent.objects.filter(user=viewer, action=AuditAction.DENIED).count() == 3


def test_signed_out_users_see_nothing() -> None:
    client = Client()
    assert client.get("/cctv/").status_code == 302
    assert client.get("/api/v1/cctv/cameras").status_code == 401


def test_the_api_echoes_its_parameters_and_names_bad_ones(loaded, stafford, officer, records) -> None:
    add_requests(officer, stafford)
    client = signed_in(officer)
    body = client.get(
        "/api/v1/cctv/requests", {"area": STAFFORD, "months": 3, "radius": 150, "weights": "violent-crime=3"}
    ).json()
    params = body["parameters"]
    assert params["months_used"] == LATEST_SIX[-3:] and params["radius"] == 150
    assert params["weights"] == {"Violence and sexual offences": 3.0} and params["weights_default"] is False
    recent = records[records.Month.isin(LATEST_SIX[-3:])]
    for item in body["requests"]:
        rows = near(recent, item["longitude"], item["latitude"], 150)
        assert item["incidents"] == len(rows)
        assert item["score"] == pytest.approx(
            len(rows) + 2 * (rows["Crime type"] == "Violence and sexual offences").sum()
        )

    for query, parameter in (
        ({"months": 0}, "months"),
        ({"radius": 5000}, "radius"),
        ({"weights": "burglary"}, "weights"),
        ({"area": "nowhere"}, "area"),
    ):
        response = client.get("/api/v1/cctv/requests", {"area": STAFFORD, **query})
        assert response.status_code == 422, query
        assert f"'{parameter}'" in response.json()["detail"]
    response = client.get("/api/v1/cctv/requests", {"months": "six"})
    assert response.status_code == 422 and "months" in str(response.json()["detail"])


def test_the_openapi_schema_lists_the_cctv_routes(officer) -> None:
    paths = signed_in(officer).get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/cctv/cameras", "/api/v1/cctv/requests", "/api/v1/cctv/deployments"} <= set(paths)


def test_the_form_starts_with_the_users_agency(officer) -> None:
    html = signed_in(officer).get("/cctv/").content.decode()
    agency = Agency.objects.get(slug="council-asb")
    assert f'<option value="{agency.pk}" selected>Council ASB team</option>' in html


def test_bad_page_parameters_are_shown_not_ignored(officer) -> None:
    client = signed_in(officer)
    response = client.get("/cctv/", {"area": STAFFORD, "months": "six", "radius": "5"})
    assert response.status_code == 400
    summary = response.content.decode().split('data-testid="error-summary"', 1)[1].split("</ul>", 1)[0]
    assert "Months of evidence must be a whole number, not ‘six’" in summary
    response = client.get("/cctv/", {"area": STAFFORD, "radius": "5"})
    assert (
        response.status_code == 400
        and "Radius must be between 25 and 1000 metres, not 5" in response.content.decode()
    )
    assert client.get("/cctv/", {"area": "nowhere"}).status_code == 404


def test_the_api_takes_a_request_through_deployment_to_its_evaluation(
    loaded, stafford, officer, viewer, records
) -> None:
    add_requests(officer, stafford)
    client = signed_in(officer)
    post = lambda path, body: client.post(path, body, content_type="application/json")  # noqa: E731
    assert post("/api/v1/cctv/cameras", {"asset_tag": "CAM-07"}).status_code == 201
    assert post("/api/v1/cctv/cameras", {"asset_tag": "CAM-07"}).status_code == 422  # unique tag
    top = client.get("/api/v1/cctv/requests", {"area": STAFFORD}).json()["requests"][0]
    assert (
        post(f"/api/v1/cctv/requests/{top['id']}/decision", {"status": "approved"}).json()["status"]
        == "approved"
    )

    refused = signed_in(viewer).post(
        "/api/v1/cctv/deployments",
        {"camera": "CAM-07", "request_id": top["id"], "start": "2022-05-01", "review_due": "2022-06-01"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    made = post(
        "/api/v1/cctv/deployments",
        {"camera": "CAM-07", "request_id": top["id"], "start": "2022-05-01", "review_due": "2022-06-01"},
    )
    assert made.status_code == 201 and made.json()["running"] is True
    assert client.get("/api/v1/cctv/cameras").json()[0]["status"] == "deployed"
    assert [
        r["id"] for r in client.get("/api/v1/cctv/requests", {"area": STAFFORD}).json()["requests"]
    ].count(top["id"]) == 0  # deployed: no longer pending
    due = client.get("/api/v1/cctv/deployments", {"area": STAFFORD, "due_on": "2022-06-01"}).json()
    assert [d["id"] for d in due] == [made.json()["id"]]

    ended = post(f"/api/v1/cctv/deployments/{made.json()['id']}/end", {"end": "2022-07-31"}).json()
    rows = near(records, top["longitude"], top["latitude"])
    assert ended["evaluation"]["during"]["count"] == int(
        rows.Month.isin(["2022-05", "2022-06", "2022-07"]).sum()
    )
    assert ended["evaluation"]["after"]["count"] == int(
        rows.Month.isin(["2022-08", "2022-09", "2022-10"]).sum()
    )
    assert client.get("/api/v1/cctv/cameras").json()[0]["status"] == "available"


def test_an_officer_deploys_and_ends_a_camera_from_the_pages(loaded, stafford, officer, records) -> None:
    add_requests(officer, stafford)
    camera = services.add_camera("CAM-05", "", by=officer)
    req = DeploymentRequest.objects.get(place_name="Market Square, Stafford")
    client = signed_in(officer)
    bad = client.post(
        f"/cctv/deployments/?area={STAFFORD}",
        {"deploy_request": req.pk, "camera": camera.pk, "start": "2022-05-01", "review_due": "2022-04-01"},
    )
    assert bad.status_code == 400 and "the review must be on or after the start date" in bad.content.decode()
    response = client.post(
        f"/cctv/deployments/?area={STAFFORD}",
        {"deploy_request": req.pk, "camera": camera.pk, "start": "2022-05-01", "review_due": "2022-06-01"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Camera CAM-05 deployed at Market Square, Stafford" in page and 'data-testid="end-form"' in page
    deployment = req.deployments.get()
    late = client.post(f"/cctv/deployments/{deployment.pk}/end/", {"end": "2022-04-30"})
    assert late.status_code == 400 and "the end must be on or after the start date" in late.content.decode()
    client.post(f"/cctv/deployments/{deployment.pk}/end/", {"end": "2022-07-31"})
    html = client.get(f"/cctv/deployments/{deployment.pk}/").content.decode()
    rows = near(records, *SITES["Market Square, Stafford"])
    assert int(rows_of(html, "periods")[2]["count"]) == int(
        rows.Month.isin(["2022-08", "2022-09", "2022-10"]).sum()
    )
    assert 'data-testid="end-form"' not in html
