"""start_job / retry_job / JobContext as other apps use them, run through django-tasks-db."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from saferhood.core.errors import ImportFileError
from saferhood.jobs.context import JobContext
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.progress import read_progress
from saferhood.jobs.registry import UnknownJobKind, job_kind
from saferhood.jobs.services import JobNotRetryable, retry_job, start_job
from saferhood.jobs.tests.conftest import drain, make_user

SEEN: dict[str, object] = {}


@job_kind("test_count", title="Count to a number")
def count(ctx: JobContext, *, to: int) -> str:
    for i in range(1, to + 1):
        ctx.progress(i, to, f"counted {i}")
    SEEN["progress"] = read_progress(ctx.job.pk)
    SEEN["user"] = ctx.user
    return f"counted to {to}"


@job_kind("test_bad_file", title="Read a bad file")
def bad_file(ctx: JobContext) -> str:
    raise ImportFileError("street.csv", "'Month' is '2024-13'; use YYYY-MM", line=3, column="Month")


@job_kind("test_bug", title="Hit a bug")
def bug(ctx: JobContext) -> str:
    return {}["missing"]


pytestmark = pytest.mark.django_db


def test_a_job_runs_and_keeps_its_summary_timings_and_last_progress() -> None:
    analyst = make_user("ann", "csp-team", "analyst")
    job = start_job("test_count", user=analyst, params={"to": 3}, label="Count to three")
    assert job.state == JobState.QUEUED and job.started_by == analyst and job.attempt == 1
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "READY"

    assert drain() == 1
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.summary == "counted to 3" and job.error == ""
    assert job.started_at <= job.finished_at and job.worker_id == "test-worker"
    assert (job.progress_done, job.progress_total, job.progress_message) == (3, 3, "counted 3")
    assert SEEN["progress"] == {"done": 3, "total": 3, "message": "counted 3"}  # the last is always written
    assert SEEN["user"] == analyst
    assert read_progress(job.pk) is None  # the live file goes when the job ends
    assert job.current_progress() == {"done": 3, "total": 3, "message": "counted 3"}


def test_a_file_error_is_shown_as_its_message_and_a_bug_as_its_full_traceback() -> None:
    file_job = start_job("test_bad_file", params={}, label="Bad file")
    bug_job = start_job("test_bug", params={}, label="Bug")
    drain()
    file_job.refresh_from_db()
    bug_job.refresh_from_db()
    assert file_job.state == JobState.FAILED and file_job.started_by is None
    assert file_job.error == (
        "street.csv:3: column 'Month': 'Month' is '2024-13'; use YYYY-MM. Nothing from this file was stored."
    )
    assert bug_job.state == JobState.FAILED
    assert (
        bug_job.error.startswith("Traceback (most recent call last):")
        and "KeyError: 'missing'" in bug_job.error
    )
    assert DBTaskResult.objects.get(id=bug_job.task_result_id).status == "FAILED"


def test_retry_is_a_new_attempt_of_a_failed_job_only() -> None:
    admin = make_user("sam", "csp-team", "system_admin")
    job = start_job("test_bad_file", params={}, label="Bad file")
    with pytest.raises(JobNotRetryable):
        retry_job(job, user=admin)  # still queued
    drain()
    job.refresh_from_db()
    again = retry_job(job, user=admin)
    assert (again.kind, again.params, again.label, again.attempt) == (job.kind, job.params, job.label, 2)
    assert again.retry_of == job and again.started_by == admin and not again.automatic_retry
    assert again.state == JobState.QUEUED and again.task_result_id != job.task_result_id


def test_an_unknown_kind_is_refused_by_the_caller_not_later_by_a_worker() -> None:
    with pytest.raises(UnknownJobKind):
        start_job("no_such_kind", params={}, label="Nothing")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_a_job_started_inside_a_transaction_that_rolls_back_leaves_nothing_queued() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        start_job("test_count", params={"to": 1}, label="Rolled back")
        raise RuntimeError
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")


def test_progress_is_throttled_but_never_loses_the_last_report(settings) -> None:
    job = start_job("test_count", params={"to": 1}, label="Throttle")
    ctx = JobContext(job)
    ctx.progress(1, 1000, "first")
    ctx.progress(2, 1000, "too soon: not written")
    assert read_progress(job.pk) == {"done": 1, "total": 1000, "message": "first"}
    ctx.progress(1000, 1000, "done")
    assert read_progress(job.pk) == {"done": 1000, "total": 1000, "message": "done"}


def test_retention_runs_as_a_job_with_the_commands_summary(settings, tmp_path) -> None:
    settings.SAFERHOOD_ARCHIVE_DIR = tmp_path / "archive"
    job = start_job("retention", params={"dry_run": True}, label="Retention (dry run)")
    drain()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    lines = job.summary.splitlines()
    assert lines and all(" would erase" in line for line in lines)
    assert any(line.startswith("accounts.confidentialnote: 0 older than") for line in lines)
