"""The CCTV API: cameras, pending requests ranked on the evidence, deployments with their evaluation.

Partner agencies' users only (``guards.PartnerAuth``; places, not people: no record scoping).
Every ranking echoes the parameters it used; a bad parameter is a 422 that names it. Every write
needs the CHANGE action (403 otherwise, audited, before the body is read).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from saferhood.accounts.guards import PartnerAuth
from saferhood.accounts.models import Agency
from saferhood.analytics.cctv import TEST_NAME
from saferhood.areas.lookup import find_area
from saferhood.areas.models import Area
from saferhood.cctv import services
from saferhood.cctv.models import Camera, Deployment, DeploymentRequest
from saferhood.core.api_errors import SIGNED_IN, responses
from saferhood.core.months import days_in, month_range
from saferhood.crime.models import ALL_CRIME_TYPE_NAMES, CRIME_TYPES

router = Router(tags=["cctv"], auth=PartnerAuth("cctv"))


class CameraOut(Schema):
    id: int
    asset_tag: str
    description: str
    status: str


class SiteOut(Schema):
    place_name: str
    longitude: float
    latitude: float
    ward_code: str
    town_code: str
    lad_code: str
    placement: str


class RequestOut(SiteOut):
    id: int
    requesting_agency: str
    reason: str
    requested_on: datetime.date
    status: str
    meeting_reference: str


class RankedOut(RequestOut):
    rank: int | None
    incidents: int | None = Field(None, description="incidents within the radius over the months used")
    score: float | None = Field(None, description="sum of the weights of those incidents")


class RankingParameters(Schema):
    area: str
    months: int
    radius: float
    weights: dict[str, float]
    weights_default: bool
    months_used: list[str]
    months_counts_only: list[str]
    months_missing: list[str]


class RankingOut(Schema):
    parameters: RankingParameters
    requests: list[RankedOut]
    caveats: list[str]


class PeriodOut(Schema):
    start: str = Field(..., alias="from")
    end: str = Field(..., alias="to")
    count: int | None
    days: int = Field(..., description="calendar days in the period: the test's exposure")


class EvaluationOut(Schema):
    months: int | None
    before: PeriodOut | None
    during: PeriodOut | None
    after: PeriodOut | None
    after_finished: bool
    change_percent: float | None = Field(..., description="change in the daily rate, during against before")
    p_value: float | None
    significant: bool | None
    test: str
    caveats: list[str]
    displacement: str


class DeploymentOut(SiteOut):
    id: int
    camera: str
    request_id: int | None
    start: datetime.date
    end: datetime.date | None
    review_due: datetime.date
    radius_m: int
    running: bool
    evaluation: EvaluationOut


class RequestIn(Schema):
    place_name: str
    longitude: float
    latitude: float
    requesting_agency: str = Field(..., description="the agency's slug, e.g. 'police'")
    reason: str
    requested_on: datetime.date | None = None
    meeting_reference: str = ""
    area: str | None = Field(
        None, description="the area it was raised from (places a point outside loaded wards)"
    )


def _area(code: str | None) -> Area:
    code = (code or "").strip() or settings.SAFERHOOD_PARTNERSHIP_LADS[0]
    area = find_area(code)
    if area is None:
        raise HttpError(422, f"'area': no area with code {code!r}")
    return area


_TYPE_BY_KEY = {
    **{slug: name for slug, name in CRIME_TYPES.items()},
    **{n.lower(): n for n in ALL_CRIME_TYPE_NAMES},
}


def parse_weights(text: str | None) -> dict[str, float] | None:
    """'violent-crime=2,Anti-social behaviour=1.5' → {type name: weight}; None for the defaults."""
    if text is None or not text.strip():
        return None
    weights: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        name = _TYPE_BY_KEY.get(key.strip().lower())
        if not sep or name is None:
            raise HttpError(
                422,
                f"'weights': expected type=weight pairs with police.uk types (slug or name), not {part.strip()!r}",
            )
        try:
            weights[name] = float(value)
        except ValueError:
            raise HttpError(422, f"'weights': {value.strip()!r} is not a number") from None
    return weights


def _request_out(req: Any) -> dict[str, Any]:
    return {
        "id": req.pk,
        "place_name": req.place_name,
        "longitude": req.longitude,
        "latitude": req.latitude,
        "ward_code": req.ward_code,
        "town_code": req.town_code,
        "lad_code": req.lad_code,
        "placement": req.placement,
        "requesting_agency": req.requesting_agency.slug,
        "reason": req.reason,
        "requested_on": req.requested_on,
        "status": req.status,
        "meeting_reference": req.meeting_reference,
    }


def _deployment_out(d: Deployment) -> dict[str, Any]:
    result = services.evaluate(d)
    ev = result.evaluation

    def period(p: tuple[str, str] | None, count: int | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return {"from": p[0], "to": p[1], "count": count, "days": sum(days_in(m) for m in month_range(*p))}

    return {
        "id": d.pk,
        "camera": d.camera.asset_tag,
        "request_id": d.request_id,
        "place_name": d.place_name,
        "longitude": d.longitude,
        "latitude": d.latitude,
        "ward_code": d.ward_code,
        "town_code": d.town_code,
        "lad_code": d.lad_code,
        "placement": d.placement,
        "start": d.start,
        "end": d.end,
        "review_due": d.review_due,
        "radius_m": d.radius_m,
        "running": result.running,
        "evaluation": {
            "months": ev.months if ev else None,
            "before": period(ev.before, ev.count_before) if ev else None,
            "during": period(ev.during, ev.count_during) if ev else None,
            "after": period(ev.after, ev.count_after) if ev else None,
            "after_finished": bool(ev and ev.after_finished),
            "change_percent": ev.change_percent if ev else None,
            "p_value": ev.p_value if ev else None,
            "significant": ev.significant if ev else None,
            "test": ev.test if ev else TEST_NAME,
            "caveats": result.caveats,
            "displacement": result.displacement,
        },
    }


@router.get(
    "/cctv/cameras",
    response=responses(list[CameraOut], *SIGNED_IN),
    summary="The camera stock and each camera's status",
)
def cameras(request: HttpRequest) -> list[Camera]:
    return list(Camera.objects.all())


@router.get(
    "/cctv/requests",
    response=responses(RankingOut, *SIGNED_IN),
    by_alias=True,
    summary="Pending requests in an area, ranked by weighted incidents within the radius",
)
def ranked_requests(
    request: HttpRequest,
    area: str | None = None,
    months: int = services.DEFAULT_MONTHS,
    radius: float = services.DEFAULT_RADIUS,
    weights: str | None = None,
) -> dict[str, Any]:
    """``weights``: comma-separated ``type=weight`` (police.uk slug or name); they replace the
    defaults, and types not named weigh 1. ``months``: the latest months with located records."""
    place = _area(area)
    try:
        ranking = services.rank_requests(place, months=months, radius=radius, weights=parse_weights(weights))
    except services.CctvError as exc:
        raise HttpError(422, str(exc)) from exc
    return {
        "parameters": {
            "area": place.code,
            "months": ranking.months,
            "radius": ranking.radius,
            "weights": ranking.weights,
            "weights_default": ranking.weights_default,
            "months_used": ranking.months_used,
            "months_counts_only": ranking.months_counts_only,
            "months_missing": ranking.months_missing,
        },
        "requests": [
            {**_request_out(r.request), "rank": r.rank, "incidents": r.incidents, "score": r.score}
            for r in ranking.ranked
        ],
        "caveats": ranking.caveats,
    }


@router.post(
    "/cctv/requests",
    response=responses(RequestOut, 400, *SIGNED_IN, status=201),
    summary="Add a deployment request (needs CHANGE)",
)
def create_request(request: HttpRequest, payload: RequestIn) -> Status:
    services.require_change(request.user, request, "request a camera")
    agency = Agency.objects.filter(slug=payload.requesting_agency, active=True).first()
    if agency is None:
        raise HttpError(422, f"'requesting_agency': no agency {payload.requesting_agency!r}")
    area = _area(payload.area) if payload.area else None
    try:
        req = services.request_deployment(
            place_name=payload.place_name,
            longitude=payload.longitude,
            latitude=payload.latitude,
            requesting_agency=agency,
            reason=payload.reason,
            requested_on=payload.requested_on,
            meeting_reference=payload.meeting_reference,
            area=area,
            by=request.user,
            http_request=request,
        )
    except services.CctvError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _request_out(req))


@router.get(
    "/cctv/deployments",
    response=responses(list[DeploymentOut], *SIGNED_IN),
    by_alias=True,
    summary="Deployments in an area (all, or only those due for review on a date), each with its evaluation",
)
def deployments(
    request: HttpRequest, area: str | None = None, due_on: datetime.date | None = None
) -> list[dict[str, Any]]:
    place = _area(area)
    if due_on is not None:
        found = services.deployments_due_for_review(place, due_on)
    else:
        found = list(Deployment.objects.in_area(place).select_related("camera"))
    return [_deployment_out(d) for d in found]


@router.get(
    "/cctv/deployments/{deployment_id}",
    response=responses(DeploymentOut, 404, *SIGNED_IN),
    by_alias=True,
    summary="One deployment with its before/during/after evaluation",
)
def deployment(request: HttpRequest, deployment_id: int) -> dict[str, Any]:
    found = Deployment.objects.select_related("camera").filter(pk=deployment_id).first()
    if found is None:
        raise HttpError(404, f"no deployment {deployment_id}")
    return _deployment_out(found)


class CameraIn(Schema):
    asset_tag: str
    description: str = ""


class DecisionIn(Schema):
    status: str = Field(..., description="approved or declined")
    meeting_reference: str | None = None


class DeployIn(Schema):
    camera: str = Field(..., description="the camera's asset tag")
    request_id: int | None = Field(None, description="deploy for this request (or give a place)")
    place_name: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    area: str | None = Field(None, description="the area a place is in, if no loaded ward boundary holds it")
    start: datetime.date
    review_due: datetime.date
    radius_m: int = services.DEFAULT_RADIUS


class EndIn(Schema):
    end: datetime.date


def _run(action: Any) -> Any:
    try:
        return action()
    except services.CctvError as exc:
        raise HttpError(422, str(exc)) from exc


@router.post(
    "/cctv/cameras",
    response=responses(CameraOut, 400, *SIGNED_IN, status=201),
    summary="Add a camera to the stock (needs CHANGE)",
)
def add_camera(request: HttpRequest, payload: CameraIn) -> Status:
    camera = _run(
        lambda: services.add_camera(
            payload.asset_tag, payload.description, by=request.user, http_request=request
        )
    )
    return Status(201, camera)


@router.post(
    "/cctv/requests/{request_id}/decision",
    response=responses(RequestOut, 404, 400, *SIGNED_IN),
    summary="Approve or decline a request (needs CHANGE)",
)
def decide(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    found = DeploymentRequest.objects.select_related("requesting_agency").filter(pk=request_id).first()
    if found is None:
        raise HttpError(404, f"no request {request_id}")
    _run(
        lambda: services.decide_request(
            found,
            payload.status,
            by=request.user,
            meeting_reference=payload.meeting_reference,
            http_request=request,
        )
    )
    return _request_out(found)


@router.post(
    "/cctv/deployments",
    response=responses(DeploymentOut, 400, *SIGNED_IN, status=201),
    by_alias=True,
    summary="Deploy an available camera for a request or at a place (needs CHANGE)",
)
def deploy(request: HttpRequest, payload: DeployIn) -> Status:
    services.require_change(request.user, request, "deploy a camera")
    camera = Camera.objects.filter(asset_tag=payload.camera).first()
    if camera is None:
        raise HttpError(422, f"'camera': no camera tagged {payload.camera!r}")
    if payload.request_id is not None:
        target: Any = DeploymentRequest.objects.filter(pk=payload.request_id).first()
        if target is None:
            raise HttpError(422, f"'request_id': no request {payload.request_id}")
    elif payload.place_name and payload.longitude is not None and payload.latitude is not None:
        target = services.Place(payload.place_name, payload.longitude, payload.latitude)
    else:
        raise HttpError(422, "'request_id': give a request, or a place_name with longitude and latitude")
    area = _area(payload.area) if payload.area else None
    created = _run(
        lambda: services.deploy_camera(
            target,
            camera,
            payload.start,
            payload.review_due,
            request.user,
            area=area,
            radius_m=payload.radius_m,
            http_request=request,
        )
    )
    return Status(201, _deployment_out(created))


@router.post(
    "/cctv/deployments/{deployment_id}/end",
    response=responses(DeploymentOut, 404, 400, *SIGNED_IN),
    by_alias=True,
    summary="End a deployment: the camera comes down and is available again (needs CHANGE)",
)
def end(request: HttpRequest, deployment_id: int, payload: EndIn) -> dict[str, Any]:
    found = Deployment.objects.select_related("camera").filter(pk=deployment_id).first()
    if found is None:
        raise HttpError(404, f"no deployment {deployment_id}")
    _run(lambda: services.end_deployment(found, payload.end, request.user, http_request=request))
    return _deployment_out(found)
