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
from saferhood.crime.models import ASB, CRIME_TYPES
from saferhood.evidence import analyses, analysis_figures, figures
from saferhood.evidence.analyses import AnalysisError, GridParams, OverBudget
from saferhood.evidence.period import COMPARISONS, DEFAULT_RULE, Period, PeriodError, resolve_period
from saferhood.evidence.profile_schema import Profile
from saferhood.evidence.profiles import TYPE_GROUPS, ProfileError, build_history, build_profile


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The partnership's own area is where an analyst starts."""
    return redirect("area-profile", code=settings.SAFERHOOD_PARTNERSHIP_LADS[0])


FIELD_LABELS = {"from": "From month", "to": "To month", "compare": "Compare with", "type": "Crime type"}


def _filters(request: HttpRequest) -> dict[str, str]:
    """The page's filters as given in the URL (blank: not given)."""
    return {
        "from": request.GET.get("from", "").strip(),
        "to": request.GET.get("to", "").strip(),
        "type": request.GET.get("type", "").strip() or "all",
        "compare": request.GET.get("compare", "").strip() or "previous",
        "baseline": request.GET.get("baseline", "").strip() or "seasonal",  # the alerts' expected count
    }


def _error(parameter: str, fix: str) -> dict[str, str]:
    """A GOV.UK error-summary item linking the field it names."""
    field = parameter if parameter in FIELD_LABELS else "from"
    return {"href": f"#{field}", "text": f"{FIELD_LABELS[field]} {fix}"}


def _query(filters: dict[str, str]) -> str:
    """The filters as a query string, leaving out defaults so shared links stay short."""
    shown = {
        k: v
        for k, v in filters.items()
        if v and not (k == "type" and v == "all") and v not in ("previous", "seasonal")
    }
    return "?" + urlencode(shown)


def _profile(
    area: Area, filters: dict[str, str]
) -> tuple[Period | None, Profile | None, list[dict[str, str]]]:
    """The period (by the one rule, as the API's) and the profile, or the errors naming the field.

    On success the filters hold the resolved months, so links and the form show the period used.
    """
    try:
        period = resolve_period(area, filters["from"], filters["to"], filters["compare"])
    except PeriodError as exc:
        return None, None, [_error(exc.parameter, exc.fix)]
    filters.update({"from": period.start, "to": period.end})
    try:
        profile = build_profile(area, period, crime_type=filters["type"])
    except ProfileError as exc:
        return period, None, [{"href": f"#{exc.parameter}", "text": str(exc)}]
    return period, profile, []


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
    filters = _filters(request)
    period, profile, errors = _profile(area, filters)
    query = _query(filters)
    context: dict[str, Any] = {
        "area": area,
        "breadcrumbs": list(reversed(area.ancestors())),
        "filters": filters,
        "period_rule": DEFAULT_RULE,
        "type_options": TYPE_OPTIONS,
        "compare_options": list(COMPARISONS.items()),
        "baseline_choices": analysis_figures.BASELINE_CHOICES,
        "period_query": query,
        "errors": [],
        "profile": None,
    }
    if errors:
        context["errors"] = errors
        context["error_fields"] = {e["href"].lstrip("#") for e in errors}
        return render(request, "dashboard/area.html", context, status=400)
    assert period is not None and profile is not None
    children = [
        {"child": child, "url": reverse("area-profile", args=[child.code]) + query}
        for child in profile.children
    ]
    boundaries = figures.child_boundaries(profile) if children else {}
    history = build_history(area, filters["type"])
    context.update(
        history=history,
        history_svg=figures.history_svg(area.name, history, profile) if history["series"] else None,
        profile=profile,
        by_type=sorted(profile.by_type.items(), key=lambda kv: (-kv[1], kv[0])),
        series_rows=list(zip(profile.series, profile.series_year_before, strict=True)),
        children=children,
        measure=figures.measure(profile),
        child_rate_key=figures.child_rate_key(profile),
        trend_svg=figures.trend_svg(area.name, profile),
        by_type_svg=figures.by_type_svg(area.name, profile),
        children_map_svg=figures.children_map_svg(
            area.name, profile, boundaries, {c["child"].code: c["url"] for c in children}
        ),
        downloads=_download_links(area, query),
    )
    try:
        context.update(_analyses(area, period, profile, filters["baseline"]))
    except (AnalysisError, OverBudget) as exc:
        # Over the analysis budget (e.g. a long period over a force area): say what to change.
        context.update(errors=[{"href": f"#{_field(exc.parameter)}", "text": str(exc)}], profile=None)
        context["error_fields"] = {_field(exc.parameter)}
        return render(request, "dashboard/area.html", context, status=400)
    return render(request, "dashboard/area.html", context)


def _field(parameter: str) -> str:
    """The page's filter a budget message points at (the page has no cell or level field)."""
    return parameter if parameter in ("from", "to", "type", "baseline") else "from"


def _analyses(area: Area, period: Period, profile: Profile, baseline: str) -> dict[str, Any]:
    """Hotspot map, repeat locations and alerts for the page (what needs points says when it has none)."""
    type_key = profile.type.key
    hs = analysis_figures.hotspot_grid(area, period, type_key)
    alerts = analysis_figures.alerts(area, period, type_key, baseline)
    result: dict[str, Any] = {
        "hotspots": hs,
        "hotspot_caveats": hs.points.caveats,
        "repeat": analysis_figures.repeat_locations(area, period, type_key, points=hs.points),
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
    filters = _filters(request)
    period, profile, errors = _profile(area, filters)
    if errors:
        return HttpResponse("\n".join(e["text"] for e in errors), status=400, content_type="text/plain")
    assert period is not None and profile is not None
    stem = f"{area.code}-{period.start}-to-{period.end}-{filters['type']}-{name}".replace(" ", "-").lower()
    history = build_history(area, filters["type"]) if name == "history" else None
    if name in ANALYSIS_DOWNLOADS:
        try:
            return _analysis_download(area, period, profile, name, fmt, stem, filters["baseline"])
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
    area: Area, period: Period, profile: Profile, name: str, fmt: str, stem: str, baseline: str
) -> HttpResponse:
    type_key = profile.type.key
    if name == "repeat-locations":
        table = analysis_figures.repeat_table(
            analysis_figures.repeat_locations(area, period, type_key, top=100)
        )
        return _attachment(_csv_text(table), "text/csv; charset=utf-8", f"{stem}.csv")
    if name == "alerts":
        table = analysis_figures.alerts_table(analysis_figures.alerts(area, period, type_key, baseline))
        return _attachment(_csv_text(table), "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "geojson":
        collection = analyses.hotspots(area, period, type_key, GridParams())
        return _attachment(json.dumps(collection), "application/geo+json", f"{stem}.geojson")
    hs = analysis_figures.hotspot_grid(area, period, type_key)
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
