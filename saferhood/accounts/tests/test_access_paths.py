"""Agency A cannot see agency B's note by URL, API or search; every look is audited."""

from __future__ import annotations

import pytest

from saferhood.accounts.models import Agency, ConfidentialNote
from saferhood.accounts.roles import Action, RoleCode
from saferhood.accounts.scoping import Sharing, UnscopedQueryError
from saferhood.accounts.services import NotAllowed, change_note, create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.core.audit_keys import digest, digest_search_term
from saferhood.core.models import AuditEvent


@pytest.fixture
def setting(db):
    housing = Agency.objects.get(slug="housing")
    police = Agency.objects.get(slug="police")
    owner = make_user("hal", housing, RoleCode.OFFICER)
    note = create_note(
        by_user=owner,
        owner_agency=housing,
        subject_name="Sam Victim",
        subject_ref="H-1",
        text="Lives at 1 Secret Road",
    )
    return {
        "note": note,
        "owner": owner,
        "intruder": make_user("pat", police, RoleCode.OFFICER),
        "sysadmin": make_user("sid", "csp-team", RoleCode.SYSTEM_ADMIN),
    }


def test_the_default_manager_refuses_to_read_without_a_scope(db) -> None:
    with pytest.raises(UnscopedQueryError):
        list(ConfidentialNote.objects.all())
    with pytest.raises(UnscopedQueryError):
        ConfidentialNote.objects.filter(subject_name="x").exists()
    with pytest.raises(UnscopedQueryError):
        ConfidentialNote.objects.get(pk=1)
    with pytest.raises(UnscopedQueryError):
        ConfidentialNote.objects.all().update(text="")


def test_another_agency_gets_404_by_url_api_and_search(client, setting) -> None:
    note, intruder = setting["note"], setting["intruder"]
    client.force_login(intruder)
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    assert client.get(f"/api/v1/notes/{note.pk}").status_code == 404
    page = client.get("/notes/", {"q": "Sam"})
    assert page.status_code == 200 and "Sam Victim" not in page.content.decode()
    assert client.get("/api/v1/notes", {"q": "Sam"}).json() == []
    denied = AuditEvent.objects.filter(
        username="pat", action="denied", object_type="accounts.confidentialnote", object_id=str(note.pk)
    )
    assert denied.count() == 2
    assert {e.detail["path"] for e in denied} == {f"/notes/{note.pk}/", f"/api/v1/notes/{note.pk}"}
    assert (
        AuditEvent.objects.filter(
            username="pat", action="search", detail__criteria__q=digest_search_term("sam")
        ).count()
        == 2
    )  # the name searched for is kept as a digest only


def test_the_owner_and_a_system_admin_see_it_and_the_view_is_audited(client, setting) -> None:
    note = setting["note"]
    for user in (setting["owner"], setting["sysadmin"]):
        client.force_login(user)
        page = client.get(f"/notes/{note.pk}/")
        assert page.status_code == 200 and "1 Secret Road" in page.content.decode()
        assert client.get(f"/api/v1/notes/{note.pk}").json()["subject_name"] == "Sam Victim"
        assert "Sam Victim" in client.get("/notes/", {"q": "sam"}).content.decode()
        assert AuditEvent.objects.filter(user=user, action="view", object_id=str(note.pk)).count() == 2


def test_anonymous_requests_are_refused(client, setting) -> None:
    assert client.get(f"/notes/{setting['note'].pk}/").status_code == 302
    assert client.get(f"/api/v1/notes/{setting['note'].pk}").status_code == 401


def test_sharing_with_the_agency_opens_it(client, setting) -> None:
    note = setting["note"]
    change_note(
        note,
        by_user=setting["owner"],
        sharing=Sharing.SHARED,
        shared_with=[Agency.objects.get(slug="police")],
    )
    client.force_login(setting["intruder"])
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    with pytest.raises(NotAllowed):
        change_note(note, by_user=setting["intruder"], text="overwritten")


def test_create_and_change_record_which_fields_changed_as_digests(setting) -> None:
    note = setting["note"]
    created = AuditEvent.objects.get(action="create", object_id=str(note.pk))
    assert created.changes["subject_name"] == [digest(None), digest("Sam Victim")]  # never the name itself
    change_note(note, by_user=setting["owner"], text="Moved to 2 Other Street")
    changed = AuditEvent.objects.get(action="change", object_id=str(note.pk))
    assert changed.changes == {"text": [digest("Lives at 1 Secret Road"), digest("Moved to 2 Other Street")]}
    assert changed.username == "hal" and changed.actor_agency == "housing"


def test_the_admin_has_no_note_pages(client, setting) -> None:
    intruder = setting["intruder"]
    intruder.is_staff = True
    intruder.save()
    from django.contrib.auth.models import Permission

    intruder.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_confidentialnote", "change_confidentialnote"])
    )
    client.force_login(intruder)
    assert client.get("/admin/accounts/confidentialnote/").status_code == 404  # closed: test_admin_closed.py
    assert client.get(f"/admin/accounts/confidentialnote/{setting['note'].pk}/change/").status_code == 404
    assert ConfidentialNote.objects.restrict(setting["sysadmin"], Action.VIEW).count() == 1
