"""The partial-month rule recomputed with pandas, without Saferhood's code (README "Partial months").

A local authority-month is partial when its records per day are below 70% of the median per day
of the same local authority's other loaded months within ±6 months, where that usual month holds
at least 500 records. Months the count import already set aside (below 20% of the source's
median month) are not loaded, so they are left out of the neighbours.
"""

from __future__ import annotations

import calendar

import pandas as pd


def per_day(month: str) -> int:
    year, number = int(month[:4]), int(month[5:])
    return calendar.monthrange(year, number)[1]


def month_number(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def loaded_totals(totals: pd.Series, *, import_floor: bool = True) -> pd.Series:
    """(lad, month) → records, without the months the count import leaves out (< 20% of the median)."""
    if not import_floor:
        return totals
    medians = totals.groupby(level=0).transform("median")
    return totals[totals >= 0.2 * medians]


def partial_shares(totals: pd.Series) -> dict[tuple[str, str], float]:
    """(lad, month) → share of the usual, for the partial ones among ``totals`` ((lad, month) → records)."""
    result = {}
    for lad, series in totals.groupby(level=0):
        rates = {m: n / per_day(m) for (_, m), n in series.items()}
        for month, rate in rates.items():
            around = [
                r for m, r in rates.items() if m != month and abs(month_number(m) - month_number(month)) <= 6
            ]
            if not around:
                continue
            usual = pd.Series(around).median()
            if usual * per_day(month) >= 500 and rate < 0.7 * usual:
                result[(lad, month)] = rate / usual
    return result
