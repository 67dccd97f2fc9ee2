"""API routes: areas and their profiles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from saferhood.areas.lookup import find_area
from saferhood.areas.vintages import one_vintage
from saferhood.core.api_errors import responses
from saferhood.evidence.profiles import ProfileError, build_history, build_profile, default_period

# Public open data (docs/adr/0004-public-area-data.md): no sign-in, rate limited by the API object.
router = Router(tags=["areas"])

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
CODE = Path(
    ...,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$",
    description="ONS area code (LSOA, ward, local authority, partnership, force) or town slug",
)


class AreaRef(Schema):
    code: str
    name: str
    level: str


class AreaOut(AreaRef):
    parent: AreaRef | None = None
    children: list[AreaRef]


class ProfileQuery(Schema):
    start: str | None = Field(
        None, alias="from", pattern=MONTH, description="first month, YYYY-MM (default: 11 months before 'to')"
    )
    end: str | None = Field(
        None, alias="to", pattern=MONTH, description="last month, YYYY-MM (default: latest month with data)"
    )
    crime_type: str | None = Field(
        None,
        alias="type",
        max_length=100,
        description="all (default), crime (all crime excluding ASB), asb, or one police.uk crime type "
        "(name or API slug)",
    )
    compare: str = Field(
        "previous",
        pattern=r"^(previous|year)$",
        description="previous (the period just before, default) or year (a year earlier)",
    )


class ProfileArea(AreaRef):
    parent: AreaRef | None
    population: int | None
    population_vintage: str | None


class Period(Schema):
    start: str = Field(..., alias="from")
    end: str = Field(..., alias="to")
    months: int | None = None


class DispersionWindow(Schema):
    start: str = Field(..., alias="from")
    end: str = Field(..., alias="to")
    months: int


class Change(Schema):
    """One measure compared per day over the loaded months of each period (see README)."""

    measure: str
    label: str
    current: int | None = None
    previous: int | None = None
    current_days: int | None = None
    previous_days: int | None = None
    current_per_day: float | None = None
    previous_per_day: float | None = None
    exposure: str | None
    absolute: int | None
    absolute_basis: str | None = None
    percent: float | None
    significant: bool | None
    p_value: float | None
    p_value_text: str | None
    dispersion: float | None = None
    dispersion_window: DispersionWindow | None = None
    test: str


NO_DATA = "why every figure is null: no data loaded for the period, or only partial months (see README)"


class GapReason(Schema):
    month: str
    reason: str = Field(..., description="'no data loaded for YYYY-MM' or 'partial month: N% of the usual'")


class Previous(Schema):
    period: Period
    crimes: int | None
    asb: int | None
    by_type: dict[str, int]
    rate_per_1000: float | None
    gaps: list[str]
    gap_reasons: list[GapReason] = Field(default_factory=list)
    no_data_reason: str | None = Field(None, description=NO_DATA)


class MonthPoint(Schema):
    month: str
    crimes: int | None
    asb: int | None


class ChildArea(AreaRef):
    vintages: str
    crimes: int | None
    asb: int | None
    population: int | None
    rate_per_1000: float | None
    asb_rate_per_1000: float | None
    no_data_reason: str | None = Field(None, description="why this area's figures are null")


class Choice(Schema):
    key: str
    label: str


class SourceMonths(Schema):
    source: str
    months: list[str]


class SetAsideOut(Schema):
    source: str
    months: list[str]
    reason: str = Field(..., description="why another source answered these months instead")


class Geography(Schema):
    """Which LSOA and ward vintage the figures use, and how this area answers (ADR 0005)."""

    rule: str
    lsoa_vintage: str
    ward_vintage: str | None
    area_vintage: str | None
    answers: str = Field(
        ...,
        description="current; successors or predecessors (answers through the other-vintage codes "
        "covering the same ground, listed in 'through'); shared or retired (figures of other-vintage "
        "months are not applicable)",
    )
    through: list[str]
    not_applicable_months: list[str]
    applicable: bool = Field(..., description="false: no month of the period can be answered (figures null)")
    notes: list[str]


class Profile(Schema):
    area: ProfileArea
    period: Period
    type: Choice
    compare: Choice
    crimes: int | None = Field(..., description="null when no month of the period has data (never 0)")
    asb: int | None
    no_data_reason: str | None = Field(None, description=NO_DATA)
    by_type: dict[str, int]
    rate_per_1000: float | None
    rate_basis: str
    previous: Previous
    change: Change
    asb_change: Change | None
    series: list[MonthPoint]
    series_year_before: list[MonthPoint]
    gaps: list[str]
    gap_reasons: list[GapReason] = Field(
        default_factory=list, description="each gap month with why: no data loaded, or a partial month"
    )
    sources: list[SourceMonths] = Field(
        ..., description="the one source that answered each month (records over counts; see README 'Counts')"
    )
    sources_set_aside: list[SetAsideOut] = Field(
        default_factory=list, description="sources that covered some months but were not added, and why"
    )
    children: list[ChildArea]
    geography: Geography


def _area_or_404(code: str):
    area = find_area(code)
    if area is None:
        raise HttpError(
            404, f"no area with code {code!r}: use an LSOA, ward or local authority code, or a town slug"
        )
    return area


@router.get("/areas/{code}", response=responses(AreaOut, 404), summary="An area, its parent and its children")
def area_detail(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    area = _area_or_404(code)
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
)
def area_profile(request: HttpRequest, query: Query[ProfileQuery], code: str = CODE) -> dict[str, Any]:
    area = _area_or_404(code)
    start, end = query.start, query.end
    if start is None or end is None:
        default_start, default_end = default_period(area)
        if end is None:
            end = default_end
        if start is None:
            from saferhood.core.months import MonthError, add_months

            try:
                start = add_months(end, -11)
            except MonthError:
                start = default_start
    try:
        return build_profile(area, start, end, crime_type=query.crime_type, compare=query.compare)
    except ProfileError as exc:
        raise HttpError(422, str(exc)) from exc


class History(Schema):
    type: Choice
    series: list[MonthPoint]
    gaps: list[str]
    gap_reasons: list[GapReason] = Field(default_factory=list)
    sources: list[SourceMonths]


class HistoryQuery(Schema):
    crime_type: str | None = Field(None, alias="type", max_length=100, description="as for the profile")


@router.get(
    "/areas/{code}/history",
    response=responses(History, 404),
    summary="Every month with data for an area, first to last, with missing months as gaps (null)",
)
def area_history(request: HttpRequest, query: Query[HistoryQuery], code: str = CODE) -> dict[str, Any]:
    area = _area_or_404(code)
    try:
        return build_history(area, query.crime_type)
    except ProfileError as exc:
        raise HttpError(422, str(exc)) from exc


from saferhood.evidence.api_analytics import router as analyses_router  # noqa: E402

router.add_router("", analyses_router)
