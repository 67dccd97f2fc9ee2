"""Area profiles: how much, what kind, where, and is it going up or down.

A profile sums :class:`MonthlyCount` rows (never records), so it costs a few hundred rows of
arithmetic whatever the number of records. Months for which no data is loaded for the area's
local authority are *gaps*: shown as such, never as zeros; a change compares the loaded months
only, per day (see ``profile_change``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from django.db.models import Sum

from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area, AreaLevel, Population
from saferhood.areas.vintages import lsoa_attribution, one_vintage
from saferhood.core.months import month_range
from saferhood.crime.models import ASB, CRIME_TYPES, MonthlyCount
from saferhood.evidence.coverage import Coverage, coverage_for
from saferhood.evidence.period import Period
from saferhood.evidence.profile_change import dispersion_window, measured_change
from saferhood.evidence.profile_geography import (
    applicable,
    is_lsoa_list,
    lsoa_children,
    not_applicable_figures,
)
from saferhood.evidence.profile_schema import PeriodOut, Profile

# Which placement column on MonthlyCount holds an area of each level.
LEVEL_COLUMN = {
    AreaLevel.LSOA: "lsoa_code",
    AreaLevel.WARD: "ward_code",
    AreaLevel.TOWN: "town_code",
    AreaLevel.LAD: "lad_code",
}
POPULATION_VINTAGES = ("mid-2022", "census-2021")  # preferred first
RATE_BASIS = "crimes excluding anti-social behaviour per 1,000 residents"


class ProfileError(ValueError):
    """A profile request that cannot be answered as asked (an unknown type); the period is checked by Period."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


# Type filters: everything, the two groups a CSP reports separately, or one police.uk type.
TYPE_ALL = "all"
TYPE_CRIME = "crime"
TYPE_ASB = "asb"
TYPE_GROUPS = {
    TYPE_ALL: "All crime and ASB",
    TYPE_CRIME: "All crime (excluding ASB)",
    TYPE_ASB: "Anti-social behaviour",
}


def resolve_type(value: str | None) -> tuple[str, str]:
    """The type filter as (key, label): a group key or a police.uk type name (API slugs accepted)."""
    value = (value or "").strip()
    if not value or value.lower() in TYPE_GROUPS:
        key = value.lower() or TYPE_ALL
        return key, TYPE_GROUPS[key]
    if value in CRIME_TYPES:
        value = CRIME_TYPES[value]
    if value == ASB:
        return TYPE_ASB, TYPE_GROUPS[TYPE_ASB]
    if value in CRIME_TYPES.values():
        return value, value
    known = ", ".join(sorted(CRIME_TYPES.values()))
    raise ProfileError(
        f"'type': unknown crime type {value!r}; use all, crime, asb or one of: {known}", "type"
    )


def type_matches(key: str, crime_type: str) -> bool:
    """Whether a police.uk type name falls under a type filter key."""
    if key == TYPE_ALL:
        return True
    if key == TYPE_CRIME:
        return crime_type != ASB
    if key == TYPE_ASB:
        return crime_type == ASB
    return crime_type == key


def area_filter(area: Area) -> dict[str, Any]:
    """Filter on MonthlyCount for the area, led by a column that has an index."""
    if area.level == AreaLevel.TOWN:
        return {"lad_code__in": lad_codes(area), "town_code": area.code}
    if area.level == AreaLevel.LSOA:
        # Its own code plus any other-vintage codes covering exactly its ground (ADR 0005).
        return {"lad_code__in": lad_codes(area), "lsoa_code__in": lsoa_attribution(area).codes}
    column = LEVEL_COLUMN.get(area.level)
    if column:
        return {column: area.code}
    return {"lad_code__in": lad_codes(area)}


def population_of(area: Area) -> tuple[int | None, str | None]:
    rows = dict(
        Population.objects.filter(area=area, vintage__in=POPULATION_VINTAGES).values_list("vintage", "count")
    )
    for vintage in POPULATION_VINTAGES:
        if vintage in rows:
            return rows[vintage], vintage
    return None, None


def covered_months(area: Area) -> dict[str, list[str]]:
    """Months with data for all of the area's local authorities, with the sources that supplied them."""
    cov = coverage_for(lad_codes(area), need_lsoa=area.level == AreaLevel.LSOA)
    return {m: sorted(cov.sources[m]) for m in sorted(cov.complete_months())}


