"""Jobs whose worker died: shown failed, and retried once when their kind is retry-safe.

A worker killed mid-job (kill -9, power cut) leaves its queue row RUNNING forever and its Job
"running". Its transaction died with it, so nothing of the job was stored: we say so, mark the
queue row failed too, and queue one automatic retry of a retry-safe kind (never a retry of an
automatic retry, so a job that kills its worker every time stops after two attempts).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from saferhood.jobs.liveness import Liveness, forget_worker
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.progress import forget_progress
from saferhood.jobs.registry import UnknownJobKind, get_kind

logger = logging.getLogger("saferhood.jobs")

WORKER_DIED = "The worker stopped while running this job; nothing from it was stored."


def reap_dead_workers() -> list[Job]:
    """Fail the jobs of dead workers; return the automatic retries queued."""
    liveness = Liveness()
    running_rows = list(DBTaskResult.objects.running().values_list("id", "worker_ids"))
    dead_rows = [str(pk) for pk, workers in running_rows if not workers or not liveness.is_alive(workers[-1])]
    running_jobs = Job.objects.filter(state=JobState.RUNNING).values_list("pk", "worker_id")
    dead_job_ids = {pk for pk, worker in running_jobs if not liveness.is_alive(worker)}
    # A job whose worker died between claiming the queue row and starting it is still "queued".
    dead_job_ids |= set(
        Job.objects.filter(state=JobState.QUEUED, task_result_id__in=dead_rows).values_list("pk", flat=True)
    )
    now = timezone.now()
    if dead_rows:
        DBTaskResult.objects.filter(id__in=dead_rows, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path="saferhood.jobs.reaper.WorkerDied",
            traceback=WORKER_DIED,
        )
    retries = []
    for job in Job.objects.filter(pk__in=dead_job_ids).order_by("pk"):
        retry = _fail_and_maybe_retry(job, now)
        if retry is not None:
            retries.append(retry)
    for worker_id in liveness.dead_workers():  # their jobs are settled: /readyz and the next look forget them
        forget_worker(worker_id)
    return retries


def _fail_and_maybe_retry(job: Job, now) -> Job | None:  # noqa: ANN001
    from saferhood.jobs.services import _retry

    with transaction.atomic():
        # Compare-and-set: when two workers reap at once, one wins and only it queues the retry.
        won = Job.objects.filter(pk=job.pk, state=job.state).update(
            state=JobState.FAILED, finished_at=now, error=WORKER_DIED
        )
        if not won:
            return None
        logger.warning("job %s (%s): its worker %s stopped while running it", job.pk, job.kind, job.worker_id)
        forget_progress(job.pk)
        try:
            retry_safe = get_kind(job.kind).retry_safe
        except UnknownJobKind:
            retry_safe = False
        if not retry_safe or job.automatic_retry:
            return None
        job.state = JobState.FAILED
        return _retry(job, user=None, automatic=True)
