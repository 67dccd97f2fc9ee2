"""The period parameters every area route takes (profile and analyses alike), and their one reading."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import field_validator

from saferhood.areas.lookup import find_area
from saferhood.areas.models import Area
from saferhood.evidence.period import (
    COMPARE_DESCRIPTION,
    DEFAULT_COMPARE,
    DEFAULT_RULE,
    FROM_DESCRIPTION,
    TO_DESCRIPTION,
    Period,
    PeriodError,
    resolve_period,
)

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PERIOD_RULE = f" Period: {DEFAULT_RULE}"


class PeriodQuery(Schema):
    """from, to and compare, as the profile, every analysis route and the area page read them."""

    start: str | None = Field(None, alias="from", pattern=MONTH, description=FROM_DESCRIPTION)
    end: str | None = Field(None, alias="to", pattern=MONTH, description=TO_DESCRIPTION)
    compare: str = Field(DEFAULT_COMPARE, pattern=r"^(previous|year)$", description=COMPARE_DESCRIPTION)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _blank_is_not_given(cls, value: object) -> object:
        # A cleared form field arrives as "": the default applies, as on the page.
        return None if isinstance(value, str) and not value.strip() else value


def period_of(area: Area, query: PeriodQuery) -> Period:
    """The request's period by the one rule, or a 422 naming the parameter."""
    try:
        return resolve_period(area, query.start, query.end, query.compare)
    except PeriodError as exc:
        raise HttpError(422, str(exc)) from exc


def area_or_404(code: str) -> Area:
    """The area a route's ``{code}`` names, or a 404 saying which codes are accepted."""
    area = find_area(code)
    if area is None:
        raise HttpError(
            404, f"no area with code {code!r}: use an LSOA, ward or local authority code, or a town slug"
        )
    return area
