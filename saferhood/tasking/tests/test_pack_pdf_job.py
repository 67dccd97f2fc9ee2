"""The issued pack's PDF is made once by a background job and every later download reads it."""

from __future__ import annotations

import stat

import pytest
from django.test import Client

from saferhood.accounts.tests.conftest import make_user
from saferhood.core.models import AuditEvent
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.tests.conftest import drain
from saferhood.tasking.pack_pdf import issued_pdf_path
from saferhood.tasking.tests.test_tasking import people, tipton, town_meeting  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):
    settings.SAFERHOOD_PACK_DIR = tmp_path / "packs"
    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"


@pytest.mark.django_db
def test_issuing_queues_the_pdf_and_downloads_read_the_kept_file(
    people,  # noqa: F811
    tipton,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    meeting = town_meeting(people, tipton)
    client = Client()
    client.force_login(people["analyst"])
    before = client.get(f"/tasking/meetings/{meeting.pk}/pack.pdf")
    assert before.status_code == 200 and before.content[:5] == b"%PDF-"  # a preview: rendered now

    with django_capture_on_commit_callbacks(execute=True):  # the job is queued when the issue commits
        client.post(f"/tasking/meetings/{meeting.pk}/pack/", {"do": "issue"})
    job = Job.objects.get(kind="tasking_pack_pdf")
    assert job.state == JobState.QUEUED and job.started_by == people["analyst"]
    assert job.params == {"meeting": meeting.pk}
    # Before the worker gets to it, the download still works (rendered on request).
    assert client.get(f"/tasking/meetings/{meeting.pk}/pack.pdf").content[:5] == b"%PDF-"

    drain()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    meeting.refresh_from_db()
    kept = issued_pdf_path(meeting)
    assert kept is not None and kept.exists() and kept.name in job.summary
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    download = client.get(f"/tasking/meetings/{meeting.pk}/pack.pdf")
    assert download.content == kept.read_bytes()  # the kept file, not a new rendering
    assert download["Content-Disposition"].endswith(f'tasking-pack-tipton-{meeting.date}.pdf"')
    assert AuditEvent.objects.filter(action="download", object_id=str(meeting.pk)).count() == 3

    # Only partners download it, kept or not: someone of no partner agency is refused.
    stranger = Client()
    stranger.force_login(make_user("no-agency", None))
    assert stranger.get(f"/tasking/meetings/{meeting.pk}/pack.pdf").status_code == 403
