"""Sign-in hardening: lock-out, TOTP second factor, and the audit of sign-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhood.accounts.models import SignInThrottle
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import PASSWORD, make_user
from saferhood.core.models import AuditEvent


def _sign_in(client: Client, username: str, password: str):
    return client.post("/sign-in/", {"username": username, "password": password})


@pytest.fixture
def officer(db):
    return make_user("olive", "police", RoleCode.OFFICER, password=PASSWORD)


def test_sign_in_and_out_are_audited(client, officer) -> None:
    response = _sign_in(client, "olive", PASSWORD)
    assert response.status_code == 302
    client.post("/sign-out/")
    actions = list(
        AuditEvent.objects.filter(username="olive").order_by("id").values_list("action", "actor_agency")
    )
    assert actions == [("sign-in", "police"), ("sign-out", "police")]
    event = AuditEvent.objects.filter(username="olive", action="sign-in").get()
    assert event.ip_address == "127.0.0.1" and event.user_id == officer.pk


def test_five_failures_make_this_address_wait_even_for_the_right_password(client, officer, settings) -> None:
    assert settings.SAFERHOOD_LOCKOUT_FAILURES == 5
    for attempt in range(1, 5):
        response = _sign_in(client, "olive", f"wrong-{attempt}")
        assert response.status_code == 200
        assert "Enter a correct username and password" in response.content.decode()
    response = _sign_in(client, "olive", "wrong-5")
    assert (
        "Too many failed sign-ins for this username from here. Try again after" in response.content.decode()
    )
    response = _sign_in(client, "olive", PASSWORD)
    assert response.status_code == 200 and "Try again after" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(username="olive", action="sign-in-failed").order_by("id")
    assert failed.count() == 6
    assert [e.detail["locked"] for e in failed] == [False] * 4 + [True, True]
    assert all(e.user_id is None and e.actor_agency == "police" for e in failed)


def test_the_wait_ends(client, officer) -> None:
    for attempt in range(5):
        _sign_in(client, "olive", f"wrong-{attempt}")
    SignInThrottle.objects.filter(key="pair:olive|127.0.0.1").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert _sign_in(client, "olive", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_saferhoods(client, officer) -> None:
    officer.is_staff = True
    officer.save()
    for attempt in range(5):
        _sign_in(client, "olive", f"wrong-{attempt}")
    response = client.post("/admin/login/", {"username": "olive", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client, officer) -> None:
    for attempt in range(4):
        _sign_in(client, "olive", f"wrong-{attempt}")
    assert _sign_in(client, "olive", PASSWORD).status_code == 302
    client.post("/sign-out/")
    for attempt in range(4):
        _sign_in(client, "olive", f"wrong-again-{attempt}")
    assert _sign_in(client, "olive", PASSWORD).status_code == 302


def test_unknown_usernames_wait_the_same_way(client, db) -> None:
    # Otherwise the message would tell an attacker which usernames exist.
    for attempt in range(5):
        response = _sign_in(client, "nobody-here", f"wrong-{attempt}")
    assert "Too many failed sign-ins for this username from here" in response.content.decode()


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_totp_enrolment_then_sign_in_needs_the_code(client, officer) -> None:
    client.force_login(officer)
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    response = client.post("/account/two-factor/", {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action="change", detail__two_factor="enrolled", object_id=str(officer.pk)
    ).exists()
    client.post("/sign-out/")

    other = Client()
    response = _sign_in(other, "olive", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/sign-in/code/"
    assert "_auth_user_id" not in other.session
    # A wrong code does not sign in, and counts as a failure.
    response = other.post("/sign-in/code/", {"token": "000000" if _code(device) != "000000" else "111111"})
    assert response.status_code == 200 and "_auth_user_id" not in other.session
    assert AuditEvent.objects.filter(
        username="olive", action="sign-in-failed", detail__step="second factor"
    ).exists()
    # Codes are single use and django-otp slows retries after a failure: reset both, as time would.
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    response = other.post("/sign-in/code/", {"token": _code(device)})
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(officer.pk)
    assert AuditEvent.objects.filter(username="olive", action="sign-in", detail__second_factor=True).exists()


def test_the_code_step_expires_without_a_password(client, db) -> None:
    response = client.get("/sign-in/code/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
