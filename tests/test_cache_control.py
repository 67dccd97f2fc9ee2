"""No browser or shared cache keeps a page or API answer that holds personal data.

Notes, closed cases, the audit trail and an agency's people are read by the people allowed to,
and every answer says ``Cache-Control: no-store``; public area statistics stay cacheable.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from saferhood.accounts.models import Agency
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.services import create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.tasking import services


@pytest.fixture
def records(db) -> dict:
    housing = Agency.objects.get(slug="housing")
    officer = make_user("hal", housing, RoleCode.OFFICER)
    admin = make_user("ada", housing, RoleCode.AGENCY_ADMIN)
    note = create_note(by_user=officer, owner_agency=housing, subject_name="Sam Victim", subject_ref="H-1",
                       text="Lives at 1 Secret Road")  # fmt: skip
    meeting = services.create_meeting(kind="town", area=Area.objects.get(code="tipton"),
                                      on=datetime.date(2026, 4, 14), chairs="ASB lead", by=admin,
                                      closed_members=[officer])  # fmt: skip
    services.record_closed_case(meeting, by=officer, subject="Jane Doe", role="victim", summary="Harassed")
    return {"officer": officer, "admin": admin, "note": note, "meeting": meeting}


def personal_pages(r: dict) -> list[tuple[str, str, str]]:
    """(who, url, a personal value the answer shows)."""
    m = r["meeting"].pk
    return [
        ("officer", "/notes/?q=Sam", "Sam Victim"),
        ("officer", f"/notes/{r['note'].pk}/", "Sam Victim"),
        ("officer", "/api/v1/notes?q=Sam", "Sam Victim"),
        ("officer", f"/api/v1/notes/{r['note'].pk}", "Sam Victim"),
        ("officer", f"/tasking/meetings/{m}/closed/", "Jane Doe"),
        ("officer", f"/api/v1/tasking/meetings/{m}/closed-cases", "Jane Doe"),
        ("admin", "/audit/", "hal"),
        ("admin", "/audit/export.csv", "hal"),
        ("admin", "/agency/people/", "hal"),
    ]


def test_every_personal_data_answer_says_no_store(records) -> None:
    clients = {}
    for who in ("officer", "admin"):
        clients[who] = Client()
        clients[who].force_login(records[who])
    for who, url, shown in personal_pages(records):
        response = clients[who].get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and shown in body.decode(), url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_refusals_of_private_api_say_no_store_and_public_area_data_stays_cacheable(
    client: Client, db
) -> None:
    refused = client.get("/api/v1/notes?q=Sam")
    assert refused.status_code == 401 and "no-store" in refused["Cache-Control"]
    public = client.get("/api/v1/areas/tipton")
    assert public.status_code == 200 and "no-store" not in public.get("Cache-Control", "")
