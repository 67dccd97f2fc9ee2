"""One sign-in path, with the second factor, for the site and the admin alike."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import PASSWORD, make_user
from saferhood.core.models import AuditEvent


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def root(db):
    """A superuser with an authenticator app: the account the admin bypass exposed."""
    user = make_user("root", "csp-team", RoleCode.SYSTEM_ADMIN, password=PASSWORD)
    user.is_staff = user.is_superuser = True
    user.save()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_the_admin_sign_in_form_no_longer_signs_in_with_a_password_alone(client, root) -> None:
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/sign-in/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_the_admin_sign_in_keeps_only_a_safe_next(client, db) -> None:
    for unsafe in ("https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"):
        response = client.get("/admin/login/", {"next": unsafe})
        assert response["Location"] == "/sign-in/?next=%2Fadmin%2F"
    assert client.get("/admin/login/")["Location"] == "/sign-in/?next=%2Fadmin%2F"


def test_the_admin_is_reached_through_password_then_code(client, root) -> None:
    to_admin = client.get("/admin/accounts/agency/")
    assert to_admin.status_code == 302
    to_sign_in = client.get(to_admin["Location"])
    assert to_sign_in["Location"] == "/sign-in/?next=%2Fadmin%2Faccounts%2Fagency%2F"
    page = client.get(to_sign_in["Location"])
    assert page.status_code == 200 and 'value="/admin/accounts/agency/"' in page.content.decode()
    response = client.post(
        "/sign-in/", {"username": "root", "password": PASSWORD, "next": "/admin/accounts/agency/"}
    )
    assert response["Location"] == "/sign-in/code/" and "_auth_user_id" not in client.session
    response = client.post("/sign-in/code/", {"token": _code(TOTPDevice.objects.get(user=root))})
    assert response.status_code == 302 and response["Location"] == "/admin/accounts/agency/"
    assert client.get("/admin/accounts/agency/").status_code == 200
    assert AuditEvent.objects.filter(username="root", action="sign-in", detail__second_factor=True).exists()


def test_a_session_without_the_code_is_not_signed_in_anywhere(root) -> None:
    """However a session was made without the code (here: straight into the session store)."""
    for path, refused in (
        ("/notes/", 302),
        ("/api/v1/notes", 401),
        ("/admin/", 302),
        ("/agency/people/", 302),
    ):
        client = Client()
        client.force_login(root)
        response = client.get(path)
        assert response.status_code == refused, path
        assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        username="root", action="sign-out", detail__reason="second factor not given"
    ).exists()


def test_enrolling_on_another_device_ends_sessions_made_without_a_code(db) -> None:
    olive = make_user("olive", "police", RoleCode.OFFICER, password=PASSWORD)
    desk, phone = Client(), Client()
    desk.post("/sign-in/", {"username": "olive", "password": PASSWORD})
    assert desk.get("/notes/").status_code == 200
    phone.force_login(olive)
    phone.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=olive)
    assert phone.post("/account/two-factor/", {"token": _code(device)}).status_code == 302
    assert phone.get("/notes/").status_code == 200  # verified by enrolling
    assert desk.get("/notes/").status_code == 302  # no code was given there


def test_a_system_admin_must_turn_on_two_factor_before_reaching_records(client, db, settings) -> None:
    settings.SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR = True
    sid = make_user("sid", "csp-team", RoleCode.SYSTEM_ADMIN, password=PASSWORD)
    client.post("/sign-in/", {"username": "sid", "password": PASSWORD})
    response = client.get("/notes/?q=Sam")
    assert (
        response.status_code == 302
        and response["Location"] == "/account/two-factor/?next=%2Fnotes%2F%3Fq%3DSam"
    )
    assert client.get("/api/v1/notes").status_code == 403
    assert client.get("/admin/").status_code == 302
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and "turn on two-factor sign-in first" in page.content.decode()
    device = TOTPDevice.objects.get(user=sid)
    client.post("/account/two-factor/", {"token": _code(device)})
    assert client.get("/notes/").status_code == 200
    # Officers are not held up.
    client.force_login(make_user("pc", "police", RoleCode.OFFICER))
    assert client.get("/notes/").status_code == 200
