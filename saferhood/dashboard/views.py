"""The evidence-base pages: one profile page per area, from LAD down to LSOA, and their downloads."""

from __future__ import annotations

import io
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from saferhood.areas.lookup import find_area
from saferhood.areas.models import Area
from saferhood.core import csv_safe
from saferhood.core.months import MonthError, month_index, parse_month
from saferhood.crime.models import ASB, CRIME_TYPES
from saferhood.evidence import analyses, analysis_figures, figures
from saferhood.evidence.analyses import AnalysisError, GridParams, OverBudget
from saferhood.evidence.profiles import (
    COMPARISONS,
    TYPE_GROUPS,
    ProfileError,
    build_history,
    build_profile,
    default_period,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The partnership's own area is where an analyst starts."""
    return redirect("area-profile", code=settings.SAFERHOOD_PARTNERSHIP_LADS[0])


def _check_period(start: str, end: str) -> list[dict[str, str]]:
    """GOV.UK error-summary items for a bad period (empty when it is fine)."""
    errors = []
    for field, label, value in (("from", "From", start), ("to", "To", end)):
        try:
            parse_month(value)
        except MonthError:
            errors.append(
                {"href": f"#{field}", "text": f"{label} must be a month like 2018-06, not ‘{value}’"}
            )
    if not errors and month_index(start) > month_index(end):
        errors.append({"href": "#from", "text": f"From ({start}) must be the same as or before To ({end})"})
    return errors


def _filters(request: HttpRequest, area: Area) -> dict[str, str]:
    """The page's filters from the URL, defaulting to the latest twelve months with data."""
    default_from, default_to = default_period(area)
    return {
        "from": request.GET.get("from", "").strip() or default_from,
        "to": request.GET.get("to", "").strip() or default_to,
        "type": request.GET.get("type", "").strip() or "all",
        "compare": request.GET.get("compare", "").strip() or "previous",
        "baseline": request.GET.get("baseline", "").strip() or "seasonal",  # the alerts' expected count
    }


def _query(filters: dict[str, str]) -> str:
    """The filters as a query string, leaving out defaults so shared links stay short."""
    shown = {
        k: v
        for k, v in filters.items()
        if not (k == "type" and v == "all") and v not in ("previous", "seasonal")
    }
    return "?" + urlencode(shown)


def _profile(area: Area, filters: dict[str, str]) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
    errors = _check_period(filters["from"], filters["to"])
    if errors:
        return None, errors
    try:
        profile = build_profile(
            area, filters["from"], filters["to"], crime_type=filters["type"], compare=filters["compare"]
        )
    except ProfileError as exc:
        return None, [{"href": f"#{exc.parameter}", "text": str(exc)}]
    return profile, []


def _area_or_404(code: str) -> Area:
    area = find_area(code)
    if area is None:
        raise Http404(f"No area with code {code!r}")
    return area


TYPE_OPTIONS = [(key, label) for key, label in TYPE_GROUPS.items()] + [
    (name, name) for name in sorted(set(CRIME_TYPES.values()) - {ASB})
]


@login_required
def area_profile(request: HttpRequest, code: str) -> HttpResponse:
    area = _area_or_404(code)
    filters = _filters(request, area)
    query = _query(filters)
    context: dict[str, Any] = {
        "area": area,
        "breadcrumbs": list(reversed(area.ancestors())),
        "filters": filters,
        "period_from": filters["from"],
        "period_to": filters["to"],
        "type_options": TYPE_OPTIONS,
        "compare_options": list(COMPARISONS.items()),
        "baseline_choices": analysis_figures.BASELINE_CHOICES,
        "period_query": query,
        "errors": [],
        "profile": None,
    }
    profile, errors = _profile(area, filters)
    if errors:
        context["errors"] = errors
        context["error_fields"] = {e["href"].lstrip("#") for e in errors}
        return render(request, "dashboard/area.html", context, status=400)
    assert profile is not None
    children = [
        {**child, "url": reverse("area-profile", args=[child["code"]]) + query}
        for child in profile["children"]
    ]
    boundaries = figures.child_boundaries(profile) if children else {}
    history = build_history(area, filters["type"])
    context.update(
        history=history,
        history_svg=figures.history_svg(area.name, history, profile) if history["series"] else None,
        profile=profile,
        by_type=sorted(profile["by_type"].items(), key=lambda kv: (-kv[1], kv[0])),
        series_rows=list(zip(profile["series"], profile["series_year_before"], strict=True)),
        children=children,
        measure=figures.measure(profile),
        child_rate_key=figures.child_rate_key(profile),
        trend_svg=figures.trend_svg(area.name, profile),
        by_type_svg=figures.by_type_svg(area.name, profile),
        children_map_svg=figures.children_map_svg(
            area.name, profile, boundaries, {c["code"]: c["url"] for c in children}
        ),
        downloads=_download_links(area, query),
    )
    try:
        context.update(_analyses(area, profile, filters["baseline"]))
    except (AnalysisError, OverBudget) as exc:
        # Over the analysis budget (e.g. a long period over a force area): say what to change.
        context.update(errors=[{"href": f"#{_field(exc.parameter)}", "text": str(exc)}], profile=None)
        context["error_fields"] = {_field(exc.parameter)}
        return render(request, "dashboard/area.html", context, status=400)
    return render(request, "dashboard/area.html", context)


def _field(parameter: str) -> str:
    """The page's filter a budget message points at (the page has no cell or level field)."""
    return parameter if parameter in ("from", "to", "type", "baseline") else "from"


def _analyses(area: Area, profile: dict[str, Any], baseline: str) -> dict[str, Any]:
    """Hotspot map, repeat locations and alerts for the page (what needs points says when it has none)."""
    hs = analysis_figures.hotspot_grid(area, profile)
    alerts = analysis_figures.alerts(area, profile, baseline)
    result: dict[str, Any] = {
        "hotspots": hs,
        "hotspot_caveats": hs.points.caveats,
        "repeat": analysis_figures.repeat_locations(area, profile, points=hs.points),
        "alerts": alerts,
        "record_period": None,
    }
    if hs.empty:
        period = analysis_figures.latest_record_period(area)
        if period:
            result["record_period"] = {"from": period[0], "to": period[1]}
    else:
        result["hotspot_svg"] = analysis_figures.hotspot_svg(area.name, hs)
        result["hot_cells"] = analysis_figures.hot_cells(hs)
    return result


DOWNLOADS = {
    # name: (formats, what it is)
    "history": (("csv", "svg", "png"), "every month with data"),
    "by-type": (("csv", "svg", "png"), "crimes and ASB by type"),
    "series": (("csv",), "month by month"),
    "trend": (("svg", "png"), "trend chart"),
    "children": (("csv", "geojson"), "areas within"),
    "children-map": (("svg", "png"), "map of areas within"),
    "hotspots": (("geojson", "csv"), "hotspot grid cells"),
    "hotspot-map": (("svg", "png"), "hotspot map"),
    "repeat-locations": (("csv",), "repeat locations"),
    "alerts": (("csv",), "emerging-trend alerts"),
}


def _download_links(area: Area, query: str) -> dict[str, dict[str, str]]:
    return {  # underscores: the template language cannot look up hyphenated keys
        name.replace("-", "_"): {
            fmt: reverse("area-download", args=[area.code, name, fmt]) + query for fmt in formats
        }
        for name, (formats, _) in DOWNLOADS.items()
    }


@login_required
def area_download(request: HttpRequest, code: str, name: str, fmt: str) -> HttpResponse:
    """A table as CSV, a map as GeoJSON, a chart as SVG or PNG — the same figures as the page."""
    if name not in DOWNLOADS or fmt not in DOWNLOADS[name][0]:
        raise Http404(f"No download {name}.{fmt}")
    area = _area_or_404(code)
    filters = _filters(request, area)
    profile, errors = _profile(area, filters)
    if errors:
        return HttpResponse("\n".join(e["text"] for e in errors), status=400, content_type="text/plain")
    assert profile is not None
    stem = f"{area.code}-{filters['from']}-to-{filters['to']}-{filters['type']}-{name}".replace(
        " ", "-"
    ).lower()
    history = build_history(area, filters["type"]) if name == "history" else None
    if name in ANALYSIS_DOWNLOADS:
        try:
            return _analysis_download(area, profile, name, fmt, stem, filters["baseline"])
        except (AnalysisError, OverBudget) as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
    if fmt == "csv":
        table = figures.tables(profile, history).get(name)
        if table is None:
            raise Http404("This area has no areas within it")
        return _attachment(_csv_text(table), "text/csv; charset=utf-8", f"{stem}.csv")
    if name.startswith("children"):
        boundaries = figures.child_boundaries(profile)
        if fmt == "geojson":
            collection = figures.children_geojson(profile, boundaries)
            return _attachment(json.dumps(collection), "application/geo+json", f"{stem}.geojson")
        svg = figures.children_map_svg(area.name, profile, boundaries, {})
        if svg is None:
            raise Http404("No boundaries are loaded for the areas within this one")
    elif name == "history":
        if not history["series"]:
            raise Http404("No data is loaded for this area")
        svg = figures.history_svg(area.name, history, profile)
    elif name == "trend":
        svg = figures.trend_svg(area.name, profile)
    else:
        svg = figures.by_type_svg(area.name, profile)
    return _picture(svg, fmt, stem)


ANALYSIS_DOWNLOADS = ("hotspots", "hotspot-map", "repeat-locations", "alerts")


def _analysis_download(
    area: Area, profile: dict[str, Any], name: str, fmt: str, stem: str, baseline: str
) -> HttpResponse:
    if name == "repeat-locations":
        table = analysis_figures.repeat_table(analysis_figures.repeat_locations(area, profile, top=100))
        return _attachment(_csv_text(table), "text/csv; charset=utf-8", f"{stem}.csv")
    if name == "alerts":
        table = analysis_figures.alerts_table(analysis_figures.alerts(area, profile, baseline))
        return _attachment(_csv_text(table), "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "geojson":
        period = profile["period"]
        collection = analyses.hotspots(
            area, period["from"], period["to"], profile["type"]["key"], GridParams()
        )
        return _attachment(json.dumps(collection), "application/geo+json", f"{stem}.geojson")
    hs = analysis_figures.hotspot_grid(area, profile)
    if hs.empty:
        raise Http404("No located records in this period: there is no hotspot map")
    if fmt == "csv":
        return _attachment(
            _csv_text(analysis_figures.cells_table(hs)), "text/csv; charset=utf-8", f"{stem}.csv"
        )
    return _picture(analysis_figures.hotspot_svg(area.name, hs), fmt, stem)


def _picture(svg: str, fmt: str, stem: str) -> HttpResponse:
    if fmt == "svg":
        return _attachment(svg, "image/svg+xml", f"{stem}.svg")
    import cairosvg  # imported here: only PNG downloads need Cairo

    png = cairosvg.svg2png(bytestring=svg.encode(), scale=2)
    return _attachment(png, "image/png", f"{stem}.png")


def _csv_text(table: figures.Table) -> str:
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return out.getvalue()


def _attachment(body: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
