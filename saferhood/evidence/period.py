"""The reporting period: which months a figure covers, how many days that is, and what it is compared with.

One :class:`Period` is resolved from a request's ``from``, ``to`` and ``compare`` once, where the
request comes in (the profile API, every analysis route, the area page and its downloads, the
tasking pack), by :func:`resolve_period`, with one defaulting rule (:data:`DEFAULT_RULE`). Everything
after that takes the ``Period``: nothing re-parses month strings or defaults them differently, so
``?to=2023-01`` means the same twelve months on every route and page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area, AreaLevel
from saferhood.core.months import MonthError, add_months, days_in, month_index, month_range, parse_month
from saferhood.evidence.coverage import coverage_for

DEFAULT_MONTHS = 12
MAX_MONTHS = 120  # ten years: longer periods are refused (and would exceed the analysis budget)
# The earliest 'from': a ten-year period's comparison and the alerts' 36-month history stay within
# the months core.months reads (1900 on). police.uk data starts in December 2010 anyway.
EARLIEST = add_months("1900-01", MAX_MONTHS)
COMPARISONS = {
    "previous": "the period before",
    "year": "the same months a year earlier",
}
DEFAULT_COMPARE = "previous"
DEFAULT_RULE = (
    "'to' defaults to the latest month with data for the area; 'from' defaults to the eleven months "
    "before 'to' (twelve months in all). A period runs from 'from' to 'to' inclusive, at most ten years."
)
FROM_DESCRIPTION = "first month, YYYY-MM (default: the eleven months before 'to', so twelve months in all)"
TO_DESCRIPTION = "last month, YYYY-MM (default: the latest month with data for the area)"
COMPARE_DESCRIPTION = (
    "what the period is compared with: previous (the period of the same length just before, default) "
    "or year (the same months a year earlier)"
)


class PeriodError(ValueError):
    """A period that cannot be used as asked; ``parameter`` names the field, ``fix`` says what to change.

    ``str(error)`` is the API's form ("'from': must be ..."); a page writes the field's label before ``fix``.
    """

    def __init__(self, parameter: str, fix: str) -> None:
        super().__init__(f"'{parameter}': {fix}")
        self.parameter = parameter
        self.fix = fix


def _check_month(name: str, value: str) -> None:
    try:
        parse_month(value)
    except MonthError:
        raise PeriodError(
            name, f"must be a month as YYYY-MM (for example 2024-03) from 1900 to 2100, not {value!r}"
        ) from None


@dataclass(frozen=True)
class Period:
    """Months ``start`` to ``end`` (YYYY-MM, inclusive), compared by ``compare`` (previous or year).

    Constructing one validates it, so a Period that exists is a usable one.
    """

    start: str
    end: str
    compare: str = DEFAULT_COMPARE

    def __post_init__(self) -> None:
        _check_month("from", self.start)
        _check_month("to", self.end)
        if month_index(self.start) > month_index(self.end):
            raise PeriodError(
                "from",
                f"must be the same as or before 'to' ({self.end}), not {self.start}: the period is reversed",
            )
        if month_index(self.end) - month_index(self.start) >= MAX_MONTHS:
            raise PeriodError(
                "from", f"must be within ten years of 'to' ({self.end}); choose a shorter period"
            )
        if self.start < EARLIEST:
            raise PeriodError("from", f"must be {EARLIEST} or later")
        if self.compare not in COMPARISONS:
            raise PeriodError("compare", f"must be one of {', '.join(COMPARISONS)}, not {self.compare!r}")

    @cached_property
    def months(self) -> list[str]:
        """Every month of the period, first to last."""
        return month_range(self.start, self.end)

    @property
    def days(self) -> int:
        """Days in the period's months (the exposure a per-day rate divides by)."""
        return sum(days_in(m) for m in self.months)

    @property
    def comparison(self) -> Period:
        """The period compared with: the same number of months just before, or the same months a year earlier."""
        if self.compare == "year":
            return _derived(add_months(self.start, -12), add_months(self.end, -12), self.compare)
        n = len(self.months)
        return _derived(add_months(self.start, -n), add_months(self.start, -1), self.compare)

    @property
    def compare_label(self) -> str:
        return COMPARISONS[self.compare]

    @property
    def year_before(self) -> list[str]:
        """The same months a year earlier (the trend chart's dashed line)."""
        return [add_months(m, -12) for m in self.months]

    def last_month(self) -> Period:
        """The period's last month alone (what the page's and the pack's alerts test)."""
        return Period(self.end, self.end, self.compare)

    def __len__(self) -> int:
        return len(self.months)

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"


def _derived(start: str, end: str, compare: str) -> Period:
    """A period derived from a checked one (its comparison): it may start before EARLIEST, by design."""
    period = object.__new__(Period)
    for name, value in (("start", start), ("end", end), ("compare", compare)):
        object.__setattr__(period, name, value)
    return period


def latest_month(area: Area) -> str | None:
    """The latest month with complete data for all of the area's local authorities (None: none loaded)."""
    months = coverage_for(lad_codes(area), need_lsoa=area.level == AreaLevel.LSOA).complete_months()
    return max(months) if months else None


def resolve_period(
    area: Area,
    start: str | None = None,
    end: str | None = None,
    compare: str | None = None,
    *,
    names: tuple[str, str] = ("from", "to"),
) -> Period:
    """The period a request for ``area`` asks for, defaults filled in by the one rule (:data:`DEFAULT_RULE`).

    Blank values count as not given. ``names`` are the request's names for from and to, so an error
    names the field that was asked (a default is never blamed: the given month is). Raises
    :class:`PeriodError` naming the parameter.
    """
    start, end, compare = ((v or "").strip() or None for v in (start, end, compare))
    for name, value in zip(names, (start, end), strict=True):
        if value is not None:
            _check_month(name, value)
    given = {"from": start is not None, "to": end is not None}
    if end is None:
        end = latest_month(area) or _this_month()
    if start is None:
        start = add_months(end, -(DEFAULT_MONTHS - 1))
    try:
        return Period(start, end, compare or DEFAULT_COMPARE)
    except PeriodError as exc:
        blamed = exc.parameter
        if blamed in given and not given[blamed]:
            blamed = "to" if blamed == "from" else "from"
        name = dict(zip(("from", "to"), names, strict=True)).get(blamed, blamed)
        fix = exc.fix
        if not given["to"]:
            fix = fix.replace(f"'to' ({end})", f"the latest month with data ({end})")
        fix = fix.replace("'to'", f"'{names[1]}'")
        raise PeriodError(name, fix) from None


def _this_month() -> str:
    from django.utils import timezone  # only when no data is loaded: the period still has an end

    today = timezone.now().date()
    return f"{today.year:04d}-{today.month:02d}"
