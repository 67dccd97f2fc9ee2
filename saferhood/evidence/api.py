"""API routes: areas and their profiles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from saferhood.areas.vintages import one_vintage
from saferhood.core.api_errors import responses
from saferhood.evidence.api_period import PERIOD_RULE, PeriodQuery, area_or_404, period_of
from saferhood.evidence.profile_schema import AreaRef, History, Profile
from saferhood.evidence.profiles import ProfileError, build_history, build_profile

# Public open data (docs/adr/0004-public-area-data.md): no sign-in, rate limited by the API object.
router = Router(tags=["areas"])

CODE = Path(
    ...,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$",
    description="ONS area code (LSOA, ward, local authority, partnership, force) or town slug",
)


class AreaOut(AreaRef):
    parent: AreaRef | None = None
    children: list[AreaRef]


class ProfileQuery(PeriodQuery):
    crime_type: str | None = Field(
        None,
        alias="type",
        max_length=100,
        description="all (default), crime (all crime excluding ASB), asb, or one police.uk crime type "
        "(name or API slug)",
    )


@router.get("/areas/{code}", response=responses(AreaOut, 404), summary="An area, its parent and its children")
def area_detail(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    area = area_or_404(code)
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": area.parent,
        "children": one_vintage(list(area.children.order_by("name")))[0],
    }


@router.get(
    "/areas/{code}/profile",
    response=responses(Profile, 404),
    by_alias=True,
    summary="Crime and ASB profile of an area for a period, compared with the period before",
    description=PERIOD_RULE,
)
def area_profile(request: HttpRequest, query: Query[ProfileQuery], code: str = CODE) -> Profile:
    area = area_or_404(code)
    period = period_of(area, query)
    try:
        return build_profile(area, period, crime_type=query.crime_type)
    except ProfileError as exc:
        raise HttpError(422, str(exc)) from exc


class HistoryQuery(Schema):
    crime_type: str | None = Field(None, alias="type", max_length=100, description="as for the profile")


@router.get(
    "/areas/{code}/history",
    response=responses(History, 404),
    summary="Every month with data for an area, first to last, with missing months as gaps (null)",
)
def area_history(request: HttpRequest, query: Query[HistoryQuery], code: str = CODE) -> dict[str, Any]:
    area = area_or_404(code)
    try:
        return build_history(area, query.crime_type)
    except ProfileError as exc:
        raise HttpError(422, str(exc)) from exc


from saferhood.evidence.api_analytics import router as analyses_router  # noqa: E402

router.add_router("", analyses_router)
