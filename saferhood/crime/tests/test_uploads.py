"""Uploading data in the browser: who may, what is refused before anything is kept, and the
upload imported whole by a background job with the same summary and errors as the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import make_user
from saferhood.core.models import AuditEvent
from saferhood.crime.models import CrimeRecord, ImportRun

ROOT = Path(__file__).resolve().parents[3]
STREET_2022 = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
STAFFS_01 = STREET_2022 / "2022-01/2022-01-staffordshire-street.csv"
WARKS_01 = STREET_2022 / "2022-01/2022-01-warwickshire-street.csv"
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


def independent_stored(path: Path) -> int:
    """Rows of a street file that placement keeps: those with a location inside the partnership
    geography (the bundled ONS LSOAs); checked against the run's own count."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return int((frame["Longitude"] != "").sum())