def count_rows(area: Area, cov: Coverage, start: str, end: str, *extra: str) -> list[dict[str, Any]]:
    """Monthly count rows for the area, keeping for each LAD-month only the one source coverage chose.

    Rows are read per import run, so two sources holding the same LAD-month are never added up.
    """
    rows = (
        MonthlyCount.objects.filter(**area_filter(area), month__gte=start, month__lte=end)
        .values("lad_code", "month", "crime_type", "run_id", *extra)
        .annotate(n=Sum("count"))
        .order_by()
    )
    return [r for r in rows if cov.uses(r["lad_code"], r["month"], r["run_id"])]


def _rate(crimes: int | None, population: int | None) -> float | None:
    if crimes is None or not population:
        return None
    return round(1000.0 * crimes / population, 2)


def _tally(rows: list[dict[str, Any]], months: set[str]) -> dict[str, Any]:
    by_type: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["month"] in months:
            by_type[row["crime_type"]] += row["n"]
    asb = by_type.get(ASB, 0)
    crimes = sum(n for t, n in by_type.items() if t != ASB)
    return {
        "crimes": crimes,
        "asb": asb,
        "by_type": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


# A split 2011 LSOA's part, for months its old code holds rows: the old rows cannot be divided.
NOT_APPLICABLE_CHILD = (
    "not applicable for this period: its records were published under a 2011 LSOA it shares with "
    "others (see geography)"
)


def _children(
    area: Area,
    cov: Coverage,
    start: str,
    end: str,
    covered: set[str],
    type_key: str,
    no_data: str | None = None,
) -> list[dict[str, Any]]:
    """The areas within, over the parent's covered months (so they add up to its headline).

    Where those months hold no data for a child (none are covered, or its records are not placed
    down to its level), its figures are None with the reason, never 0.
    """
    # One vintage only: the newest ward pattern, LSOA 2021 (a 2011 code and its parts never both).
    children, _ = one_vintage(list(Area.objects.filter(parent=area).order_by("name")))
    if not children:
        return []
    pops = dict(
        Population.objects.filter(area__in=children, vintage=POPULATION_VINTAGES[0]).values_list(
            "area_id", "count"
        )
    )
    months = {m for m in covered if start <= m <= end}
    if any(c.level == AreaLevel.LSOA for c in children) and area.level != AreaLevel.LSOA:
        # An LSOA's figure needs records placed down to LSOA (not API records placed by ward).
        lsoa_months = months & coverage_for(lad_codes(area), need_lsoa=True).complete_months()
        if months and not lsoa_months:
            no_data = no_data or "the records for this period are placed down to ward only, not to LSOA"
        months = lsoa_months
    # A partnership has no placement column: its figures are its local authorities' (lad_code).
    of_lad = {lad: c.code for c in children if c.level not in LEVEL_COLUMN for lad in lad_codes(c)}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"crimes": 0, "asb": 0})
    for level in {c.level for c in children}:
        column = LEVEL_COLUMN.get(level, "lad_code" if of_lad else None)
        if column is None:
            continue
        for row in count_rows(area, cov, start, end, column):
            if row["month"] not in months or not type_matches(type_key, row["crime_type"]):
                continue
            code = of_lad.get(row[column]) if column == "lad_code" and of_lad else row[column]
            key = "asb" if row["crime_type"] == ASB else "crimes"
            totals[code][key] += row["n"]
    if is_lsoa_list(children):
        totals = lsoa_children([c.code for c in children], totals, months, cov.lad_codes)
    reason = (no_data or "no data loaded for this period") if not months else None
    result = []
    for child in children:
        t = totals.get(child.code, {"crimes": 0, "asb": 0})
        child_reason = reason or (None if t else NOT_APPLICABLE_CHILD)
        crimes, asb = (None, None) if child_reason else (t["crimes"], t["asb"])
        population = pops.get(child.pk)
        result.append(
            {
                "code": child.code,
                "name": child.name,
                "level": child.level,
                "vintages": child.vintages,
                "crimes": crimes,
                "asb": asb,
                "population": population,
                "rate_per_1000": _rate(crimes, population),
                "asb_rate_per_1000": _rate(asb, population),
                "no_data_reason": child_reason,
            }
        )
    return result


