"""A dead worker's jobs are failed (and retried once if safe); the schedule queues each period once."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from saferhood.jobs.context import JobContext
from saferhood.jobs.liveness import HOST, beat_database, beat_file, worker_readiness
from saferhood.jobs.models import Job, JobState, ScheduleRun, WorkerHeartbeat
from saferhood.jobs.reaper import WORKER_DIED, reap_dead_workers
from saferhood.jobs.registry import job_kind, registered_kinds
from saferhood.jobs.schedule import enqueue_due, period_of
from saferhood.jobs.services import start_job

pytestmark = pytest.mark.django_db


@job_kind("test_safe", title="Safe to run again", retry_safe=True)
def safe(ctx: JobContext) -> str:
    return "done"


@job_kind("test_unsafe", title="Not safe to run again")
def unsafe(ctx: JobContext) -> str:
    return "done"


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _running(kind: str, worker_id: str) -> Job:
    """A job claimed and started by ``worker_id``, as the queue and the runner leave it."""
    job = start_job(kind, params={}, label=kind)
    DBTaskResult.objects.get(id=job.task_result_id).claim(worker_id)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), worker_id=worker_id
    )
    return job


def test_a_job_of_a_killed_worker_is_failed_and_a_retry_safe_one_retried_once() -> None:
    WorkerHeartbeat.objects.create(worker_id="killed", host=HOST, pid=_dead_pid())  # beat just now
    job = _running("test_safe", "killed")
    unsafe_job = _running("test_unsafe", "killed")

    retries = reap_dead_workers()

    job.refresh_from_db()
    unsafe_job.refresh_from_db()
    assert job.state == unsafe_job.state == JobState.FAILED
    assert (
        job.error == WORKER_DIED == "The worker stopped while running this job; nothing from it was stored."
    )
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "FAILED"
    [retry] = retries
    assert (retry.retry_of, retry.attempt, retry.automatic_retry, retry.state) == (
        job,
        2,
        True,
        JobState.QUEUED,
    )
    assert reap_dead_workers() == []  # a second look (or a second worker) changes nothing
    assert not WorkerHeartbeat.objects.filter(worker_id="killed").exists()  # forgotten once settled

    # The automatic retry dies too: shown failed, not retried again.
    WorkerHeartbeat.objects.create(worker_id="killed-again", host=HOST, pid=_dead_pid())
    DBTaskResult.objects.get(id=retry.task_result_id).claim("killed-again")
    Job.objects.filter(pk=retry.pk).update(state=JobState.RUNNING, worker_id="killed-again")
    assert reap_dead_workers() == []
    retry.refresh_from_db()
    assert retry.state == JobState.FAILED


def test_a_working_worker_keeps_its_job_and_a_silent_one_elsewhere_loses_it_after_the_stale_period() -> None:
    beat_file("alive", timezone.now())  # this process: on this host and running
    beat_database("alive", timezone.now())
    WorkerHeartbeat.objects.create(
        worker_id="silent", host="another-server", pid=1, beat_at=timezone.now() - timedelta(minutes=5)
    )
    kept = _running("test_safe", "alive")
    lost = _running("test_unsafe", "silent")
    assert reap_dead_workers() == []
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert kept.state == JobState.RUNNING and lost.state == JobState.FAILED


def test_a_job_claimed_but_not_started_by_a_dead_worker_is_failed_too() -> None:
    job = start_job("test_unsafe", params={}, label="claimed only")
    DBTaskResult.objects.get(id=job.task_result_id).claim("never-beat")
    reap_dead_workers()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == WORKER_DIED


def test_readiness_names_the_worker_until_one_beats() -> None:
    assert worker_readiness() == "no worker running (start `saferhood worker`)"
    beat_file("alive", timezone.now())
    assert worker_readiness() is None


def test_each_period_of_a_scheduled_kind_is_queued_exactly_once(settings) -> None:
    settings.SAFERHOOD_SCHEDULE = {"test_safe": "daily", "police_refresh_not_installed": "monthly"}
    london = ZoneInfo("Europe/London")
    morning = datetime(2026, 12, 3, 6, 0, tzinfo=london)

    first = enqueue_due(morning)
    second = enqueue_due(morning + timedelta(hours=1))  # another worker, or the same one later that day
    assert [job.kind for job in first] == ["test_safe"] and second == []
    [job] = first
    assert job.started_by is None and job.label == "Safe to run again (scheduled, 2026-12-03)"
    assert ScheduleRun.objects.get(kind="test_safe").job == job
    assert not ScheduleRun.objects.filter(kind="police_refresh_not_installed").exists()  # unknown: skipped

    next_day = enqueue_due(morning + timedelta(days=1))
    assert [j.label for j in next_day] == ["Safe to run again (scheduled, 2026-12-04)"]
    assert Job.objects.filter(kind="test_safe").count() == 2


def test_periods_follow_the_local_calendar() -> None:
    # 23:30 UTC on 31 July is already 1 August in London (BST).
    late = datetime(2026, 7, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert period_of("daily", late) == "2026-08-01" and period_of("monthly", late) == "2026-08"
    with pytest.raises(ValueError, match="unknown cadence"):
        period_of("fortnightly", late)


def test_retention_is_scheduled_daily_and_the_monthly_refresh_waits_for_its_kind(settings) -> None:
    settings.SAFERHOOD_SCHEDULE = {"retention": "daily", "police_refresh": "monthly"}
    now = datetime(2026, 12, 3, 2, 0, tzinfo=ZoneInfo("Europe/London"))
    queued = enqueue_due(now)
    kinds = [j.kind for j in queued]
    assert "retention" in kinds and all(j.started_by is None for j in queued)
    # police_refresh is queued once its kind is installed (crime), skipped until then.
    assert ("police_refresh" in kinds) == ("police_refresh" in registered_kinds())
    assert enqueue_due(now) == []
