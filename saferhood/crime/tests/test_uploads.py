"""Uploading data in the browser: who may, what is refused before anything is kept, and the
upload imported whole by a background job with the same summary and errors as the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import make_user
from saferhood.core.models import AuditEvent
from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.tests.conftest import drain

ROOT = Path(__file__).resolve().parents[3]
STREET_2022 = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
STAFFS_01 = STREET_2022 / "2022-01/2022-01-staffordshire-street.csv"
BTP_01 = STREET_2022 / "2022-01/2022-01-btp-street.csv"
COUNTS = ROOT / "demo/police-uk-api-wm-lsoa21-monthly-counts-2023-2026/birmingham"
URL = "/data/upload/"


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.SAFERHOOD_UPLOAD_DIR = tmp_path / "uploads"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads" / ".incoming")
    return settings.SAFERHOOD_UPLOAD_DIR


def signed_in(client, *roles: str, username: str = "uploader"):
    user = make_user(username, "council-asb", *roles)
    client.force_login(user)
    return user


def kept_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts] if root.exists() else []


def csv_upload(path: Path, name: str | None = None, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes() if data is None else data, "text/csv")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        ((RoleCode.ANALYST,), True),
        ((RoleCode.SYSTEM_ADMIN,), True),
        ((RoleCode.VIEWER,), False),
        ((RoleCode.OFFICER,), False),
        ((RoleCode.AGENCY_ADMIN,), False),
        ((RoleCode.TASKING_CHAIR,), False),
    ],
)
def test_only_roles_that_may_import_see_the_page(client, upload_dir, roles, allowed):
    signed_in(client, *roles)
    page = client.get(URL)
    assert page.status_code == (200 if allowed else 403)
    posted = client.post(URL, {"what": "police", "files": [csv_upload(STAFFS_01)]})
    if not allowed:
        assert posted.status_code == 403
        assert kept_files(upload_dir) == []  # refused before the body was kept
        assert AuditEvent.objects.filter(action="denied", object_type="data upload").count() == 2


@pytest.mark.django_db
def test_signed_out_people_are_sent_to_sign_in(client, upload_dir):
    answer = client.get(URL)
    assert answer.status_code == 302 and "/sign-in/" in answer["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "files", "message"),
    [
        ({"what": "police"}, [], "Select at least one file to upload"),
        ({}, [("2022-01-staffordshire-street.csv", b"x")], "Select what you are uploading"),
        ({"what": "police"}, [("crimes.csv", b"a,b\n")], "is not named as police.uk names its files"),
        ({"what": "police"}, [("notes.txt", b"hello")], "is not a police.uk file"),
        ({"what": "counts"}, [("counts.csv", b"a,b\n")], "Enter the name of the data set"),
        ({"what": "counts", "source": "extract"}, [("counts.xlsx", b"x")], "is not a count file"),
    ],
)
def test_a_wrong_upload_is_refused_with_the_fix_and_nothing_kept(client, upload_dir, form, files, message):
    signed_in(client, RoleCode.ANALYST)
    uploaded = [SimpleUploadedFile(name, data) for name, data in files]
    page = client.post(URL, {**form, "files": uploaded})
    assert page.status_code == 400
    assert message in page.content.decode()
    assert 'data-testid="error-summary"' in page.content.decode()
    assert kept_files(upload_dir) == []
    assert ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_files_over_the_limit_are_refused_while_streaming(client, upload_dir, settings):
    settings.SAFERHOOD_UPLOAD_MAX_BYTES = 100_000  # the real file is ~1.5 MB
    signed_in(client, RoleCode.ANALYST)
    assert STAFFS_01.stat().st_size > 100_000
    page = client.post(URL, {"what": "police", "files": [csv_upload(STAFFS_01)]})
    assert page.status_code == 413
    assert "or smaller in total. Nothing was stored." in page.content.decode()
    assert kept_files(upload_dir) == []
    assert [p for p in upload_dir.rglob("*") if p.is_file()] == []  # nor the part that streamed in
    assert ImportRun.objects.count() == 0


@pytest.mark.django_db
def test_a_declared_length_over_the_limit_is_refused_before_reading(client, upload_dir, settings):
    settings.SAFERHOOD_UPLOAD_MAX_BYTES = 10_000
    signed_in(client, RoleCode.ANALYST)
    page = client.post(URL, {"what": "police", "files": [csv_upload(STAFFS_01)]}, CONTENT_LENGTH="5000000000")
    assert page.status_code == 413
    assert kept_files(upload_dir) == []


def test_uploads_are_streamed_to_disk_never_memory(rf):
    from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

    from saferhood.crime.uploads import SizeGuard, stream_to_disk

    request = rf.post("/data/upload/")
    stream_to_disk(request)
    kinds = [type(h) for h in request.upload_handlers]
    assert kinds == [SizeGuard, TemporaryFileUploadHandler]
    assert MemoryFileUploadHandler not in kinds


def upload_and_run(client, data: dict) -> Job:
    """Post the form as the browser does, follow to the job page, then run the queue as
    `saferhood worker` does."""
    answer = client.post(URL, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    job = Job.objects.get(pk=int(answer["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert job.state == JobState.QUEUED
    page = client.get(answer["Location"])
    assert "Uploaded 1 file(s)" in page.content.decode() or "Uploaded 2 file(s)" in page.content.decode()
    drain()
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_an_upload_is_imported_by_a_job_with_the_clis_summary(client, upload_dir, settings, tmp_path):
    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    analyst = signed_in(client, RoleCode.ANALYST)
    job = upload_and_run(client, {"what": "police", "files": [csv_upload(STAFFS_01), csv_upload(BTP_01)]})
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.started_by == analyst and job.kind == "police_import"
    # Independently: every row of the two real files is read; what placement stored is in the runs.
    rows = sum(len(pd.read_csv(p, dtype=str)) for p in (STAFFS_01, BTP_01))
    stored = CrimeRecord.objects.count()
    assert f"Rows read:                  {rows:,}" in job.summary
    assert f"Rows stored:                {stored:,}" in job.summary
    assert {r.file_name.rsplit("/", 1)[-1] for r in ImportRun.objects.all()} == {
        STAFFS_01.name,
        BTP_01.name,
    }
    assert str(upload_dir) not in job.summary  # files named as uploaded, not by the server's folder
    assert kept_files(upload_dir) == []  # imported: the upload's folder is gone
    event = AuditEvent.objects.get(action="create", object_type="data upload")
    assert event.object_id == str(job.pk) and event.user_id == analyst.pk
    # The job page shows the summary to the analyst.
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"{rows:,}" in page


@pytest.mark.django_db
def test_a_corrupted_upload_is_refused_whole_with_its_line(client, upload_dir, settings, tmp_path):
    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    signed_in(client, RoleCode.ANALYST)
    lines = STAFFS_01.read_bytes().split(b"\n")
    header = lines[0].split(b",")
    fields = lines[19].split(b",")
    fields[header.index(b"Latitude")] = b"52.6o"  # line 20: a letter o for a zero
    lines[19] = b",".join(fields)
    bad = csv_upload(STAFFS_01, data=b"\n".join(lines))
    # A good file first in the same upload: the upload is one batch, so it is not stored either.
    job = upload_and_run(client, {"what": "police", "files": [csv_upload(BTP_01), bad]})
    assert job.state == JobState.FAILED
    assert job.error.startswith(f"{STAFFS_01.name}:20: column 'Latitude'")
    assert "Nothing from this file nor from the other 1 file(s)" in job.error
    assert ImportRun.objects.count() == 0 and CrimeRecord.objects.count() == 0
    assert len(kept_files(upload_dir)) == 2  # a failed upload's files stay (a retry reads them again)


@pytest.mark.django_db
def test_counts_uploaded_under_a_source_name(client, upload_dir, settings, tmp_path):
    settings.SAFERHOOD_JOBS_DIR = tmp_path / "jobs"
    signed_in(client, RoleCode.SYSTEM_ADMIN)
    month = sorted(COUNTS.glob("*.csv"))[0]
    job = upload_and_run(client, {"what": "counts", "source": "force extract", "files": [csv_upload(month)]})
    assert job.state == JobState.SUCCEEDED, job.error
    frame = pd.read_csv(month)
    total = int(MonthlyCount.objects.filter(source="force extract").aggregate(n=Sum("count"))["n"])
    assert total == int(frame["crime_count"].sum())
    assert f"{len(frame):,}" in job.summary
