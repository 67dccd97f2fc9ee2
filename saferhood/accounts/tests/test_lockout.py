"""Sign-in throttling slows an attacker and a password spray without locking out the victim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from saferhood.accounts.models import SignInThrottle
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import PASSWORD, make_user

VICTIM_DESK = "198.51.100.7"
ATTACKER = "203.0.113.66"
PROXY = "10.0.0.2"


def _sign_in(client: Client, username: str, password: str, *, addr: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/sign-in/", {"username": username, "password": password}, **extra)


@pytest.fixture
def olive(db):
    return make_user("olive", "police", RoleCode.OFFICER, password=PASSWORD)


def test_the_victim_signs_in_at_their_desk_while_an_attacker_hammers_the_account(olive) -> None:
    attacker = Client()
    for attempt in range(40):
        response = _sign_in(attacker, "olive", f"guess-{attempt}", addr=ATTACKER)
    assert "Try again after" in response.content.decode()
    # Even the right password is refused to the attacker's address while it waits.
    assert _sign_in(attacker, "olive", PASSWORD, addr=ATTACKER).status_code == 200
    victim = Client()
    response = _sign_in(victim, "olive", PASSWORD, addr=VICTIM_DESK)
    assert response.status_code == 302 and victim.session["_auth_user_id"] == str(olive.pk)


def test_the_wait_doubles_with_each_failure_and_refused_attempts_do_not_extend_it(olive, settings) -> None:
    client = Client()
    for attempt in range(5):
        _sign_in(client, "olive", f"guess-{attempt}", addr=ATTACKER)
    pair = SignInThrottle.objects.get(key=f"pair:olive|{ATTACKER}")
    first_wait = pair.locked_until - pair.last_failure_at
    assert first_wait == timedelta(seconds=settings.SAFERHOOD_LOCKOUT_BASE_SECONDS)
    for attempt in range(10):  # refused without a password check, and not counted
        _sign_in(client, "olive", f"more-{attempt}", addr=ATTACKER)
    pair.refresh_from_db()
    assert pair.failures == 5 and pair.locked_until - pair.last_failure_at == first_wait
    # The wait passes (as time would); the next failure waits twice as long.
    SignInThrottle.objects.filter(pk=pair.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    _sign_in(client, "olive", "guess-6", addr=ATTACKER)
    pair.refresh_from_db()
    assert pair.failures == 6 and pair.locked_until - pair.last_failure_at == 2 * first_wait


def test_the_wait_is_capped_and_old_failures_are_forgiven(olive, settings) -> None:
    SignInThrottle.objects.create(key=f"pair:olive|{ATTACKER}", failures=30, last_failure_at=timezone.now())
    _sign_in(Client(), "olive", "guess", addr=ATTACKER)
    pair = SignInThrottle.objects.get(key=f"pair:olive|{ATTACKER}")
    assert pair.locked_until - pair.last_failure_at == timedelta(seconds=settings.SAFERHOOD_LOCKOUT_SECONDS)
    # A day later the count has leaked away: one failure is just one failure.
    day_ago = timezone.now() - timedelta(days=1)
    SignInThrottle.objects.filter(pk=pair.pk).update(last_failure_at=day_ago, locked_until=day_ago)
    response = _sign_in(Client(), "olive", "typo", addr=ATTACKER)
    assert "Enter a correct username and password" in response.content.decode()
    pair.refresh_from_db()
    assert pair.failures == 1 and pair.locked_until is None


def test_one_person_failing_behind_a_shared_proxy_does_not_block_the_others(olive, settings) -> None:
    settings.SAFERHOOD_TRUSTED_PROXIES = [PROXY]
    make_user("hari", "housing", RoleCode.OFFICER, password=PASSWORD)
    client = Client()
    for attempt in range(60):
        _sign_in(client, "olive", f"forgot-{attempt}", addr=PROXY, forwarded="192.168.4.20")
    assert (
        SignInThrottle.objects.get(key="ip:192.168.4.20").failures
        < settings.SAFERHOOD_LOCKOUT_ADDRESS_FAILURES
    )
    colleague = Client()
    response = _sign_in(colleague, "hari", PASSWORD, addr=PROXY, forwarded="192.168.4.20")
    assert response.status_code == 302


def test_a_password_spray_from_one_address_is_slowed(db, settings) -> None:
    settings.SAFERHOOD_LOCKOUT_ADDRESS_FAILURES = 10
    for n in range(12):
        make_user(f"user{n}", "police", RoleCode.OFFICER, password=PASSWORD)
    sprayer = Client()
    answers = [
        _sign_in(sprayer, f"user{n}", "Summer2026!", addr=ATTACKER).content.decode() for n in range(12)
    ]
    assert all("Enter a correct username and password" in a for a in answers[:9])
    assert "too many failed sign-ins from your network. Try again after" in answers[9]
    # The next account tried from there is refused without its password being checked.
    assert "too many failed sign-ins from your network" in answers[11]
    # Elsewhere, the same people sign in as usual.
    assert _sign_in(Client(), "user11", PASSWORD, addr=VICTIM_DESK).status_code == 302


def test_a_forged_forwarded_for_is_ignored_unless_it_comes_from_a_trusted_proxy(olive, settings) -> None:
    # Straight to the server: the header is the client's own writing.
    for attempt in range(4):
        _sign_in(Client(), "olive", f"guess-{attempt}", addr=ATTACKER, forwarded=f"192.0.2.{attempt}")
    assert SignInThrottle.objects.filter(key=f"pair:olive|{ATTACKER}", failures=4).exists()
    assert not SignInThrottle.objects.filter(key__startswith="pair:olive|192.0.2.").exists()
    # Through the trusted proxy: the address the proxy appended counts, not what the client prepended.
    settings.SAFERHOOD_TRUSTED_PROXIES = [PROXY]
    _sign_in(Client(), "olive", "guess", addr=PROXY, forwarded=f"192.0.2.99, {ATTACKER}")
    assert SignInThrottle.objects.get(key=f"pair:olive|{ATTACKER}").failures == 5


def test_an_admin_can_lift_the_wait(olive) -> None:
    from saferhood.accounts import lockout

    for attempt in range(5):
        _sign_in(Client(), "olive", f"guess-{attempt}", addr=VICTIM_DESK)
    assert lockout.unlock("Olive") == 1
    assert _sign_in(Client(), "olive", PASSWORD, addr=VICTIM_DESK).status_code == 302
