"""The audit search page: agency admins see their agency's users, system admins everything; exports are audited."""

from __future__ import annotations

import csv
import io

import pytest

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import make_user
from saferhood.core import audit
from saferhood.core.models import AuditAction, AuditEvent


@pytest.fixture
def people(db):
    people = {
        "police_officer": make_user("pc-pam", "police", RoleCode.OFFICER),
        "housing_officer": make_user("ho-hugh", "housing", RoleCode.OFFICER),
        "police_admin": make_user("pa-pete", "police", RoleCode.AGENCY_ADMIN),
        "sysadmin": make_user("sys-sue", "csp-team", RoleCode.SYSTEM_ADMIN),
    }
    audit.record(
        AuditAction.VIEW, user=people["police_officer"], object_type="accounts.confidentialnote", object_id=7
    )
    audit.record(
        AuditAction.DENIED,
        user=people["housing_officer"],
        object_type="accounts.confidentialnote",
        object_id=8,
    )
    return people


def _usernames(response) -> set[str]:
    return {
        row["username"] for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }


def test_agency_admin_sees_only_their_agency(client, people) -> None:
    client.force_login(people["police_admin"])
    page = client.get("/audit/", {"object_type": "confidentialnote"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-username="pc-pam"' in html and "ho-hugh" not in html
    assert 'data-testid="nav-audit"' in html


def test_system_admin_sees_all_and_can_filter(client, people) -> None:
    client.force_login(people["sysadmin"])
    html = client.get("/audit/", {"action": "denied", "object_id": "8"}).content.decode()
    assert 'data-username="ho-hugh"' in html and 'data-username="pc-pam"' not in html
    html = client.get("/audit/", {"user": "pc-"}).content.decode()
    assert 'data-username="pc-pam"' in html and 'data-username="ho-hugh"' not in html


def test_bad_dates_are_explained(client, people) -> None:
    client.force_login(people["sysadmin"])
    html = client.get("/audit/", {"start": "2026-02-01", "end": "2026-01-01"}).content.decode()
    assert "must be the same as or after" in html


def test_export_csv_is_scoped_and_audited(client, people) -> None:
    client.force_login(people["police_admin"])
    response = client.get("/audit/export.csv", {"object_type": "confidentialnote"})
    assert response["Content-Type"].startswith("text/csv")
    assert _usernames(response) == {"pc-pam"}
    export = AuditEvent.objects.get(action="export", username="pa-pete")
    assert export.detail == {"criteria": {"object_type": "confidentialnote"}, "rows": 1}


def test_others_are_refused_and_the_attempt_is_audited(client, people) -> None:
    client.force_login(people["police_officer"])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert (
        AuditEvent.objects.filter(username="pc-pam", action="denied", object_type="core.auditevent").count()
        == 2
    )
    assert 'data-testid="nav-audit"' not in client.get("/notes/").content.decode()
