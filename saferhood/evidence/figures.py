"""What an area page shows, built once from a profile: charts, the tables behind them, downloads.

The page and every download come from the same functions here, so a CSV, a chart and the table
on the page cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from saferhood.areas.models import Area
from saferhood.core.months import spans
from saferhood.evidence.profile_schema import Profile
from saferhood.evidence.profiles import TYPE_ASB
from saferhood.ui import charts


@dataclass(frozen=True)
class Table:
    """A table as a download: a header row and the rows under it."""

    header: list[str]
    rows: list[list[Any]]


def measure(profile: Profile) -> tuple[str, str]:
    """The key the page charts (crimes, or ASB when the type filter is ASB) and its words."""
    if profile.type.key == TYPE_ASB:
        return "asb", "ASB incidents"
    if profile.type.key in ("all", "crime"):
        return "crimes", "crimes (excluding ASB)"
    return "crimes", profile.type.label.lower() + " crimes"


def tables(profile: Profile, history: dict[str, Any] | None = None) -> dict[str, Table]:
    """Every table on the area page, as downloads (by name)."""
    before = profile.previous
    by_type = Table(
        ["crime_type", f"count_{profile.period.start}_to_{profile.period.end}", "count_comparison"],
        [[t, n, before.by_type.get(t) if before.crimes is not None else None] for t, n in _types(profile)],
    )
    # A month without data is an empty cell with its reason, never a 0.
    why = {g.month: g.reason for g in profile.gap_reasons}
    series = Table(
        [
            "month",
            "crimes",
            "asb",
            "month_a_year_earlier",
            "crimes_a_year_earlier",
            "asb_a_year_earlier",
            "gap_reason",
        ],
        [
            [now.month, now.crimes, now.asb, then.month, then.crimes, then.asb] + [why.get(now.month, "")]
            for now, then in zip(profile.series, profile.series_year_before, strict=True)
        ],
    )
    result = {"by-type": by_type, "series": series}
    if history is not None:
        result["history"] = Table(
            ["month", "crimes", "asb"], [[p["month"], p["crimes"], p["asb"]] for p in history["series"]]
        )
    if profile.children:
        result["children"] = Table(
            [
                "code",
                "name",
                "level",
                "crimes",
                "asb",
                "population",
                "crimes_per_1000",
                "asb_per_1000",
                "no_data_reason",
            ],
            [
                [
                    c.code,
                    c.name,
                    c.level,
                    c.crimes,
                    c.asb,
                    c.population,
                    c.rate_per_1000,
                    c.asb_rate_per_1000,
                    c.no_data_reason or "",
                ]
                for c in profile.children
            ],
        )
    return result


def _types(profile: Profile) -> list[tuple[str, int]]:
    return sorted(profile.by_type.items(), key=lambda kv: (-kv[1], kv[0]))


def child_rate_key(profile: Profile) -> str:
    return "asb_rate_per_1000" if measure(profile)[0] == "asb" else "rate_per_1000"


def child_boundaries(profile: Profile) -> dict[str, dict[str, Any]]:
    """Boundary geometry (GeoJSON, lon/lat) of each child area that has one loaded."""
    codes = [c.code for c in profile.children]
    rows = Area.objects.filter(code__in=codes).exclude(boundary="").values_list("code", "boundary")
    return {code: json.loads(text) for code, text in rows}


def children_geojson(profile: Profile, boundaries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The child areas with their figures, as a GeoJSON FeatureCollection (areas with a boundary)."""
    features = []
    for child in profile.children:
        if child.code not in boundaries:
            continue
        properties = child.model_dump(exclude={"vintages"})
        properties["period_from"] = profile.period.start
        properties["period_to"] = profile.period.end
        properties["type"] = profile.type.label
        features.append({"type": "Feature", "properties": properties, "geometry": boundaries[child.code]})
    return {"type": "FeatureCollection", "features": features}


