"""The Jobs page: what the workers are doing and did, with the full error and a retry.

For analysts, agency admins and system admins (``may_see_jobs``); anyone else gets the styled
403, recorded in the audit trail. A retry is confirmed on its own page, audited, then announced.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferhood.accounts.guards import role_page
from saferhood.accounts.roles import RoleCode, roles_of
from saferhood.core import audit
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.registry import UnknownJobKind, get_kind
from saferhood.jobs.services import JobNotRetryable, retry_job

JOB_ROLES = frozenset({RoleCode.ANALYST, RoleCode.AGENCY_ADMIN, RoleCode.SYSTEM_ADMIN})
REFUSAL = "Only analysts and admins can see background jobs. Ask your agency admin if you need to."
LIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


def may_see_jobs(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and bool(JOB_ROLES & roles_of(user))


def nav(request: HttpRequest) -> dict[str, Any]:
    """Context processor: whether to show the Jobs link in the header."""
    user = getattr(request, "user", None)
    return {"can_see_jobs": user is not None and user.is_authenticated and may_see_jobs(user)}


# Sign-in first, then the styled 403 (audited) for anyone but analysts and admins.
jobs_page = role_page(may_see_jobs, what="jobs.job", wanted="jobs", refusal=REFUSAL)


@jobs_page
@require_safe  # reads only: a POST is refused, not treated as a read
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Job.objects.select_related("started_by"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "jobs/list.html",
        {"page": page, "live": any(job.state in LIVE_STATES for job in page)},
    )


@jobs_page
@require_safe
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("started_by", "retry_of"), pk=pk)
    retries = Job.objects.filter(retry_of=job).order_by("pk")
    return render(
        request,
        "jobs/detail.html",
        {"job": job, "kind_title": _title(job.kind), "retries": retries, "live": job.state in LIVE_STATES},
    )


@jobs_page
@require_http_methods(["GET", "POST"])
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page. POST: queue a new attempt, audit it, announce it."""
    job = get_object_or_404(Job, pk=pk)
    if job.state != JobState.FAILED:
        messages.info(request, "Only a failed job can be retried.")
        return redirect("jobs-detail", pk=job.pk)
    if request.method == "POST":
        try:
            retry = retry_job(job, user=request.user)
        except (JobNotRetryable, UnknownJobKind) as why:
            messages.error(request, str(why))
            return redirect("jobs-detail", pk=job.pk)
        audit.record(
            "create",
            request=request,
            obj=retry,
            detail={"retry_of": job.pk, "kind": job.kind, "attempt": retry.attempt},
        )
        messages.success(request, f"{job.label}: attempt {retry.attempt} queued.")
        return redirect("jobs-detail", pk=retry.pk)
    return render(request, "jobs/retry.html", {"job": job, "kind_title": _title(job.kind)})


def _title(kind: str) -> str:
    try:
        return get_kind(kind).title
    except UnknownJobKind:
        return kind
