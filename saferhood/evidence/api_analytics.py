"""API routes for an area's analyses: hotspots, hotspot change and classes, repeat locations, alerts.

Every answer echoes the parameters it used; a bad parameter is a 422 that names it. The routes are
public (docs/adr/0004-public-area-data.md), so each is rate limited twice (all API routes, and the
analyses' own smaller rate) and refused with a 422 before any work when over the analysis budget.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder

from saferhood.core.api_errors import responses
from saferhood.core.throttling import ClientThrottle
from saferhood.evidence import analyses
from saferhood.evidence.analyses import (
    ALPHA,
    BANDWIDTH_ADJUST,
    BANDWIDTH_M,
    CELL_M,
    DISTANCE_M,
    PERIOD_MONTHS,
    TOP,
    AnalysisError,
    GridParams,
    OverBudget,
)
from saferhood.evidence.api_period import MONTH, PERIOD_RULE, area_or_404, period_of
from saferhood.evidence.api_period import PeriodQuery as BasePeriodQuery
from saferhood.evidence.period import PeriodError, resolve_period

router = Router(tags=["analyses"], throttle=[ClientThrottle("api"), ClientThrottle("analysis")])

AREA_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$"
BUDGET = (
    " Refused with a 422 naming the fix when over the analysis budget (cells, records, periods)."
    + PERIOD_RULE
)


class PeriodQuery(BasePeriodQuery):
    crime_type: str | None = Field(
        None, alias="type", max_length=100, description="all, crime, asb, or a police.uk crime type"
    )


class GridQuery(PeriodQuery):
    cell: float | None = Field(
        None,
        ge=CELL_M[0],
        le=CELL_M[1],
        description="cell size in metres (default: shorter side / 50, rounded); the grid may have at most "
        "the budget's cells",
    )
    bandwidth: float | None = Field(
        None,
        ge=BANDWIDTH_M[0],
        le=BANDWIDTH_M[1],
        description="KDE bandwidth in metres (default: normal-reference rule)",
    )
    bandwidth_adjust: float = Field(
        1.0, ge=BANDWIDTH_ADJUST[0], le=BANDWIDTH_ADJUST[1], description="multiplier on the bandwidth"
    )
    distance: float | None = Field(
        None,
        ge=DISTANCE_M[0],
        le=DISTANCE_M[1],
        description="Gi* neighbour distance in metres (default: queen)",
    )
    alpha: float = Field(
        0.05, gt=ALPHA[0], lt=ALPHA[1], description="significance level (false discovery rate when fdr is on)"
    )
    fdr: bool = Field(True, description="Benjamini-Hochberg adjustment across the cells")


class ChangeQuery(GridQuery):
    split: str | None = Field(
        None, pattern=MONTH, description="YYYY-MM: compare from..split-1 with split..to"
    )
    before_from: str | None = Field(
        None,
        pattern=MONTH,
        description="first month of the 'before' period (default: the comparison period chosen by 'compare')",
    )
    before_to: str | None = Field(None, pattern=MONTH, description="last month of the 'before' period")


class ClassesQuery(GridQuery):
    period_months: int = Field(
        1, ge=PERIOD_MONTHS[0], le=PERIOD_MONTHS[1], description="months per period of the series"
    )


class RepeatQuery(PeriodQuery):
    top: int = Field(20, ge=TOP[0], le=TOP[1], description="how many snap points")


class AreaRefOut(Schema):
    code: str
    name: str
    level: str


class RepeatLocationOut(Schema):
    rank: int = Field(..., description="1 for the most records; ties share the lower rank")
    location: str = Field(..., description="the label most of the point's records carry")
    labels: list[str] = Field(
        ...,
        description="every label police.uk gave this point, most records first (one point, several names)",
    )
    lon: float = Field(
        ..., description="the published snap point: records are grouped on it, not on the label"
    )
    lat: float
    count: int
    share: float = Field(..., description="of all the area's records of the period and type")
    months_active: int
    first_month: str
    last_month: str
    snap_point: bool


class RepeatLocationsOut(Schema):
    area: AreaRefOut
    parameters: dict[str, Any]
    locations: list[RepeatLocationOut]
    snap_point_caveat: str
    records: int
    months_with_points: list[str]
    months_counts_only: list[str]
    months_missing: list[str]
    caveats: list[str]


class AlertQuery(PeriodQuery):
    level: str | None = Field(
        None,
        pattern=r"^(lsoa|ward|town|lad)$",
        description="lsoa, ward, town or lad (default: the level below the area)",
    )
    alpha: float = Field(0.05, gt=ALPHA[0], lt=ALPHA[1], description="false discovery rate across all tests")
    baseline: Literal["seasonal", "recent"] = Field(
        "seasonal",
        description="what 'expected' is: seasonal = the area's own history allowing for the time of year "
        "(a seasonal Poisson model on 24+ of the previous 36 months, else the mean of the previous 12 "
        "published months); recent = the mean of the previous 3 published months. Either way each alert "
        "states its baseline in words and lists the previous 3 published months' counts (recent_months)",
    )


def _grid_params(query: GridQuery) -> GridParams:
    return GridParams(
        cell=query.cell,
        bandwidth=query.bandwidth,
        bandwidth_adjust=query.bandwidth_adjust,
        distance=query.distance,
        alpha=query.alpha,
        fdr=query.fdr,
    )


def _answer(call) -> HttpResponse:
    try:
        result = call()
    except (AnalysisError, OverBudget) as exc:
        raise HttpError(422, str(exc)) from exc
    # Rendered here: validating a 50,000-feature GeoJSON against the documented dict schema would
    # cost more than building it.
    return JsonResponse(result, encoder=NinjaJSONEncoder)


CODE = Path(
    ..., pattern=AREA_CODE, description="ONS area code (LSOA, ward, local authority, force) or town slug"
)


@router.get(
    "/areas/{code}/hotspots",
    response=responses(None, 404),
    summary="Hotspots: counts, KDE and Gi* per grid cell (GeoJSON)",
    description=BUDGET,
)
def area_hotspots(request: HttpRequest, query: Query[GridQuery], code: str = CODE) -> HttpResponse:
    area = area_or_404(code)
    period = period_of(area, query)
    return _answer(lambda: analyses.hotspots(area, period, query.crime_type, _grid_params(query)))


@router.get(
    "/areas/{code}/hotspot-change",
    response=responses(None, 404),
    summary="Change per grid cell between two periods (GeoJSON)",
    description=BUDGET,
)
def area_hotspot_change(request: HttpRequest, query: Query[ChangeQuery], code: str = CODE) -> HttpResponse:
    area = area_or_404(code)
    period = period_of(area, query)
    before = None
    if query.before_from or query.before_to:
        if not (query.before_from and query.before_to):
            raise HttpError(422, "'before_from': give both before_from and before_to, or neither")
        try:
            before = resolve_period(
                area, query.before_from, query.before_to, query.compare, names=("before_from", "before_to")
            )
        except PeriodError as exc:
            raise HttpError(422, str(exc)) from exc
    return _answer(
        lambda: analyses.hotspot_change(
            area, period, query.crime_type, _grid_params(query), before=before, split=query.split
        )
    )


@router.get(
    "/areas/{code}/hotspot-classes",
    response=responses(None, 404),
    summary="Emerging-hotspot class per grid cell (GeoJSON)",
    description=BUDGET,
)
def area_hotspot_classes(request: HttpRequest, query: Query[ClassesQuery], code: str = CODE) -> HttpResponse:
    area = area_or_404(code)
    period = period_of(area, query)
    return _answer(
        lambda: analyses.hotspot_classes(
            area, period, query.crime_type, _grid_params(query), period_months=query.period_months
        )
    )


@router.get(
    "/areas/{code}/repeat-locations",
    response=responses(RepeatLocationsOut, 404),
    summary="Snap points (published points, every label they carry) ranked by records, with the snap-point caveat",
    description=BUDGET,
)
def area_repeat_locations(request: HttpRequest, query: Query[RepeatQuery], code: str = CODE) -> HttpResponse:
    area = area_or_404(code)
    period = period_of(area, query)
    return _answer(lambda: analyses.repeat_locations_for(area, period, query.crime_type, top=query.top))


@router.get(
    "/areas/{code}/alerts",
    response=responses(None, 404),
    summary="Emerging-trend alerts for the areas within this one × crime type",
    description=" Every month of the period is tested; for the latest month alone give 'from' and 'to' the same"
    " month, as the area page does. Refused with a 422 naming the fix when over the analysis budget (series ×"
    " months tested)." + PERIOD_RULE,
)
def area_alerts(request: HttpRequest, query: Query[AlertQuery], code: str = CODE) -> HttpResponse:
    area = area_or_404(code)
    period = period_of(area, query)
    return _answer(
        lambda: analyses.alerts_for(
            area, period, query.crime_type, level=query.level, alpha=query.alpha, baseline=query.baseline
        )
    )