def _gap_words(gaps: list[str]) -> str:
    return ", ".join(a if a == b else f"{a} to {b}" for a, b in spans(gaps))


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def history_svg(area_name: str, history: dict[str, Any], profile: Profile) -> str:
    key, words = measure(profile)
    series = history["series"]
    gaps = history["gaps"]
    description = (
        f"{_first_upper(words)} each month in {area_name} for every month with data loaded, "
        f"{series[0]['month']} to {series[-1]['month']}."
        + (
            f" {len(gaps)} month(s) have no data or only part of a month's: {_gap_words(gaps)};"
            " they are drawn as gaps, not zeros."
            if gaps
            else ""
        )
        + " The table below gives the same figures."
    )
    return charts.trend_chart(
        [p["month"] for p in series],
        [p[key] for p in series],
        None,
        chart_id="history-chart",
        title=f"{_first_upper(words)} per month since {series[0]['month']}, {area_name}",
        description=description,
        current_label=f"{series[0]['month']} to {series[-1]['month']}",
        before_label="",
        value_label=_first_upper(words),
        gap_reasons={g["month"]: g["reason"] for g in history["gap_reasons"]},
    )


def trend_svg(area_name: str, profile: Profile) -> str:
    key, words = measure(profile)
    period = profile.period
    gaps = profile.gaps
    description = (
        f"{_first_upper(words)} each month in {area_name}, {period.start} to {period.end}, "
        "with the same months a year earlier as a dashed line."
        + (
            f" {len(gaps)} month(s) have no data or only part of a month's: {_gap_words(gaps)};"
            " they are gaps, not zeros."
            if gaps
            else ""
        )
        + " The table below gives the same figures."
    )
    return charts.trend_chart(
        [p.month for p in profile.series],
        [getattr(p, key) for p in profile.series],
        [getattr(p, key) for p in profile.series_year_before],
        chart_id="trend-chart",
        title=f"{_first_upper(words)} per month, {area_name}",
        description=description,
        current_label=f"{period.start} to {period.end}",
        before_label="a year earlier",
        before_months=[p.month for p in profile.series_year_before],
        value_label=_first_upper(words),
        gap_reasons={g.month: g.reason for g in profile.gap_reasons},
    )


def by_type_svg(area_name: str, profile: Profile) -> str:
    before = profile.previous
    has_before = before.crimes is not None
    period = profile.period
    return charts.bar_chart(
        [(t, n, before.by_type.get(t, 0) if has_before else None) for t, n in _types(profile)],
        chart_id="by-type-chart",
        title=f"Crimes and ASB by type, {area_name}",
        description=f"Records of each police.uk type, {period.start} to {period.end}"
        + (f", with {profile.compare.label} as thin grey bars" if has_before else "")
        + ". The table below gives the same figures.",
        current_label=f"{period.start} to {period.end}",
        before_label=(f"{before.period.start} to {before.period.end}" if has_before else None),
    )


def children_map_svg(
    area_name: str, profile: Profile, boundaries: dict[str, dict[str, Any]], urls: dict[str, str]
) -> str | None:
    """Choropleth of the child areas by rate per 1,000 residents; None when none has a boundary."""
    children = [c for c in profile.children if c.code in boundaries]
    if not children:
        return None
    _, words = measure(profile)
    rate_key = child_rate_key(profile)
    level = children[0].level
    level_words = {"town": "towns", "ward": "wards", "lsoa": "LSOAs", "lad": "local authorities"}.get(
        level, "areas"
    )
    return charts.choropleth(
        [
            charts.MapArea(c.code, c.name, boundaries[c.code], getattr(c, rate_key), urls.get(c.code))
            for c in children
        ],
        chart_id="children-map",
        title=f"{_first_upper(words)} per 1,000 residents by {level_words[:-1]}, {area_name}",
        description=f"Map of the {level_words} in {area_name} shaded by {words} per 1,000 residents, "
        f"{profile.period.start} to {profile.period.end}, in five classes of equal size. "
        "The table below gives the same figures.",
        value_label=f"{_first_upper(words)} per 1,000",
    )