def no_data_reason(cov: Coverage, months: list[str]) -> str:
    """Why a period (or month) has no figure: nothing loaded, or only partial months."""
    if len(months) == 1:
        return cov.gap_reason(months[0])
    partial = [
        f"{m} {cov.gap_reason(m)}" for m in months if any((lad, m) in cov.partial for lad in cov.lad_codes)
    ]
    return f"this area has no data for any month of the period ({months[0]} to {months[-1]})" + (
        f"; {'; '.join(partial)}" if partial else ""
    )


NOT_APPLICABLE_REASON = "not applicable: this month's figures are held under another vintage (see geography)"


def gap_reasons(cov: Coverage, gaps: list[str], not_applicable: Collection[str] = ()) -> list[dict[str, str]]:
    """Each gap month with why it is a gap: no data loaded, a partial month, or not applicable."""
    held_elsewhere = set(not_applicable)
    return [
        {"month": m, "reason": NOT_APPLICABLE_REASON if m in held_elsewhere else cov.gap_reason(m)}
        for m in gaps
    ]


def _sources(covered_by: dict[str, list[str]], months: list[str]) -> list[dict[str, Any]]:
    """Which source supplied which of the period's months."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for month in months:
        for source in covered_by.get(month, []):
            by_source[source].append(month)
    return [{"source": source, "months": ms} for source, ms in sorted(by_source.items())]


def _set_aside(cov: Coverage, months: list[str]) -> list[dict[str, Any]]:
    """Sources that covered some of the period's months but did not answer them, and why."""
    wanted = set(months)
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for aside in cov.set_aside:
        if aside.month in wanted:
            grouped[(aside.source, aside.reason)].add(aside.month)
    return [
        {"source": source, "months": sorted(ms), "reason": reason}
        for (source, reason), ms in sorted(grouped.items())
    ]


