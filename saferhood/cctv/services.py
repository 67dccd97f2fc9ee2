"""CCTV workflows: request a camera, rank requests on the evidence, deploy, end, evaluate.

Every function that creates or changes a record checks the user may change (the CHANGE action),
runs in one transaction and writes its audit event (create, or change with old → new values).

Default weights (``DEFAULT_WEIGHTS``). A deployable camera watches a street, so offences that
happen in the street and that a camera can see and deter count more: violence and sexual
offences, robbery and possession of weapons (the most harmful) weigh 2; anti-social behaviour,
public order, criminal damage and arson, and drugs (what Town Tasking most often asks cameras
for) weigh 1.5; everything else (largely indoors or out of sight: burglary, shoplifting,
vehicle crime, thefts) weighs 1. An analyst may pass their own weights: those then replace the
defaults, and types they do not name weigh 1.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from saferhood.accounts.models import Agency
from saferhood.accounts.roles import Action, allowed_actions
from saferhood.analytics.cctv import DISPLACEMENT_CAVEAT, Evaluation, evaluate_deployment, score_sites
from saferhood.areas.lookup import find_area, lad_codes
from saferhood.areas.models import Area, AreaLevel
from saferhood.areas.placement import AreaIndex
from saferhood.cctv import evidence
from saferhood.cctv.models import (
    Camera,
    CameraStatus,
    Deployment,
    DeploymentRequest,
    RequestStatus,
    SitePlacement,
)
from saferhood.core import audit
from saferhood.core.models import AuditAction
from saferhood.core.months import add_months, month_range

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.

DEFAULT_WEIGHTS: dict[str, float] = {
    "Violence and sexual offences": 2.0,
    "Robbery": 2.0,
    "Possession of weapons": 2.0,
    "Anti-social behaviour": 1.5,
    "Public order": 1.5,
    "Criminal damage and arson": 1.5,
    "Drugs": 1.5,
}
DEFAULT_MONTHS = 6
DEFAULT_RADIUS = 200
MONTHS_LIMITS = (1, 36)
RADIUS_LIMITS = (25, 1000)  # metres: below a snap point's spacing, or beyond what a camera sees


class CctvError(ValueError):
    """A value a CCTV workflow cannot use; ``parameter`` names it (for the form or the 422)."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NotAllowed(PermissionDenied):
    """The user may not change CCTV records (a view answers 403)."""


@dataclass(frozen=True)
class Place:
    """A site given directly (a deployment not made from a request)."""

    name: str
    longitude: float
    latitude: float


# --- helpers -------------------------------------------------------------------------------


def can_change(user: Any) -> bool:
    return Action.CHANGE in allowed_actions(user)


def require_change(by: Any, http_request: HttpRequest | None, wanted: str) -> None:
    if not can_change(by):
        audit.record(
            AuditAction.DENIED,
            request=http_request,
            user=by,
            object_type="cctv",
            detail={"wanted": wanted},
        )
        raise NotAllowed(f"you may not {wanted}: it needs a role that may change records")


def _snapshot(obj: Model) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.AUDITED_FIELDS}


def _audit_create(obj: Model, by: Any, http_request: HttpRequest | None) -> None:
    audit.record(
        AuditAction.CREATE,
        request=http_request,
        user=by,
        obj=obj,
        changes=audit.changes_between({}, _snapshot(obj)),
    )


