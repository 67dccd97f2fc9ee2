"""The one django-tasks task: run a Job's kind and record how it ended.

Each state change is its own short write outside the kind's work, so a kind that holds one long
transaction (an import) never has its start or end hidden inside it. Ends are compare-and-set on
(state=running, worker_id=this worker): a job the reaper already declared dead is not revived.
"""

from __future__ import annotations

import logging
import traceback

from django.utils import timezone
from django_tasks import TaskContext, task

from saferhood.core.errors import ExplainedError
from saferhood.jobs.context import JobContext
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.progress import forget_progress
from saferhood.jobs.registry import call_kind, get_kind

logger = logging.getLogger("saferhood.jobs")


def error_text(exc: BaseException) -> str:
    """What the job page shows: an expected failure's own message (a file error names
    file:line:column and the fix), and the full traceback for anything unexpected."""
    if isinstance(exc, ExplainedError):
        return str(exc)
    return "".join(traceback.format_exception(exc))


@task(takes_context=True)
def run_job(context: TaskContext, job_id: int) -> str:
    worker_id = context.task_result.worker_ids[-1] if context.task_result.worker_ids else ""
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now(), worker_id=worker_id
    )
    if not claimed:
        return "not run: the job was no longer queued"
    job = Job.objects.select_related("started_by").get(pk=job_id)
    ctx = JobContext(job)
    try:
        summary = call_kind(get_kind(job.kind), ctx, dict(job.params))
    except Exception as exc:  # an unknown kind (UnknownJobKind) fails the job the same way
        logger.warning("job %s (%s) failed: %s", job.pk, job.kind, exc)
        _finish(job, worker_id, ctx, state=JobState.FAILED, error=error_text(exc))
        raise
    _finish(job, worker_id, ctx, state=JobState.SUCCEEDED, summary=summary)
    return summary


def _finish(
    job: Job, worker_id: str, ctx: JobContext, *, state: str, summary: str = "", error: str = ""
) -> None:
    done, total, message = ctx.last if ctx.last is not None else (None, None, "")
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING, worker_id=worker_id).update(
        state=state,
        finished_at=timezone.now(),
        summary=summary,
        error=error,
        progress_done=done,
        progress_total=total,
        progress_message=message,
    )
    forget_progress(job.pk)
