"""Jobs test kit: a tidy jobs folder, no schedule unless a test sets one, and a queue drain."""

from __future__ import annotations

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from saferhood.accounts.tests.conftest import make_user  # noqa: F401 - re-exported for the tests


@pytest.fixture(autouse=True)
def _jobs_dir(settings, tmp_path):
    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    settings.SAFERHOOD_SCHEDULE = {}


def drain(worker_id: str = "test-worker") -> int:
    """Run every queued task as `saferhood worker` does (django-tasks-db's own Worker.run_task),
    in this thread and this test's transaction. Returns how many ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while (row := DBTaskResult.objects.ready().first()) is not None:
        row.claim(worker_id)
        worker.run_task(row)
        ran += 1
    return ran