def _save_change(obj: Model, by: Any, http_request: HttpRequest | None, **fields: Any) -> None:
    before = _snapshot(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    changes = audit.changes_between(before, _snapshot(obj))
    if changes:
        audit.record(AuditAction.CHANGE, request=http_request, user=by, obj=obj, changes=changes)


def place_site(longitude: float, latitude: float, area: Area | None) -> dict[str, str]:
    """The ward, town and local authority a point lies in.

    By the ward boundary that holds it; where none is loaded (or the point is outside them all),
    by the area the request was raised from, which must then name one local authority.
    """
    if not (-9.0 <= longitude <= 2.0):
        raise CctvError("'longitude': must be between -9 and 2 (Great Britain)", "longitude")
    if not (49.0 <= latitude <= 61.0):
        raise CctvError("'latitude': must be between 49 and 61 (Great Britain)", "latitude")
    found = AreaIndex.load().by_points([longitude], [latitude])[0]
    if found is not None:
        return {
            "ward_code": found.ward_code,
            "town_code": found.town_code,
            "lad_code": found.lad_code,
            "placement": SitePlacement.WARD_POLYGON,
        }
    lads = lad_codes(area) if area is not None else []
    if area is None or len(lads) != 1:
        raise CctvError(
            "'area': the point is in no loaded ward boundary; say which local authority, town or ward it is in",
            "area",
        )
    chain = [area, *area.ancestors()]
    code = {a.level: a.code for a in reversed(chain)}
    return {
        "ward_code": code.get(AreaLevel.WARD, ""),
        "town_code": code.get(AreaLevel.TOWN, ""),
        "lad_code": lads[0],
        "placement": SitePlacement.RAISED_IN_AREA,
    }


# --- cameras ---------------------------------------------------------------------------------


def add_camera(
    asset_tag: str, description: str, *, by: Any, http_request: HttpRequest | None = None
) -> Camera:
    """Add a camera to the stock (available)."""
    require_change(by, http_request, "add a camera")
    asset_tag = asset_tag.strip()
    if not asset_tag:
        raise CctvError("'asset_tag': enter the camera's asset tag", "asset_tag")
    if Camera.objects.filter(asset_tag=asset_tag).exists():
        raise CctvError(f"'asset_tag': a camera tagged {asset_tag} is already in the stock", "asset_tag")
    with transaction.atomic():
        camera = Camera.objects.create(asset_tag=asset_tag, description=description.strip())
        _audit_create(camera, by, http_request)
    return camera


def set_camera_status(
    camera: Camera, status: str, *, by: Any, http_request: HttpRequest | None = None
) -> Camera:
    """Mark a camera available or under repair (deploying and ending set 'deployed' themselves)."""
    require_change(by, http_request, "change a camera")
    if status not in (CameraStatus.AVAILABLE, CameraStatus.UNDER_REPAIR):
        raise CctvError("'status': a camera is set available or under repair here", "status")
    if Deployment.objects.running().filter(camera=camera).exists():
        raise CctvError("'status': the camera is deployed; end its deployment first", "status")
    with transaction.atomic():
        _save_change(camera, by, http_request, status=status)
    return camera


# --- requests --------------------------------------------------------------------------------


def request_deployment(
    *,
    place_name: str,
    longitude: float,
    latitude: float,
    requesting_agency: Agency,
    reason: str,
    by: Any,
    requested_on: datetime.date | None = None,
    area: Area | None = None,
    meeting_reference: str = "",
    http_request: HttpRequest | None = None,
) -> DeploymentRequest:
    """Record a request for a camera at a place (pending until tasking decides it).

    ``area`` places the point when no ward boundary holds it (the area the request came from).
    """
    require_change(by, http_request, "request a camera")
    if not place_name.strip():
        raise CctvError("'place_name': enter the name of the place", "place_name")
    if not reason.strip():
        raise CctvError("'reason': say why a camera is needed there", "reason")
    site = place_site(float(longitude), float(latitude), area)
    with transaction.atomic():
        req = DeploymentRequest.objects.create(
            place_name=place_name.strip(),
            longitude=float(longitude),
            latitude=float(latitude),
            requesting_agency=requesting_agency,
            reason=reason.strip(),
            requested_on=requested_on or datetime.date.today(),
            meeting_reference=meeting_reference.strip(),
            **site,
        )
        _audit_create(req, by, http_request)
    return req


def decide_request(
    req: DeploymentRequest,
    status: str,
    *,
    by: Any,
    meeting_reference: str | None = None,
    http_request: HttpRequest | None = None,
) -> DeploymentRequest:
    """Approve or decline a pending request (deploying a camera marks it deployed)."""
    require_change(by, http_request, "decide a request")
    if status not in (RequestStatus.APPROVED, RequestStatus.DECLINED):
        raise CctvError("'status': a request is approved or declined", "status")
    if req.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
        raise CctvError(f"'status': the request is already {req.get_status_display().lower()}", "status")
    fields: dict[str, Any] = {"status": status}
    if meeting_reference is not None:
        fields["meeting_reference"] = meeting_reference.strip()
    with transaction.atomic():
        _save_change(req, by, http_request, **fields)
    return req


# --- ranking ---------------------------------------------------------------------------------


@dataclass
class RankedRequest:
    request: DeploymentRequest
    incidents: int | None  # within the radius over the months used; None: no months with records
    score: float | None
    rank: int | None


@dataclass
class Ranking:
    """Pending requests in an area, strongest evidence first, with the parameters used."""

    area: Area
    months: int
    radius: float
    weights: dict[str, float]
    weights_default: bool
    months_used: list[str]
    months_counts_only: list[str]
    months_missing: list[str]
    ranked: list[RankedRequest] = field(default_factory=list)

    @property
    def caveats(self) -> list[str]:
        notes = []
        if not self.months_used:
            notes.append(
                f"No month has located police.uk records for {self.area.name}: requests are not scored."
            )
        if self.months_counts_only:
            notes.append(
                f"{len(self.months_counts_only)} month(s) since the first month used are loaded only as "
                f"counts per area ({evidence.spans_text(self.months_counts_only)}), which have no "
                "locations: they are not in the scores."
            )
        if self.months_missing:
            notes.append(
                f"No data is loaded for {len(self.months_missing)} month(s) since the first month used "
                f"({evidence.spans_text(self.months_missing)})."
            )
        notes.append(evidence.SNAP_CAVEAT)
        return notes


def check_parameters(months: int, radius: float) -> None:
    if not MONTHS_LIMITS[0] <= months <= MONTHS_LIMITS[1]:
        raise CctvError(
            f"'months': must be between {MONTHS_LIMITS[0]} and {MONTHS_LIMITS[1]}, not {months}", "months"
        )
    if not RADIUS_LIMITS[0] <= radius <= RADIUS_LIMITS[1]:
        raise CctvError(
            f"'radius': must be between {RADIUS_LIMITS[0]} and {RADIUS_LIMITS[1]} metres, not {radius:g}",
            "radius",
        )


def rank_requests(
    area: Area,
    *,
    months: int = DEFAULT_MONTHS,
    radius: float = DEFAULT_RADIUS,
    weights: dict[str, float] | None = None,
) -> Ranking:
    """Score the area's pending requests: weighted incidents within ``radius`` metres over the
    latest ``months`` months that have located records (see the module's note on weights)."""
    import pandas as pd

    check_parameters(months, radius)
    for name, value in (weights or {}).items():
        if value < 0:
            raise CctvError(f"'weights': {name} has a negative weight", "weights")
    used_weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    available = evidence.record_months(area)
    used = available[-months:]
    counts_only: list[str] = []
    missing: list[str] = []
    if used:
        counts_only, missing = evidence.months_not_seen(area, used[0], _latest_month(area) or used[-1], used)
    ranking = Ranking(
        area=area,
        months=months,
        radius=radius,
        weights=used_weights,
        weights_default=weights is None,
        months_used=used,
        months_counts_only=counts_only,
        months_missing=missing,
    )
    requests = list(DeploymentRequest.objects.pending().in_area(area).select_related("requesting_agency"))
    if not requests:
        return ranking
    if not used:
        ranking.ranked = [RankedRequest(r, None, None, None) for r in requests]
        return ranking
    lon = [r.longitude for r in requests]
    lat = [r.latitude for r in requests]
    records = evidence.records_near(lon, lat, used, radius, area)
    xy = [evidence.site_xy(r.longitude, r.latitude) for r in requests]
    sites = pd.DataFrame({"i": range(len(requests)), "x": [p[0] for p in xy], "y": [p[1] for p in xy]})
    scored = score_sites(sites, records, radius=radius, weights=used_weights)
    ranking.ranked = [
        RankedRequest(requests[int(row.i)], int(row.incidents), float(row.score), int(row.rank))
        for row in scored.itertuples()
    ]
    return ranking


def _latest_month(area: Area) -> str | None:
    from saferhood.evidence.profiles import covered_months

    months = covered_months(area)
    return max(months) if months else None


# --- deployments -----------------------------------------------------------------------------


def deploy_camera(
    request_or_place: DeploymentRequest | Place,
    camera: Camera,
    start: datetime.date,
    review_due: datetime.date,
    by: Any,
    *,
    area: Area | None = None,
    radius_m: int = DEFAULT_RADIUS,
    http_request: HttpRequest | None = None,
) -> Deployment:
    """Put an available camera up at a request's place (marking the request deployed) or a place."""
    require_change(by, http_request, "deploy a camera")
    check_parameters(DEFAULT_MONTHS, radius_m)
    if review_due < start:
        raise CctvError("'review_due': the review must be on or after the start date", "review_due")
    with transaction.atomic():
        camera = Camera.objects.select_for_update().get(pk=camera.pk)
        if camera.status != CameraStatus.AVAILABLE:
            raise CctvError(
                f"'camera': {camera.asset_tag} is {camera.get_status_display().lower()}", "camera"
            )
        if isinstance(request_or_place, DeploymentRequest):
            req = request_or_place
            if req.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
                raise CctvError(f"'request': the request is {req.get_status_display().lower()}", "request")
            site = {
                "place_name": req.place_name,
                "longitude": req.longitude,
                "latitude": req.latitude,
                "ward_code": req.ward_code,
                "town_code": req.town_code,
                "lad_code": req.lad_code,
                "placement": req.placement,
            }
        else:
            req = None
            site = {
                "place_name": request_or_place.name,
                "longitude": request_or_place.longitude,
                "latitude": request_or_place.latitude,
                **place_site(request_or_place.longitude, request_or_place.latitude, area),
            }
        deployment = Deployment.objects.create(
            camera=camera, request=req, start=start, review_due=review_due, radius_m=radius_m, **site
        )
        _audit_create(deployment, by, http_request)
        _save_change(camera, by, http_request, status=CameraStatus.DEPLOYED)
        if req is not None:
            _save_change(req, by, http_request, status=RequestStatus.DEPLOYED)
    return deployment


def end_deployment(
    deployment: Deployment, end: datetime.date, by: Any, *, http_request: HttpRequest | None = None
) -> Deployment:
    """Take the camera down on ``end``: the deployment is finished and the camera available."""
    require_change(by, http_request, "end a deployment")
    if deployment.end is not None:
        raise CctvError(f"'end': the deployment already ended on {deployment.end}", "end")
    if end < deployment.start:
        raise CctvError("'end': the end must be on or after the start date", "end")
    with transaction.atomic():
        _save_change(deployment, by, http_request, end=end)
        camera = deployment.camera
        if camera.status == CameraStatus.DEPLOYED:
            _save_change(camera, by, http_request, status=CameraStatus.AVAILABLE)
    return deployment


def deployments_due_for_review(area: Area | None, on_date: datetime.date) -> list[Deployment]:
    """Running deployments whose review is due on or before ``on_date``, in the area (None: all)."""
    qs = Deployment.objects.due_for_review(on_date)
    if area is not None:
        qs = qs.in_area(area)
    return list(qs.select_related("camera", "request").order_by("review_due", "pk"))


# --- evaluation ------------------------------------------------------------------------------


@dataclass
class DeploymentEvaluation:
    """Before/during/after counts for a deployment, with what limits them."""

    deployment: Deployment
    evaluation: Evaluation | None  # None: no month of the deployment has located records yet
    running: bool
    radius: int
    months_not_seen: list[str]
    caveats: list[str]
    displacement: str = DISPLACEMENT_CAVEAT


def _month(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def evaluate(deployment: Deployment) -> DeploymentEvaluation:
    """Incidents within the deployment's radius for equal periods before, during and after it.

    Months are whole calendar months (police.uk publishes months, not days): the start and end
    months count as during. A running deployment is evaluated up to the latest month with
    records, with no after period yet. A period any of whose months has no located records (not
    loaded, or loaded only as counts) has no count, never zero.
    """
    area = find_area(deployment.lad_code) if deployment.lad_code else None
    available = evidence.record_months(area) if area is not None else []
    latest = max(available) if available else None
    start = _month(deployment.start)
    running = deployment.end is None
    end = _month(deployment.end) if deployment.end else latest
    caveats: list[str] = []
    if running:
        caveats.append(
            "The deployment is still running: 'during' is so far, and there is no after period yet."
        )
    if deployment.start.day != 1 or (
        deployment.end is not None and (deployment.end + datetime.timedelta(days=1)).day != 1
    ):
        caveats.append(
            "Police.uk publishes months, not days: the months the camera went up and came down count "
            "whole, as 'during'."
        )
    caveats.append(evidence.SNAP_CAVEAT)
    if end is None or end < start:
        caveats.insert(0, "No month of the deployment has located records loaded yet.")
        return DeploymentEvaluation(deployment, None, running, deployment.radius_m, [], caveats)
    n = len(month_range(start, end))
    first, last = add_months(start, -n), add_months(end, n)
    wanted = month_range(first, min(last, latest)) if latest else []
    records = evidence.records_near(
        [deployment.longitude],
        [deployment.latitude],
        [m for m in wanted if m in set(available)],
        deployment.radius_m,
        area,
    )
    x, y = evidence.site_xy(deployment.longitude, deployment.latitude)
    result = evaluate_deployment(
        x,
        y,
        records,
        start=start,
        end=end,
        radius=deployment.radius_m,
        latest_month=latest,
        available=available,
    )
    not_seen = [m for m in wanted if m not in set(available)]
    if not_seen:
        caveats.insert(
            0,
            f"{len(not_seen)} month(s) have no located records ({evidence.spans_text(not_seen)}): a period "
            "containing them has no count.",
        )
    return DeploymentEvaluation(deployment, result, running, deployment.radius_m, not_seen, caveats)
