"""The Job record (what the Jobs page shows), workers' heartbeats and the schedule's last runs.

django-tasks-db keeps its own queue rows (``DBTaskResult``); a Job is the user-facing record
around one of them: who started it, its label, progress, summary or full error, and its attempt.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    kind = models.CharField(max_length=64, db_index=True)
    label = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Null: started by the schedule, not a person.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    automatic_retry = models.BooleanField(default=False)
    task_result_id = models.CharField(max_length=64, blank=True, db_index=True)
    worker_id = models.CharField(max_length=64, blank=True, db_index=True)
    # The last progress, kept when the job ends (while it runs, progress lives in a file: see progress.py).
    progress_done = models.BigIntegerField(null=True, blank=True)
    progress_total = models.BigIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_state_display().lower()})"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or timezone.now()
        return max(0.0, (end - self.started_at).total_seconds())

    def current_progress(self) -> dict[str, Any]:
        """``{"done", "total", "message"}``: live from the worker's file while running, else stored."""
        if self.state == JobState.RUNNING:
            from saferhood.jobs.progress import read_progress

            live = read_progress(self.pk)
            if live is not None:
                return live
        return {"done": self.progress_done, "total": self.progress_total, "message": self.progress_message}


class WorkerHeartbeat(models.Model):
    """One row per ``saferhood worker`` process, beaten every few seconds (docs/adr/0007)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"


class ScheduleRun(models.Model):
    """The last period a scheduled kind was enqueued for: one row per kind, claimed by a
    compare-and-set update so several workers enqueue each period exactly once."""

    kind = models.CharField(max_length=64, unique=True)
    period = models.CharField(max_length=20)
    enqueued_at = models.DateTimeField(default=timezone.now)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.kind}: {self.period}"
