"""The CCTV pages: the stock, running deployments, ranked requests (with a form), and an evaluation."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from saferhood.accounts.guards import partner_required
from saferhood.accounts.roles import membership_of
from saferhood.analytics.cctv import TEST_NAME
from saferhood.areas.lookup import find_area
from saferhood.areas.models import Area
from saferhood.cctv import services
from saferhood.cctv.figures import periods_svg
from saferhood.cctv.forms import DeployForm, EndForm, RequestForm
from saferhood.cctv.models import Camera, Deployment

LABELS = {"months": "Months of evidence", "radius": "Radius"}


def _area(request: HttpRequest) -> Area:
    code = request.GET.get("area", "").strip() or settings.SAFERHOOD_PARTNERSHIP_LADS[0]
    area = find_area(code)
    if area is None:
        raise Http404(f"No area with code {code!r}")
    return area


def _int_param(request: HttpRequest, name: str, default: int, errors: list[dict[str, str]]) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        errors.append({"href": f"#{name}", "text": f"{LABELS[name]} must be a whole number, not ‘{raw}’"})
        return default


def _index_context(
    request: HttpRequest, area: Area, form: RequestForm, deploy_form: DeployForm | None = None
) -> dict[str, Any]:
    today = datetime.date.today()
    errors: list[dict[str, str]] = []
    months = _int_param(request, "months", services.DEFAULT_MONTHS, errors)
    radius = _int_param(request, "radius", services.DEFAULT_RADIUS, errors)
    ranking = None
    if not errors:
        try:
            ranking = services.rank_requests(area, months=months, radius=radius)
        except services.CctvError as exc:
            text = str(exc).split(": ", 1)[-1]  # the page names the field by its label
            errors.append(
                {"href": f"#{exc.parameter}", "text": f"{LABELS.get(exc.parameter, exc.parameter)} {text}"}
            )
    deployments = Deployment.objects.in_area(area).select_related("camera", "request")
    return {
        "area": area,
        "today": today,
        "cameras": Camera.objects.all(),
        "running": list(deployments.running().order_by("review_due", "pk")),
        "finished": list(deployments.finished().order_by("-end", "-pk")[:20]),
        "ranking": ranking,
        "months": months,
        "radius": radius,
        "weights": sorted(services.DEFAULT_WEIGHTS.items(), key=lambda kv: (-kv[1], kv[0])),
        "param_errors": errors,
        "form": form,
        "summary_errors": errors
        + (form.error_items() if form.is_bound else [])
        + (deploy_form.error_items() if deploy_form is not None and deploy_form.is_bound else []),
        "deploy_form": deploy_form or DeployForm(),
        "can_change": services.can_change(request.user),
        "area_query": urlencode({"area": area.code}),
    }


@partner_required("cctv")
def index(request: HttpRequest) -> HttpResponse:
    area = _area(request)
    membership = membership_of(request.user)
    form = RequestForm(
        initial={
            "requested_on": datetime.date.today(),
            "requesting_agency": membership.agency_id if membership else None,
        }
    )
    context = _index_context(request, area, form)
    return render(request, "cctv/index.html", context, status=400 if context["param_errors"] else 200)


@partner_required("cctv")
@require_POST
def create_request(request: HttpRequest) -> HttpResponse:
    """Add a request; a viewer is refused (403, audited) before anything is read or stored."""
    area = _area(request)
    services.require_change(request.user, request, "request a camera")
    form = RequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_deployment(
                place_name=data["place_name"],
                longitude=data["longitude"],
                latitude=data["latitude"],
                requesting_agency=data["requesting_agency"],
                reason=data["reason"],
                requested_on=data["requested_on"],
                meeting_reference=data["meeting_reference"],
                area=area,
                by=request.user,
                http_request=request,
            )
        except services.CctvError as exc:
            form.add_error(
                exc.parameter if exc.parameter in form.fields else None, str(exc).split(": ", 1)[-1]
            )
        else:
            messages.success(request, f"Request for {created.place_name} added")
            return redirect(
                reverse("cctv-index") + "?" + urlencode({"area": area.code}) + f"#request-{created.pk}"
            )
    return render(request, "cctv/index.html", _index_context(request, area, form), status=400)


@partner_required("cctv")
def deployment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deployment = get_object_or_404(Deployment.objects.select_related("camera", "request"), pk=pk)
    return _detail(request, deployment, EndForm())


def _detail(
    request: HttpRequest, deployment: Deployment, end_form: EndForm, status: int = 200
) -> HttpResponse:
    result = services.evaluate(deployment)
    context: dict[str, Any] = {
        "deployment": deployment,
        "result": result,
        "test_name": TEST_NAME,
        "end_form": end_form,
        "errors": end_form.error_items() if end_form.is_bound else [],
        "can_change": services.can_change(request.user),
    }
    ev = result.evaluation
    if ev is not None:
        rows = [
            ("Before", f"{ev.before[0]} to {ev.before[1]}", ev.count_before),
            (
                "During" + (" (so far)" if result.running else ""),
                f"{ev.during[0]} to {ev.during[1]}",
                ev.count_during,
            ),
            ("After", f"{ev.after[0]} to {ev.after[1]}", ev.count_after),
        ]
        context["rows"] = rows
        context["chart_svg"] = periods_svg(
            rows,
            chart_id="cctv-periods",
            title=f"Incidents within {deployment.radius_m} m of {deployment.place_name}, before, during and after",
        )
    return render(request, "cctv/deployment.html", context, status=status)


@partner_required("cctv")
@require_POST
def deploy(request: HttpRequest) -> HttpResponse:
    """Deploy an available camera for a request (403 for a user who may not change)."""
    area = _area(request)
    services.require_change(request.user, request, "deploy a camera")
    form = DeployForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = services.deploy_camera(
                data["deploy_request"],
                data["camera"],
                data["start"],
                data["review_due"],
                request.user,
                http_request=request,
            )
        except services.CctvError as exc:
            field = {"request": "deploy_request"}.get(exc.parameter, exc.parameter)
            form.add_error(field if field in form.fields else None, str(exc).split(": ", 1)[-1])
        else:
            messages.success(request, f"Camera {created.camera.asset_tag} deployed at {created.place_name}")
            return redirect("cctv-deployment", pk=created.pk)
    return render(request, "cctv/index.html", _index_context(request, area, RequestForm(), form), status=400)


@partner_required("cctv")
@require_POST
def end(request: HttpRequest, pk: int) -> HttpResponse:
    deployment = get_object_or_404(Deployment.objects.select_related("camera"), pk=pk)
    services.require_change(request.user, request, "end a deployment")
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.end_deployment(deployment, form.cleaned_data["end"], request.user, http_request=request)
        except services.CctvError as exc:
            form.add_error("end", str(exc).split(": ", 1)[-1])
        else:
            messages.success(
                request, f"Deployment ended: camera {deployment.camera.asset_tag} is available again"
            )
            return redirect("cctv-deployment", pk=deployment.pk)
    return _detail(request, deployment, form, status=400)
