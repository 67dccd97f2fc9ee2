"""The typed area profile: one schema used by the API, the area page, the downloads and the tasking pack.

``build_profile`` returns a :class:`Profile`; the API serialises it (``from``/``to`` by alias), pages
and templates read its attributes (``profile.period.start``), the pack stores ``model_dump``. A
figure is therefore named once, here, not by string keys in each reader.
"""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from saferhood.evidence.period import Period


class AreaRef(Schema):
    code: str
    name: str
    level: str


class ProfileArea(AreaRef):
    parent: AreaRef | None
    population: int | None
    population_vintage: str | None


class PeriodOut(Schema):
    """A period as the profile states it: its months and days (the per-day exposure) included."""

    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(..., alias="from")
    end: str = Field(..., alias="to")
    months: int | None = None
    days: int | None = Field(None, description="days in the period's months")

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(start=period.start, end=period.end, months=len(period), days=period.days)


class DispersionWindow(Schema):
    model_config = ConfigDict(populate_by_name=True)

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
    period: PeriodOut
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
    period: PeriodOut
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


class History(Schema):
    type: Choice
    series: list[MonthPoint]
    gaps: list[str]
    gap_reasons: list[GapReason] = Field(default_factory=list)
    sources: list[SourceMonths]
