"""The audit trail leaks nothing that scoping hides (issue 13 items 2 and 12).

No audit row, page or CSV holds a confidential note's values; an agency admin sees their
people's events about a record they cannot view without its id or detail; the CSV cannot run
a formula planted in a username.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from saferhood.accounts.models import Agency
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.scoping import Sharing
from saferhood.accounts.services import change_note, create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.core import audit
from saferhood.core.audit_keys import digest_search_term
from saferhood.core.models import AuditAction, AuditEvent

OLD = {"subject_name": "Zebedee Quartermaine", "subject_ref": "ZQ-4471", "text": "Lives at 12 Acacia Avenue"}
NEW = {"subject_name": "Zara Quillington", "subject_ref": "ZQ-9902", "text": "Moved to 3 Birch Close"}


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def _every_event_as_text() -> str:
    return "\n".join(
        json.dumps({f.attname: getattr(e, f.attname) for f in e._meta.concrete_fields}, default=str)
        for e in AuditEvent.objects.all()
    )


@pytest.fixture
def people(db):
    return {
        "officer": make_user("pc-pam", "police", RoleCode.OFFICER),
        "police_admin": make_user("pa-pete", "police", RoleCode.AGENCY_ADMIN),
        "sysadmin": make_user("sys-sue", "csp-team", RoleCode.SYSTEM_ADMIN),
    }


def test_no_audit_row_page_or_csv_holds_a_notes_values(client, people) -> None:
    police = Agency.objects.get(slug="police")
    officer = people["officer"]
    note = create_note(by_user=officer, owner_agency=police, sharing=Sharing.OWN_AGENCY, **OLD)
    change_note(note, by_user=officer, sharing=Sharing.PARTNERSHIP, **NEW)
    client.force_login(officer)
    assert client.get("/notes/", {"q": "Zebedee"}).status_code == 200  # a name typed into search
    assert client.get("/api/v1/notes", {"q": "Quillington"}).status_code == 200

    change = AuditEvent.objects.get(action="change", object_id=str(note.pk))
    assert set(change.changes) == {"subject_name", "subject_ref", "text", "sharing"}
    assert all(v.startswith("hmac:") for pair in change.changes.values() for v in pair)
    searched = AuditEvent.objects.filter(action="search", object_type="accounts.confidentialnote")
    assert [e.detail["criteria"]["q"] for e in searched.order_by("id")] == [
        digest_search_term(
            "zebedee"
        ),  # a system admin holding the key can still find who searched for a name
        digest_search_term("Quillington"),
    ]

    client.force_login(people["sysadmin"])
    page = client.get("/audit/").content.decode()
    export = b"".join(client.get("/audit/export.csv").streaming_content).decode()
    for where in (_every_event_as_text(), page, export):
        for value in [*OLD.values(), *NEW.values(), "Zebedee", "Quillington"]:
            assert value not in where
    (row,) = [r for r in csv.DictReader(io.StringIO(export)) if r["action"] == "change"]
    assert Sharing.PARTNERSHIP.value not in row["changes"] and Sharing.OWN_AGENCY.value not in row["changes"]


def test_an_agency_admin_sees_no_more_of_a_closed_note_than_its_scoping(client, people) -> None:
    police = Agency.objects.get(slug="police")
    officer, admin = people["officer"], people["police_admin"]
    closed = create_note(
        by_user=officer, owner_agency=police, sharing=Sharing.CLOSED, meeting_members=[officer], **OLD
    )
    own = create_note(by_user=officer, owner_agency=police, sharing=Sharing.OWN_AGENCY, **NEW)
    client.force_login(officer)
    assert client.get(f"/notes/{closed.pk}/").status_code == 200
    assert client.get(f"/notes/{own.pk}/").status_code == 200
    assert client.get("/notes/", {"q": "Zebedee"}).status_code == 200

    client.force_login(admin)
    assert client.get(f"/notes/{closed.pk}/").status_code == 404  # scoping hides it from the admin…
    html = client.get("/audit/", {"user": "pc-pam", "action": "view"}).content.decode()
    assert f'data-object-id="{own.pk}"' in html  # …the note they may see shows in full…
    assert (
        f'data-object-id="{closed.pk}"' not in html and "not a record you can see" in html
    )  # …this one does not
    assert f"/notes/{closed.pk}/" not in html  # not even in the path kept in the detail
    # Filtering by the hidden id finds nothing, so ids cannot be probed.
    probe = client.get("/audit/", {"object_id": str(closed.pk), "user": "pc-pam"}).content.decode()
    assert "data-username" not in probe
    rows = _csv(client.get("/audit/export.csv", {"user": "pc-pam", "action": "view"}))
    assert sorted(r["object_id"] for r in rows) == sorted([str(own.pk), "hidden"])
    hidden_row = next(r for r in rows if r["object_id"] == "hidden")
    assert (hidden_row["detail"], hidden_row["changes"]) == ("{}", "")
    (search,) = _csv(client.get("/audit/export.csv", {"user": "pc-pam", "action": "search"}))
    assert search["detail"] == "{}"  # a search of confidential records: no criteria, no path

    client.force_login(people["sysadmin"])  # a system admin sees every event whole
    html = client.get("/audit/", {"user": "pc-pam", "action": "view"}).content.decode()
    assert f'data-object-id="{closed.pk}"' in html and "not a record you can see" not in html


def test_the_audit_csv_cannot_run_a_formula_in_a_username(client, people) -> None:
    planted = '=HYPERLINK("http://x","y")'
    make_user(planted, "police", RoleCode.OFFICER)
    client.force_login(people["sysadmin"])
    client.post("/sign-in/", {"username": planted, "password": "wrong"})  # a failed sign-in names it
    client.force_login(people["sysadmin"])
    rows = _csv(client.get("/audit/export.csv", {"user": "HYPERLINK"}))
    assert rows and {r["username"] for r in rows} == {"'" + planted}


@pytest.mark.parametrize("model", audit.personal_models(), ids=lambda m: m._meta.label_lower)
def test_every_personal_model_is_audited_as_digests_whoever_calls_record(db, model) -> None:
    """A service that passes raw values, by object label or object, still stores none of them."""
    event = audit.record(
        AuditAction.CHANGE,
        user=None,
        username="svc",
        object_type=model._meta.label_lower,
        object_id=1,
        changes={"subject": ["Ann Old", "Ann New"]},
        detail={"criteria": {"q": "Ann"}, "note": "about Ann", "path": "/x/1/"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert "Ann" not in json.dumps([stored.changes, stored.detail])
    assert stored.detail["path"] == "/x/1/" and set(stored.detail) == {"criteria", "note", "path"}


def test_a_system_admin_finds_events_about_a_name_without_it_being_kept(client, people) -> None:
    police = Agency.objects.get(slug="police")
    officer = people["officer"]
    note = create_note(by_user=officer, owner_agency=police, **OLD)
    other = create_note(by_user=officer, owner_agency=police, **NEW)
    client.force_login(officer)
    client.get("/notes/", {"q": "  zebedee QUARTERMAINE "})
    client.force_login(people["sysadmin"])
    html = client.get("/audit/", {"value": "Zebedee Quartermaine"}).content.decode()
    assert f'data-object-id="{note.pk}"' in html and 'data-action="search"' in html  # created, searched
    assert f'data-object-id="{other.pk}"' not in html
    assert "Zebedee" not in _every_event_as_text()  # the admin's own search is kept as a digest too
    client.force_login(people["police_admin"])  # agency admins have no such field
    assert 'name="value"' not in client.get("/audit/").content.decode()


def test_the_notes_own_page_shows_who_changed_which_fields(client, people) -> None:
    police = Agency.objects.get(slug="police")
    note = create_note(by_user=people["officer"], owner_agency=police, **OLD)
    change_note(note, by_user=people["officer"], text=NEW["text"], subject_ref=NEW["subject_ref"])
    client.force_login(people["officer"])
    html = client.get(f"/notes/{note.pk}/").content.decode()
    assert 'data-testid="note-history"' in html and "subject_ref, text" in html and "pc-pam (police)" in html
