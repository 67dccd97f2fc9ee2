"""The schedule: kinds run by themselves at a cadence (SAFERHOOD_SCHEDULE), queued by workers.

Each cadence names its current period ("2026-12-03" daily, "2026-12" monthly, in the site's time
zone). A kind is due when its ScheduleRun row holds an older period. Claiming the period is one
conditional UPDATE (period != now's), so with several workers asking at once exactly one row
update succeeds and exactly one job is queued; the job is queued in the same transaction, so a
failure to queue leaves the period unclaimed for the next look.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from saferhood.jobs.models import Job, ScheduleRun
from saferhood.jobs.registry import UnknownJobKind, get_kind

logger = logging.getLogger("saferhood.jobs")

CADENCES = {
    "hourly": "%Y-%m-%dT%H",
    "daily": "%Y-%m-%d",
    "weekly": "%G-W%V",
    "monthly": "%Y-%m",
}


def period_of(cadence: str, now: datetime) -> str:
    try:
        pattern = CADENCES[cadence]
    except KeyError:
        raise ValueError(f"unknown cadence {cadence!r}: use one of {', '.join(CADENCES)}") from None
    return timezone.localtime(now).strftime(pattern)


def enqueue_due(now: datetime | None = None) -> list[Job]:
    """Queue each scheduled kind whose period has turned; return the jobs queued."""
    now = now or timezone.now()
    queued = []
    for kind, cadence in getattr(settings, "SAFERHOOD_SCHEDULE", {}).items():
        try:
            title = get_kind(kind).title
            period = period_of(cadence, now)
        except (UnknownJobKind, ValueError) as why:
            logger.info("schedule: %s skipped (%s)", kind, why)
            continue
        job = _claim_and_enqueue(kind, period, f"{title} (scheduled, {period})")
        if job is not None:
            queued.append(job)
    return queued


def _claim_and_enqueue(kind: str, period: str, label: str) -> Job | None:
    from saferhood.jobs.services import start_job

    try:
        ScheduleRun.objects.get_or_create(kind=kind, defaults={"period": ""})
    except IntegrityError:
        pass  # another worker created it first
    with transaction.atomic():
        claimed = (
            ScheduleRun.objects.filter(kind=kind)
            .exclude(period=period)
            .update(period=period, enqueued_at=timezone.now())
        )
        if not claimed:
            return None
        job = start_job(kind, user=None, params={}, label=label)
        ScheduleRun.objects.filter(kind=kind).update(job=job)
    logger.info("schedule: queued %s for %s (job %s)", kind, period, job.pk)
    return job
