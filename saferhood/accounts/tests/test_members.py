"""Agency admins manage their own agency's people, and only theirs; every change is audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from saferhood.accounts.models import Membership
from saferhood.accounts.tests.conftest import make_user
from saferhood.core.models import AuditEvent

NEW = {"username": "pc-new", "first_name": "Sam", "last_name": "Okoro", "email": "", "password": "canal-towpath-2026",
       "roles": ["officer"]}  # fmt: skip


def test_agency_admin_adds_and_changes_their_own_people(client, db) -> None:
    admin = make_user("police-admin", "police", "agency_admin")
    client.force_login(admin)
    response = client.post("/agency/people/", NEW)
    assert response.status_code == 302
    member = Membership.objects.get(user__username="pc-new")
    assert member.agency.slug == "police" and [r.code for r in member.roles.all()] == ["officer"]
    assert get_user_model().objects.get(username="pc-new").check_password("canal-towpath-2026")
    assert AuditEvent.objects.filter(action="create", object_type="accounts.membership").exists()

    client.post(f"/agency/people/{member.pk}/", {"roles": ["viewer"]})  # and no "active": switched off
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert [r.code for r in member.roles.all()] == ["viewer"] and not member.user.is_active
    event = AuditEvent.objects.filter(action="change", object_type="accounts.membership").last()
    assert event.changes == {"roles": [["officer"], ["viewer"]], "active": [True, False]}


def test_agency_admin_cannot_touch_another_agency_or_make_a_system_admin(client, db) -> None:
    admin = make_user("police-admin", "police", "agency_admin")
    nurse = make_user("nurse", "health", "officer")
    client.force_login(admin)
    page = client.get("/agency/people/").content.decode()
    assert "nurse" not in page
    other = Membership.objects.get(user=nurse)
    assert (
        client.post(f"/agency/people/{other.pk}/", {"roles": ["viewer"], "active": "yes"}).status_code == 404
    )
    assert [r.code for r in other.roles.all()] == ["officer"]
    assert AuditEvent.objects.filter(action="denied", username="police-admin").exists()
    response = client.post("/agency/people/", {**NEW, "roles": ["system_admin"]})
    assert response.status_code == 400 and not Membership.objects.filter(user__username="pc-new").exists()


def test_weak_password_is_refused_with_nothing_stored_and_not_echoed(client, db) -> None:
    client.force_login(make_user("police-admin", "police", "agency_admin"))
    response = client.post("/agency/people/", {**NEW, "password": "password1"})
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="error-summary"' in html
    assert "password1" not in html and 'value="Sam"' in html
    assert not get_user_model().objects.filter(username="pc-new").exists()


def test_officers_cannot_manage_people(client, db) -> None:
    client.force_login(make_user("pc", "police", "officer"))
    assert client.get("/agency/people/").status_code == 403
    assert client.post("/agency/people/", NEW).status_code == 403
    assert not get_user_model().objects.filter(username="pc-new").exists()
