"""The profile's change: one measure compared per day, tested for more than noise.

Why a module of its own: the change decides what a CSP quotes ("up 8%, significant"), so its
definition lives in one place. It compares the loaded months only, with their days as exposure
(a missing month is neither zero nor a reason to compare 11 months with 12), and its test
allows for the over-dispersion of the area's own monthly counts (see analytics.change).
"""

from __future__ import annotations

from typing import Any

from saferhood.analytics.change import (
    MIN_DISPERSION_MONTHS,
    compare_rates,
    describe_rate_test,
    estimate_dispersion,
    p_value_text,
)
from saferhood.core.months import days_in, month_index

DISPERSION_WINDOW = 24  # loaded months up to the period's end


def dispersion_window(covered: set[str], end: str) -> list[str]:
    """The loaded months the over-dispersion is estimated from: the last 24 up to ``end``."""
    return sorted(m for m in covered if m <= end)[-DISPERSION_WINDOW:]


def _untested(measure: str, label: str, reason: str) -> dict[str, Any]:
    return {
        "measure": measure,
        "label": label,
        "absolute": None,
        "percent": None,
        "significant": None,
        "p_value": None,
        "p_value_text": None,
        "exposure": None,
        "test": f"not tested: {reason}",
    }


def measured_change(
    monthly: dict[str, int],
    *,
    measure: str,
    label: str,
    period_months: list[str],
    previous_months: list[str],
    covered: set[str],
) -> dict[str, Any]:
    """The change in one measure between the period and its comparison period.

    ``monthly`` holds the measure's count per month (a loaded month absent from it is zero);
    ``covered`` is the set of loaded months. Months with no data on either side are left out and
    each side's exposure is the days of its loaded months, stated in ``exposure``.
    """
    now = [m for m in period_months if m in covered]
    before = [m for m in previous_months if m in covered]
    if not now or not before:
        return _untested(
            measure,
            label,
            "no complete month of data in "
            + ("this period" if not now else "the comparison period")
            + " (none loaded, or only partial months)",
        )
    window = dispersion_window(covered, period_months[-1])
    phi = estimate_dispersion(
        [monthly.get(m, 0) for m in window], [days_in(m) for m in window], [month_index(m) for m in window]
    )
    result = compare_rates(
        sum(monthly.get(m, 0) for m in now),
        sum(monthly.get(m, 0) for m in before),
        current_days=sum(days_in(m) for m in now),
        previous_days=sum(days_in(m) for m in before),
        dispersion=phi or 1.0,
    )
    missing = [
        f"{len(months) - len(loaded)} month{'s' if len(months) - len(loaded) != 1 else ''} missing in {side}"
        for side, months, loaded in (
            ("this period", period_months, now),
            ("the comparison period", previous_months, before),
        )
        if len(loaded) < len(months)
    ]
    exposure = f"per day: {result.current_days} days against {result.previous_days}"
    if missing:
        exposure += " (loaded months only; " + ", ".join(missing) + ")"
    tested = phi is not None
    if tested:
        test = describe_rate_test(phi, len(window), window[0], window[-1])
    else:
        test = (
            f"not tested: fewer than {MIN_DISPERSION_MONTHS} loaded months up to {period_months[-1]} "
            "to estimate how much the area's monthly counts vary"
        )
    return {
        "measure": measure,
        "label": label,
        "current": result.current,
        "previous": result.previous,
        "current_days": result.current_days,
        "previous_days": result.previous_days,
        "current_per_day": result.current_per_day,
        "previous_per_day": result.previous_per_day,
        "exposure": exposure,
        "absolute": result.absolute,
        "absolute_basis": (
            f"this period's {result.current:,} against the comparison period's daily rate over the same "
            f"{result.current_days} days ({result.previous * result.current_days / result.previous_days:,.0f})"
        ),
        "percent": result.percent,
        "significant": result.significant if tested else None,
        "p_value": result.p_value if tested else None,
        "p_value_text": p_value_text(result.p_value) if tested else None,
        "dispersion": result.dispersion if tested else None,
        "dispersion_window": {"from": window[0], "to": window[-1], "months": len(window)} if tested else None,
        "test": f"{test}; compared {exposure}",
    }
