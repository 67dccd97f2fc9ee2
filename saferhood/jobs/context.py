"""What a job kind's function is given: the job, and a way to report progress."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from saferhood.jobs.progress import write_progress

if TYPE_CHECKING:
    from saferhood.jobs.models import Job

PROGRESS_EVERY_SECONDS = 0.5


class JobContext:
    def __init__(self, job: Job) -> None:
        self.job = job
        self.last: tuple[int, int | None, str] | None = None
        self._written_at = 0.0

    @property
    def user(self) -> Any:
        """The user who started the job; None when the schedule did."""
        return self.job.started_by

    def progress(self, done: int, total: int | None, message: str = "") -> None:
        """Report ``done`` of ``total`` (None: unknown). Throttled: at most one write every
        half second, but the first and the last (done == total) are always written."""
        self.last = (int(done), None if total is None else int(total), str(message)[:300])
        now = time.monotonic()
        finishing = total is not None and done >= total
        if self._written_at and not finishing and now - self._written_at < PROGRESS_EVERY_SECONDS:
            return
        self._written_at = now
        write_progress(self.job.pk, *self.last)
