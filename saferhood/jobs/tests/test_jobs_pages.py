"""The Jobs pages: who may see them, what they show, and retry behind a confirmation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from saferhood.core.models import AuditEvent
from saferhood.jobs.context import JobContext
from saferhood.jobs.models import Job, JobState
from saferhood.jobs.registry import job_kind
from saferhood.jobs.services import start_job
from saferhood.jobs.tests.conftest import drain, make_user

pytestmark = pytest.mark.django_db


@job_kind("test_page_fails", title="Fail for the page")
def fails(ctx: JobContext) -> str:
    raise RuntimeError("the disk is full")


@job_kind("test_page_ok", title="Succeed for the page")
def ok(ctx: JobContext) -> str:
    return "read 10, stored 10"


@pytest.mark.parametrize("role", ["viewer", "officer", "tasking_chair"])
def test_roles_that_do_not_import_get_the_styled_403_and_it_is_audited(client, role) -> None:
    client.force_login(make_user("val", "csp-team", role))
    for path in ("/jobs/", "/jobs/1/", "/jobs/1/retry/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Only analysts and admins can see background jobs" in response.content.decode()
    assert AuditEvent.objects.filter(action="denied", object_type="jobs.job", username="val").count() == 3
    assert client.get("/").content.decode().count('data-testid="nav-jobs"') == 0


def test_anonymous_is_sent_to_sign_in(client) -> None:
    assert client.get("/jobs/")["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("role", ["analyst", "agency_admin", "system_admin"])
def test_analysts_and_admins_see_the_list_newest_first_and_the_nav_link(client, role) -> None:
    client.force_login(make_user("ann", "csp-team", role))
    older = start_job("test_page_ok", params={}, label="Older import")
    newer = start_job("test_page_ok", params={}, label="Newer import")
    page = client.get("/jobs/").content.decode()
    assert page.index("Newer import") < page.index("Older import")
    assert f'data-job="{newer.pk}" data-state="queued"' in page and f'data-job="{older.pk}"' in page
    assert 'data-jobs-live="true"' in page  # queued jobs: the page keeps itself up to date
    assert 'data-testid="nav-jobs"' in page


def test_a_running_job_shows_its_live_progress_and_who_started_it(client) -> None:
    analyst = make_user("ann", "csp-team", "analyst")
    client.force_login(analyst)
    job = start_job("test_page_ok", user=analyst, params={}, label="Police files 2024-01")
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=timezone.now(), worker_id="w")
    JobContext(job).progress(2500, 10000, "2024-01-staffordshire-street.csv")
    page = client.get("/jobs/").content.decode()
    assert '<progress max="10000" value="2500"' in page and "2500 of 10000" in page
    assert "2024-01-staffordshire-street.csv" in page and ">ann<" in page
    assert "govuk-tag--blue" in page


def test_a_failed_job_shows_its_full_error_and_is_retried_after_confirmation(client) -> None:
    analyst = make_user("ann", "csp-team", "analyst")
    client.force_login(analyst)
    job = start_job("test_page_fails", params={}, label="Nightly thing")
    drain()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-error">Traceback (most recent call last):' in page
    assert "RuntimeError: the disk is full" in page and "The schedule" in page
    assert f'href="/jobs/{job.pk}/retry/"' in page

    confirm = client.get(f"/jobs/{job.pk}/retry/").content.decode()
    assert "Retry Nightly thing?" in confirm and "attempt 2" in confirm
    assert Job.objects.count() == 1  # asking is not retrying

    response = client.post(f"/jobs/{job.pk}/retry/", follow=True)
    retry = Job.objects.get(retry_of=job)
    assert response.redirect_chain[-1][0] == f"/jobs/{retry.pk}/"
    page = response.content.decode()
    assert "govuk-notification-banner--success" in page and "Nightly thing: attempt 2 queued." in page
    assert (retry.attempt, retry.started_by, retry.state) == (2, analyst, JobState.QUEUED)
    event = AuditEvent.objects.get(action="create", object_type="jobs.job")
    assert event.object_id == str(retry.pk) and event.detail["retry_of"] == job.pk and event.username == "ann"


def test_only_a_failed_job_can_be_retried(client) -> None:
    client.force_login(make_user("ann", "csp-team", "analyst"))
    job = start_job("test_page_ok", params={}, label="Fine")
    drain()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-testid="job-result">read 10, stored 10' in page and 'data-testid="retry"' not in page
    response = client.post(f"/jobs/{job.pk}/retry/", follow=True)
    assert "Only a failed job can be retried." in response.content.decode()
    assert Job.objects.count() == 1
