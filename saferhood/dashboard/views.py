"""The evidence-base pages: one profile page per area, from LAD down to LSOA."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from saferhood.core.months import MonthError, month_index, parse_month
from saferhood.crime.profiles import ProfileError, build_profile, default_period, find_area


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


@login_required
def area_profile(request: HttpRequest, code: str) -> HttpResponse:
    area = find_area(code)
    if area is None:
        raise Http404(f"No area with code {code!r}")
    default_from, default_to = default_period(area)
    start = request.GET.get("from", "").strip() or default_from
    end = request.GET.get("to", "").strip() or default_to
    context = {
        "area": area,
        "breadcrumbs": list(reversed(area.ancestors())),
        "period_from": start,
        "period_to": end,
        "errors": [],
        "profile": None,
    }
    errors = _check_period(start, end)
    if not errors:
        try:
            context["profile"] = build_profile(area, start, end)
        except ProfileError as exc:
            errors = [{"href": "#from", "text": str(exc)}]
    if errors:
        context["errors"] = errors
        context["error_fields"] = {e["href"].lstrip("#") for e in errors}
        return render(request, "dashboard/area.html", context, status=400)
    profile = context["profile"]
    context["by_type"] = sorted(profile["by_type"].items(), key=lambda kv: (-kv[1], kv[0]))
    context["children"] = [
        {**child, "url": reverse("area-profile", args=[child["code"]]) + f"?from={start}&to={end}"}
        for child in profile["children"]
    ]
    context["period_query"] = f"?from={start}&to={end}"
    return render(request, "dashboard/area.html", context)