def _monthly_by_measure(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each measure's count per month: crimes (excluding ASB) and ASB."""
    monthly: dict[str, dict[str, int]] = {"crimes": defaultdict(int), "asb": defaultdict(int)}
    for row in rows:
        monthly["asb" if row["crime_type"] == ASB else "crimes"][row["month"]] += row["n"]
    return monthly


def _measures(type_key: str, type_label: str) -> dict[str, str]:
    """What the change compares under a type filter: each measure with its own change and test."""
    asb = "anti-social behaviour incidents"
    if type_key == TYPE_ASB:
        return {"asb": asb}
    crimes = "crimes (excluding ASB)" if type_key in (TYPE_ALL, TYPE_CRIME) else f"{type_label} crimes"
    return {"crimes": crimes, "asb": asb} if type_key == TYPE_ALL else {"crimes": crimes}


def _monthly_series(rows: list[dict[str, Any]], months: list[str], covered: set[str]) -> list[dict[str, Any]]:
    """Crimes and ASB per month; a month without data is None (a gap), never zero."""
    monthly: dict[str, dict[str, int]] = defaultdict(lambda: {"crimes": 0, "asb": 0})
    for row in rows:
        key = "asb" if row["crime_type"] == ASB else "crimes"
        monthly[row["month"]][key] += row["n"]
    return [
        {"month": m, "crimes": monthly[m]["crimes"], "asb": monthly[m]["asb"]}
        if m in covered
        else {"month": m, "crimes": None, "asb": None}
        for m in months
    ]


def build_profile(area: Area, period: Period, *, crime_type: str | None = None) -> Profile:
    """The area's profile for ``period``, compared with ``period.comparison``.

    ``crime_type`` narrows every figure to a type group (``all``, ``crime``, ``asb``) or one
    police.uk type; the comparison is ``period.compare`` (the period just before, or the same
    months a year earlier). The series also carries the same months a year earlier, for the
    "this year against last" trend chart.
    """
    start, end = period.start, period.end
    type_key, type_label = resolve_type(crime_type)
    comparison = period.comparison
    prev_start = comparison.start
    cov = coverage_for(lad_codes(area), need_lsoa=area.level == AreaLevel.LSOA)
    covered, geography = applicable(area, cov)  # less the months not applicable (ADR 0005)
    covered_by = {m: sorted(cov.sources[m]) for m in covered}
    period_months = period.months
    previous_months = comparison.months
    year_before_months = period.year_before

    # The change test estimates over-dispersion from the loaded months up to the period's end.
    earliest = min([prev_start, year_before_months[0], *dispersion_window(covered, end)[:1]])
    rows = [r for r in count_rows(area, cov, earliest, end) if type_matches(type_key, r["crime_type"])]
    now = _tally(rows, set(period_months) & covered)
    before = _tally(rows, set(previous_months) & covered)
    population, vintage = population_of(area)

    gaps = [m for m in period_months if m not in covered]
    previous_gaps = [m for m in previous_months if m not in covered]
    no_previous = len(previous_gaps) == len(previous_months)
    # No loaded month: every figure is None with the reason, never a count of zero.
    no_data = no_data_reason(cov, period_months) if len(gaps) == len(period_months) else None
    if no_data and set(period_months) <= set(geography["not_applicable_months"]):
        no_data = "not applicable for this period: its figures are held under another vintage (see geography)"
    if no_data:
        now = {"crimes": None, "asb": None, "by_type": {}}
    monthly = _monthly_by_measure(rows)
    changes = {
        measure: measured_change(
            monthly[measure],
            measure=measure,
            label=label,
            period_months=period_months,
            previous_months=previous_months,
            covered=covered,
        )
        for measure, label in _measures(type_key, type_label).items()
    }
    change = changes["asb" if type_key == TYPE_ASB else "crimes"]
    if no_previous:
        before = {"crimes": None, "asb": None, "by_type": {}}

    parent = area.parent
    profile = {
        "area": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": {"code": parent.code, "name": parent.name, "level": parent.level} if parent else None,
            "population": population,
            "population_vintage": vintage,
        },
        "period": PeriodOut.of(period),
        "type": {"key": type_key, "label": type_label},
        "compare": {"key": period.compare, "label": period.compare_label},
        "crimes": now["crimes"],
        "asb": now["asb"],
        "by_type": now["by_type"],
        "rate_per_1000": _rate(now["crimes"], population),
        "rate_basis": RATE_BASIS + (f" ({vintage} population)" if vintage else ""),
        "previous": {
            "period": PeriodOut.of(comparison),
            "crimes": before["crimes"],
            "asb": before["asb"],
            "by_type": before["by_type"],
            "rate_per_1000": _rate(before["crimes"], population),
            "gaps": previous_gaps,
            "gap_reasons": gap_reasons(cov, previous_gaps, geography["not_applicable_months"]),
            "no_data_reason": no_data_reason(cov, previous_months) if no_previous else None,
        },
        "change": change,
        "asb_change": changes.get("asb") if type_key in (TYPE_ALL, TYPE_ASB) else None,
        "series": _monthly_series(rows, period_months, covered),
        "series_year_before": _monthly_series(rows, year_before_months, covered),
        "gaps": gaps,
        "gap_reasons": gap_reasons(cov, gaps, geography["not_applicable_months"]),
        "no_data_reason": no_data,
        "sources": _sources(covered_by, period_months),
        "sources_set_aside": _set_aside(cov, period_months),
        "children": _children(area, cov, start, end, covered, type_key, no_data),
        "geography": geography,
    }
    return Profile.model_validate(not_applicable_figures(profile))


def build_history(area: Area, crime_type: str | None = None) -> dict[str, Any]:
    """Every month from the first to the last with data for the area, gaps included as None.

    The long view an overview opens with: a month missing from every source is a gap in the
    series (and listed in ``gaps``), never a zero.
    """
    type_key, type_label = resolve_type(crime_type)
    cov = coverage_for(lad_codes(area), need_lsoa=area.level == AreaLevel.LSOA)
    covered, geography = applicable(area, cov)
    if not covered:
        return {
            "type": {"key": type_key, "label": type_label},
            "series": [],
            "gaps": [],
            "gap_reasons": [],
            "sources": [],
        }
    months = month_range(min(covered), max(covered))
    rows = [
        r for r in count_rows(area, cov, months[0], months[-1]) if type_matches(type_key, r["crime_type"])
    ]
    covered_by = {m: sorted(cov.sources[m]) for m in covered}
    return {
        "type": {"key": type_key, "label": type_label},
        "series": _monthly_series(rows, months, covered),
        "gaps": [m for m in months if m not in covered],
        "gap_reasons": gap_reasons(
            cov, [m for m in months if m not in covered], geography["not_applicable_months"]
        ),
        "sources": _sources(covered_by, months),
    }
