"""Ranking and evaluation on Stafford's real 2022 records, checked against pandas and pyproj."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

import pandas as pd
import pytest
from scipy.stats import binomtest

from saferhood.accounts.models import Agency
from saferhood.areas.models import Area
from saferhood.cctv import services
from saferhood.cctv.models import (
    Camera,
    CameraStatus,
    Deployment,
    DeploymentRequest,
    RequestStatus,
    SitePlacement,
)
from saferhood.cctv.tests.conftest import SITES, near
from saferhood.core.models import AuditAction, AuditEvent

LATEST_SIX = [f"2022-{m:02d}" for m in range(6, 12)]  # the files run to 2022-11


def make_requests(officer: Any, area: Area) -> dict[str, DeploymentRequest]:
    agency = Agency.objects.get(slug="police")
    return {
        name: services.request_deployment(
            place_name=name,
            longitude=lon,
            latitude=lat,
            requesting_agency=agency,
            reason="Repeat ASB at the shops in the evenings",
            requested_on=datetime.date(2022, 12, 1),
            area=area,
            by=officer,
        )
        for name, (lon, lat) in SITES.items()
    }


def expected(
    records: pd.DataFrame, months: list[str], weights: dict[str, float]
) -> dict[str, tuple[int, float]]:
    recent = records[records.Month.isin(months)]
    out = {}
    for name, (lon, lat) in SITES.items():
        rows = near(recent, lon, lat)
        out[name] = (
            len(rows),
            float(rows["Crime type"].map(lambda t: weights.get(t, 1.0)).astype(float).sum()),
        )
    return out


def test_requests_rank_by_weighted_incidents_within_200_m(loaded, stafford, officer, records) -> None:
    made = make_requests(officer, stafford)
    assert all(
        r.lad_code == "E07000197" and r.placement == SitePlacement.RAISED_IN_AREA for r in made.values()
    )

    ranking = services.rank_requests(stafford)
    assert ranking.months_used == LATEST_SIX and ranking.radius == 200
    want = expected(records, LATEST_SIX, services.DEFAULT_WEIGHTS)
    got = {r.request.place_name: (r.incidents, r.score) for r in ranking.ranked}
    assert got.keys() == want.keys()
    for name in want:
        assert got[name][0] == want[name][0], name
        assert got[name][1] == pytest.approx(want[name][1]), name
    order = sorted(want, key=lambda n: -want[n][1])
    assert [r.request.place_name for r in ranking.ranked] == order
    assert [r.rank for r in ranking.ranked] == [1, 2, 3]
    assert want[order[0]][1] > want[order[1]][1] > 0  # the test means something: evidence differs

    # The analyst's own weights replace the defaults; a longer window reads more months.
    mine = {"Anti-social behaviour": 3.0}
    ranking = services.rank_requests(stafford, months=3, weights=mine)
    assert ranking.months_used == LATEST_SIX[-3:] and ranking.weights == mine
    want = expected(records, LATEST_SIX[-3:], mine)
    assert {r.request.place_name: (r.incidents, pytest.approx(r.score)) for r in ranking.ranked} == {
        k: (v[0], v[1]) for k, v in want.items()
    }


def test_decided_requests_leave_the_ranking(loaded, stafford, officer) -> None:
    made = make_requests(officer, stafford)
    services.decide_request(made["Weston Road, Stafford"], RequestStatus.DECLINED, by=officer)
    names = [r.request.place_name for r in services.rank_requests(stafford).ranked]
    assert "Weston Road, Stafford" not in names and len(names) == 2


@pytest.mark.parametrize(("months", "radius", "parameter"), [(0, 200, "months"), (6, 5, "radius")])
def test_bad_parameters_name_themselves(stafford, months, radius, parameter) -> None:
    with pytest.raises(services.CctvError) as exc:
        services.rank_requests(stafford, months=months, radius=radius)
    assert exc.value.parameter == parameter


def test_evaluation_counts_before_during_and_after(loaded, stafford, officer, records) -> None:
    camera = services.add_camera("CAM-01", "Mobile camera, pole mount", by=officer)
    req = make_requests(officer, stafford)["Market Square, Stafford"]
    deployment = services.deploy_camera(
        req, camera, datetime.date(2022, 5, 1), datetime.date(2022, 6, 1), officer
    )
    services.end_deployment(deployment, datetime.date(2022, 7, 31), officer)
    result = services.evaluate(deployment)
    ev = result.evaluation
    assert (ev.before, ev.during, ev.after) == (
        ("2022-02", "2022-04"),
        ("2022-05", "2022-07"),
        ("2022-08", "2022-10"),
    )
    rows = near(records, *SITES["Market Square, Stafford"])
    count = {
        period: int(rows.Month.isin(months).sum())
        for period, months in {
            "before": ["2022-02", "2022-03", "2022-04"],
            "during": ["2022-05", "2022-06", "2022-07"],
            "after": ["2022-08", "2022-09", "2022-10"],
        }.items()
    }
    assert (ev.count_before, ev.count_during, ev.count_after) == (
        count["before"],
        count["during"],
        count["after"],
    )
    assert count["during"] > 0
    # Days as exposure: May-July 2022 holds 92 days, February-April 89 (per day, not per month).
    days = {
        k: sum(calendar.monthrange(2022, m)[1] for m in ms)
        for k, ms in {"before": (2, 3, 4), "during": (5, 6, 7)}.items()
    }
    assert (ev.days_before, ev.days_during) == (days["before"], days["during"])
    assert ev.p_value == pytest.approx(
        binomtest(
            count["during"],
            count["during"] + count["before"],
            days["during"] / (days["during"] + days["before"]),
        ).pvalue
    )
    rate_change = 100 * ((count["during"] / days["during"]) / (count["before"] / days["before"]) - 1)
    assert ev.change_percent == pytest.approx(rate_change, abs=0.05)
    assert "displacement" in result.displacement


def test_an_after_period_not_yet_over_is_none(loaded, stafford, officer, records) -> None:
    camera = services.add_camera("CAM-02", "", by=officer)
    lon, lat = SITES["Weston Road, Stafford"]
    deployment = services.deploy_camera(
        services.Place("Weston Road, Stafford", lon, lat),
        camera,
        datetime.date(2022, 7, 1),
        datetime.date(2022, 8, 1),
        officer,
        area=stafford,
    )
    running = services.evaluate(deployment)
    assert running.running and running.evaluation.during == ("2022-07", "2022-11")
    assert running.evaluation.count_after is None
    services.end_deployment(deployment, datetime.date(2022, 9, 30), officer)
    ev = services.evaluate(deployment).evaluation
    assert ev.after == ("2022-10", "2022-12") and ev.after_finished is False
    assert ev.count_after is None  # 2022-12 is not loaded: not over, so not zero
    during = near(records, lon, lat).Month.isin(["2022-07", "2022-08", "2022-09"]).sum()
    assert ev.count_during == during


def test_deploying_and_ending_move_the_camera_and_request_and_are_audited(loaded, stafford, officer) -> None:
    camera = services.add_camera("CAM-03", "", by=officer)
    req = make_requests(officer, stafford)["Rowley Park, Stafford"]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="cctv.deploymentrequest", object_id=str(req.pk)
    ).exists()
    deployment = services.deploy_camera(
        req, camera, datetime.date(2022, 5, 3), datetime.date(2022, 6, 3), officer
    )
    camera.refresh_from_db()
    req.refresh_from_db()
    assert camera.status == CameraStatus.DEPLOYED and req.status == RequestStatus.DEPLOYED
    events = AuditEvent.objects.filter(user=officer).order_by("id")
    created = events.get(action=AuditAction.CREATE, object_type="cctv.deployment")
    assert created.changes["place_name"] == [None, "Rowley Park, Stafford"]
    assert events.filter(action=AuditAction.CHANGE, object_type="cctv.camera").last().changes == {
        "status": ["available", "deployed"]
    }
    assert events.filter(action=AuditAction.CHANGE, object_type="cctv.deploymentrequest").last().changes == {
        "status": ["pending", "deployed"]
    }
    # A deployed camera cannot go up twice.
    with pytest.raises(services.CctvError):
        services.deploy_camera(
            services.Place("Elsewhere", -2.11, 52.80),
            camera,
            datetime.date(2022, 6, 1),
            datetime.date(2022, 7, 1),
            officer,
            area=stafford,
        )
    services.end_deployment(deployment, datetime.date(2022, 6, 30), officer)
    camera.refresh_from_db()
    assert camera.status == CameraStatus.AVAILABLE
    ended = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="cctv.deployment").last()
    assert ended.changes == {"end": [None, "2022-06-30"]}


def test_due_for_review(loaded, stafford, officer) -> None:
    cams = [services.add_camera(f"CAM-1{i}", "", by=officer) for i in range(3)]
    lon, lat = SITES["Market Square, Stafford"]
    due = services.deploy_camera(
        services.Place("Due", lon, lat),
        cams[0],
        datetime.date(2022, 5, 1),
        datetime.date(2022, 6, 1),
        officer,
        area=stafford,
    )
    services.deploy_camera(
        services.Place("Later", lon, lat),
        cams[1],
        datetime.date(2022, 5, 1),
        datetime.date(2022, 9, 1),
        officer,
        area=stafford,
    )
    ended = services.deploy_camera(
        services.Place("Ended", lon, lat),
        cams[2],
        datetime.date(2022, 4, 1),
        datetime.date(2022, 5, 1),
        officer,
        area=stafford,
    )
    services.end_deployment(ended, datetime.date(2022, 5, 31), officer)
    on = datetime.date(2022, 6, 1)
    assert services.deployments_due_for_review(stafford, on) == [due]
    assert services.deployments_due_for_review(None, on) == [due]
    assert services.deployments_due_for_review(Area.objects.get(code="E08000028"), on) == []


def test_a_point_in_a_loaded_ward_is_placed_by_its_boundary(officer) -> None:
    # Tipton's Owen Street: Sandwell's wards have boundaries, so the point finds its ward and town.
    req = services.request_deployment(
        place_name="Owen Street, Tipton",
        longitude=-2.0446,
        latitude=52.5290,
        requesting_agency=Agency.objects.get(slug="council-asb"),
        reason="Nuisance bikes",
        by=officer,
    )
    assert req.placement == SitePlacement.WARD_POLYGON
    assert (req.lad_code, req.town_code) == ("E08000028", "tipton") and req.ward_code
    tipton = Area.objects.get(code="tipton")
    assert list(DeploymentRequest.objects.in_area(tipton)) == [req]
    assert list(DeploymentRequest.objects.in_area(Area.objects.get(code="E07000197"))) == []


def test_a_viewer_cannot_change_anything_and_the_attempt_is_audited(stafford, viewer) -> None:
    with pytest.raises(services.NotAllowed):
        services.request_deployment(
            place_name="Market Square",
            longitude=-2.1168,
            latitude=52.8066,
            requesting_agency=Agency.objects.get(slug="housing"),
            reason="x",
            area=stafford,
            by=viewer,
        )
    with pytest.raises(services.NotAllowed):
        services.add_camera("CAM-99", "", by=viewer)
    assert (
        not DeploymentRequest.objects.exists()
        and not Camera.objects.exists()
        and not Deployment.objects.exists()
    )
    assert AuditEvent.objects.filter(user=viewer, action=AuditAction.DENIED).count() == 2
