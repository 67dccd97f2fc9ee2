"""Changing your own password; a temporary password from an admin that must be replaced."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.accounts.models import Membership, TemporaryPassword
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import PASSWORD, make_user
from saferhood.core.models import AuditEvent

NEW = "kingfisher-over-the-canal-77"
TEMPORARY = "temporary-towpath-2026"


def _sign_in(client: Client, username: str, password: str):
    return client.post("/sign-in/", {"username": username, "password": password})


def _change(client: Client, old: str, new: str, again: str | None = None, next_: str = ""):
    path = "/account/password/" + (f"?next={next_}" if next_ else "")
    return client.post(path, {"old_password": old, "new_password1": new, "new_password2": again or new})


@pytest.fixture
def olive(db):
    return make_user("olive", "police", RoleCode.OFFICER, password=PASSWORD)


def test_the_header_links_to_the_account_page(client, olive) -> None:
    _sign_in(client, "olive", PASSWORD)
    assert 'href="/account/password/"' in client.get("/notes/").content.decode()
    page = client.get("/account/password/").content.decode()
    assert "Current password" in page and "New password again" in page


def test_a_signed_in_person_changes_their_password(client, olive) -> None:
    other_browser = Client()
    _sign_in(other_browser, "olive", PASSWORD)
    _sign_in(client, "olive", PASSWORD)
    response = _change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/account/password/").content.decode()
    assert "Your password has been changed" in page
    olive.refresh_from_db()
    assert olive.check_password(NEW) and not olive.check_password(PASSWORD)
    assert client.get("/notes/").status_code == 200  # this session goes on
    assert other_browser.get("/notes/").status_code == 302  # the other one ends
    event = AuditEvent.objects.get(username="olive", action="change", object_type="auth.user")
    assert event.detail == {"password": "changed", "was_temporary": False}
    assert NEW not in str(event.detail) and PASSWORD not in str(event.changes)


@pytest.mark.parametrize(
    ("old", "new", "again", "says"),
    [
        ("not-my-password", NEW, NEW, "Your current password is not right"),
        (PASSWORD, NEW, NEW + "x", "The new passwords do not match"),
        (PASSWORD, "password123", "password123", "This password is too common"),
        (PASSWORD, "short-1", "short-1", "This password is too short"),
        (PASSWORD, PASSWORD, PASSWORD, "Choose a new password, not the one you have now"),
    ],
)
def test_a_refused_change_names_the_field_and_the_fix(client, olive, old, new, again, says) -> None:
    _sign_in(client, "olive", PASSWORD)
    response = _change(client, old, new, again)
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="error-summary"' in html and says in html
    assert new not in html and old not in html  # passwords are never echoed
    olive.refresh_from_db()
    assert olive.check_password(PASSWORD)


def test_an_agency_admin_resets_a_password_and_the_person_must_change_it(client, olive) -> None:
    admin = make_user("police-admin", "police", RoleCode.AGENCY_ADMIN)
    client.force_login(admin)
    member = Membership.objects.get(user=olive)
    form = client.get(f"/agency/people/{member.pk}/password/")
    assert form.status_code == 200 and "Their current password stops working" in form.content.decode()
    weak = client.post(f"/agency/people/{member.pk}/password/", {"password": "olive"})
    assert weak.status_code == 400 and "error-summary" in weak.content.decode()
    response = client.post(f"/agency/people/{member.pk}/password/", {"password": TEMPORARY})
    assert response.status_code == 302
    assert "olive has a temporary password" in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.filter(
        username="police-admin",
        action="change",
        object_id=str(olive.pk),
        detail__password="temporary password set",
    ).exists()

    person = Client()
    assert _sign_in(person, "olive", PASSWORD).status_code == 200  # the old one no longer works
    assert _sign_in(person, "olive", TEMPORARY).status_code == 302
    for path in ("/notes/", "/", "/agency/people/", "/account/two-factor/?x=1"):
        response = person.get(path)
        if path.startswith("/account/two-factor/"):
            assert response.status_code == 200  # the pages that fix the account stay open
            continue
        assert response.status_code == 302 and response["Location"].startswith("/account/password/?next=")
    assert person.get("/api/v1/notes").status_code == 403
    page = person.get("/account/password/?next=/notes/").content.decode()
    assert 'data-testid="password-must-change"' in page
    response = _change(person, TEMPORARY, NEW, next_="/notes/")
    assert response["Location"] == "/notes/"
    assert person.get("/notes/").status_code == 200
    assert not TemporaryPassword.objects.filter(user=olive).exists()


def test_a_first_password_chosen_by_an_admin_is_temporary(client, db) -> None:
    client.force_login(make_user("police-admin", "police", RoleCode.AGENCY_ADMIN))
    client.post("/agency/people/", {"username": "pc-new", "first_name": "Sam", "last_name": "Okoro",
                                    "email": "", "password": TEMPORARY, "roles": ["officer"]})  # fmt: skip
    person = Client()
    assert _sign_in(person, "pc-new", TEMPORARY).status_code == 302
    assert person.get("/notes/")["Location"] == "/account/password/?next=%2Fnotes%2F"
    # Signing out is always possible.
    assert person.post("/sign-out/").status_code == 302
    assert "_auth_user_id" not in person.session


def test_an_admin_cannot_reset_another_agencys_person_or_a_system_admin(client, db) -> None:
    client.force_login(make_user("police-admin", "police", RoleCode.AGENCY_ADMIN))
    nurse = make_user("nurse", "health", RoleCode.OFFICER, password=PASSWORD)
    chief = make_user("chief", "police", RoleCode.SYSTEM_ADMIN, password=PASSWORD)
    theirs = Membership.objects.get(user=nurse)
    assert client.post(f"/agency/people/{theirs.pk}/password/", {"password": TEMPORARY}).status_code == 404
    boss = Membership.objects.get(user=chief)
    assert client.get(f"/agency/people/{boss.pk}/password/").status_code == 403
    assert client.post(f"/agency/people/{boss.pk}/password/", {"password": TEMPORARY}).status_code == 403
    for user in (nurse, chief):
        user.refresh_from_db()
        assert user.check_password(PASSWORD) and not TemporaryPassword.objects.filter(user=user).exists()
    # A system admin may.
    client.force_login(make_user("sid", "csp-team", RoleCode.SYSTEM_ADMIN))
    response = client.post(f"/agency/people/{boss.pk}/password/?agency=police", {"password": TEMPORARY})
    assert response.status_code == 302
    assert get_user_model().objects.get(username="chief").check_password(TEMPORARY)
