"""Calendar months as police.uk writes them: ``YYYY-MM`` strings.

Months are stored as ``YYYY-MM`` text: it sorts and compares correctly and is what every
police.uk file and API call uses, so nothing is lost translating to and from dates.
"""

from __future__ import annotations

import calendar
import re

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class MonthError(ValueError):
    """A month string that is not ``YYYY-MM``."""


def parse_month(value: str) -> tuple[int, int]:
    """Return ``(year, month)`` for a ``YYYY-MM`` string or raise :class:`MonthError`."""
    match = MONTH_RE.match(value or "")
    if not match:
        raise MonthError(f"expected a month as YYYY-MM (for example 2024-03), got {value!r}")
    year = int(match.group(1))
    if not 1900 <= year <= 2100:
        raise MonthError(f"expected a year between 1900 and 2100, got {value!r}")
    return year, int(match.group(2))


def is_month(value: str) -> bool:
    try:
        parse_month(value)
    except MonthError:
        return False
    return True


def month_index(value: str) -> int:
    """Months since year 0, so that differences count months."""
    year, month = parse_month(value)
    return year * 12 + month - 1


def from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(value: str, n: int) -> str:
    return from_index(month_index(value) + n)


def month_range(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive."""
    return [from_index(i) for i in range(month_index(start), month_index(end) + 1)]


def previous_period(start: str, end: str) -> tuple[str, str]:
    """The period of equal length that ends the month before ``start``."""
    length = month_index(end) - month_index(start) + 1
    return add_months(start, -length), add_months(start, -1)


def spans(months: list[str]) -> list[tuple[str, str]]:
    """Runs of consecutive months as (first, last): ['2023-05', '2023-06', '2024-09'] → two runs."""
    result: list[tuple[str, str]] = []
    for month in sorted(months):
        if result and month_index(month) == month_index(result[-1][1]) + 1:
            result[-1] = (result[-1][0], month)
        else:
            result.append((month, month))
    return result


def days_in(month: str) -> int:
    """Calendar days in a month: the exposure a rate per day divides by (28 to 31)."""
    year, number = parse_month(month)
    return calendar.monthrange(year, number)[1]
