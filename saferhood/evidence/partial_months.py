"""Partial months: a local authority-month whose source published only part of its crimes.

police.uk pulls that dropped tiles, or late force submissions, leave months with 20–70% of the
usual records. Served as complete they read as a "significant fall", so coverage treats them as
gaps, listed with the reason "partial month: N% of the usual".

The rule (one place; coverage applies it, so profiles, analyses, alerts and the pack follow it):
a local authority-month is **partial** when its records per day are below ``PARTIAL_SHARE`` (70%)
of the median per day of the same local authority's *other* loaded months within ±``WINDOW``
(6) months — the area's own neighbouring months, so seasons and long trends do not trip it — and
only where that usual month holds at least ``MIN_USUAL`` (500) records, so that a small area's
chance low month is never flagged (at 500 a month, 70% is more than three standard deviations
below even at four times Poisson variance). Per day, so a 28-day February is not 10% "missing".
"""

from __future__ import annotations

import calendar
import statistics
from collections import defaultdict
from datetime import datetime

from django.db.models import Sum

from saferhood.core.months import add_months, parse_month
from saferhood.crime.models import MonthlyCount

PARTIAL_SHARE = 0.7
WINDOW = 6
MIN_USUAL = 500

# Totals of a run never change once stored (a replacement is a new run), so they are kept by
# (run id, its creation time, local authority) and read once per process.
_TOTALS: dict[tuple[int, datetime, str], dict[str, int]] = {}
_MAX_HELD = 5000


def _days(month: str) -> int:
    year, number = parse_month(month)
    return calendar.monthrange(year, number)[1]


def partial_reason(share: float) -> str:
    """The gap's reason as pages and the API state it."""
    return f"partial month: {round(100 * share)}% of the usual"


def run_totals(keys: set[tuple[int, datetime, str]]) -> dict[tuple[int, datetime, str], dict[str, int]]:
    """Records per month for each (run, created, local authority), read from the count table once."""
    held = {k: _TOTALS[k] for k in keys if k in _TOTALS}  # before the cache may be emptied below
    missing = keys - held.keys()
    if missing:
        runs = {run for run, _, _ in missing}
        lads = {lad for _, _, lad in missing}
        created = {run: when for run, when, _ in missing}
        found: dict[tuple[int, datetime, str], dict[str, int]] = defaultdict(dict)
        rows = (
            MonthlyCount.objects.filter(lad_code__in=lads, run_id__in=runs)
            .values_list("run_id", "lad_code", "month")
            .annotate(n=Sum("count"))
            .order_by()
        )
        for run, lad, month, n in rows:
            found[(run, created[run], lad)][month] = int(n)
        if len(_TOTALS) > _MAX_HELD:
            _TOTALS.clear()
        for key in missing:
            held[key] = _TOTALS[key] = dict(found.get(key, {}))
    return held


def partial_months(totals: dict[tuple[str, str], int]) -> dict[tuple[str, str], float]:
    """The partial (local authority, month)s among these totals, each with its share of the usual.

    ``totals`` holds, for each loaded (local authority, month), the records of the one source
    that answers it.
    """
    by_lad: dict[str, dict[str, float]] = defaultdict(dict)
    for (lad, month), n in totals.items():
        by_lad[lad][month] = n / _days(month)
    partial: dict[tuple[str, str], float] = {}
    for lad, per_day in by_lad.items():
        for month, rate in per_day.items():
            lo, hi = add_months(month, -WINDOW), add_months(month, WINDOW)
            around = [r for m, r in per_day.items() if lo <= m <= hi and m != month]
            if not around:
                continue
            usual = statistics.median(around)
            if usual * _days(month) < MIN_USUAL:
                continue
            if rate < PARTIAL_SHARE * usual:
                partial[(lad, month)] = rate / usual
    return partial
