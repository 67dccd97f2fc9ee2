"""Starting and retrying jobs: the API other apps call.

job = start_job("police_import", user=request.user, params={"paths": [...]}, label="Import 2024-01")
retry_job(job, user=request.user)
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from saferhood.jobs.models import Job, JobState
from saferhood.jobs.registry import get_kind


class JobNotRetryable(ValueError):
    pass


def start_job(kind: str, *, user: Any = None, params: dict[str, Any], label: str) -> Job:
    """Create the Job and queue it for a worker. ``user`` None: started by the schedule.
    ``params`` must be JSON (they are stored on the job and passed to the kind as keywords)."""
    get_kind(kind)  # an unknown kind fails here, at the caller, not later in a worker
    return _enqueue(kind=kind, user=user, params=params, label=label)


def _enqueue(*, user: Any, params: dict[str, Any], label: str, kind: str, **fields: Any) -> Job:
    from saferhood.jobs.runner import run_job

    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, label=label[:200], params=params, started_by=_person(user), **fields
        )
        result = run_job.enqueue(job.pk)
        job.task_result_id = str(result.id)
        job.save(update_fields=["task_result_id"])
    return job


def retry_job(job: Job, *, user: Any) -> Job:
    """A new attempt of a failed job, with the same kind and parameters."""
    if job.state != JobState.FAILED:
        raise JobNotRetryable("Only a failed job can be retried.")
    return _retry(job, user=user, automatic=False)


def _retry(job: Job, *, user: Any, automatic: bool) -> Job:
    return _enqueue(
        kind=job.kind,
        user=user if not automatic else job.started_by,
        params=job.params,
        label=job.label,
        attempt=job.attempt + 1,
        retry_of=job,
        automatic_retry=automatic,
    )


def _person(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None
