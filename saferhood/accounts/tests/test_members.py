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


def _superuser_in(agency: str, username: str = "root"):
    user = make_user(username, agency, "agency_admin")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


def test_only_a_system_admin_changes_a_system_admin(client, db) -> None:
    from django.test import Client

    admin = make_user("police-admin", "police", "agency_admin")
    chief = make_user("chief", "police", "system_admin")
    root = _superuser_in("police")
    client.force_login(admin)
    page = client.get("/agency/people/").content.decode()
    assert page.count('data-testid="not-manageable"') == 2  # chief and root: no form offered
    for target in (chief, root):
        member = Membership.objects.get(user=target)
        before = sorted(member.roles.values_list("code", flat=True))
        response = client.post(
            f"/agency/people/{member.pk}/", {"roles": ["viewer"]}
        )  # strip roles, switch off
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.is_active and sorted(member.roles.values_list("code", flat=True)) == before
    assert (
        AuditEvent.objects.filter(username="police-admin", action="denied", detail__wanted="change").count()
        == 2
    )
    # A system admin may, and keeps the system admin role they cannot grant on this page.
    sid = Client()
    sid.force_login(make_user("sid", "csp-team", "system_admin"))
    member = Membership.objects.get(user=chief)
    assert sid.post(f"/agency/people/{member.pk}/?agency=police", {"roles": ["analyst"]}).status_code == 302
    chief.refresh_from_db()
    assert not chief.is_active
    assert sorted(member.roles.values_list("code", flat=True)) == ["analyst", "system_admin"]


def test_the_django_admin_follows_the_same_rule(client, db) -> None:
    from django.contrib.auth.models import Permission

    admin = make_user("police-admin", "police", "agency_admin")
    admin.is_staff = True
    admin.save()
    admin.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    root = _superuser_in("police")
    pc = make_user("pc", "police", "officer")
    nurse = make_user("nurse", "health", "officer")
    client.force_login(admin)
    assert client.get(f"/admin/auth/user/{pc.pk}/change/").status_code == 200
    # Their own change page cannot make them a superuser.
    mine = client.get(f"/admin/auth/user/{admin.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in mine and 'name="membership-0-roles"' not in mine
    change = client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "root", "is_active": ""})
    assert change.status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.is_superuser
    assert (
        client.post(
            f"/admin/auth/user/{root.pk}/password/", {"password1": "x" * 20, "password2": "x" * 20}
        ).status_code
        == 403
    )
    # Another agency's person: not theirs to change either.
    assert client.post(f"/admin/auth/user/{nurse.pk}/change/", {"username": "nurse"}).status_code == 403
