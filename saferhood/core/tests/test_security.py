"""Security headers, production settings and Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "SAFERHOOD_PROFILE": "production",
    "SECRET_KEY": "a-long-random-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-!@#$%",
    "ALLOWED_HOSTS": "saferhood.example.org",
    "DATABASE_URL": f"sqlite:////tmp/saferhood-check-deploy-{os.getpid()}.sqlite3",  # one per test run
    "SAFERHOOD_AUDIT_KEY": "a-long-random-test-audit-key-9876543210-zyxwvutsrq",
}
# A developer's .env (dev profile, its own keys) must not fill in what a test leaves out.
NO_ENV_FILE = {"SAFERHOOD_ENV_FILE": ""}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DEBUG"} | NO_ENV_FILE
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production() -> None:
    result = _manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def _start(env: dict[str, str], then: str = "print('started')") -> subprocess.CompletedProcess:
    """Start Django the way gunicorn does: settings are read, apps load."""
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DEBUG"} | NO_ENV_FILE
    code = f"import django; django.setup(); {then}"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "saferhood.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("dev-only-not-secret", "published, insecure key"),
        ("django-insecure-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "published, insecure key"),
        ("short-but-random-Qx7!", "at least 50 characters"),
        ("ab" * 40, "5 different ones"),
    ],
)
def test_production_refuses_a_known_or_weak_secret_key(key: str, says: str) -> None:
    result = _start({**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0 and "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # the message names the fix


def test_production_starts_with_a_strong_key_and_dev_keeps_its_default() -> None:
    assert _start(PRODUCTION).stdout.strip() == "started"
    dev = _start({"SAFERHOOD_PROFILE": "dev"})
    assert dev.stdout.strip() == "started", dev.stderr


def test_production_makes_system_admins_use_two_factor_sign_in() -> None:
    then = "from django.conf import settings; print(settings.SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR)"
    assert _start(PRODUCTION, then).stdout.strip() == "True"


@pytest.mark.parametrize("path", ["/sign-in/"])
def test_pages_carry_the_content_security_policy(client, db, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_sign_in_page_has_no_inline_script_or_style(client, db) -> None:
    html = client.get("/sign-in/").content.decode()
    assert "<script>" not in html and "<style" not in html and 'style="' not in html
    assert "saferhood/js-enabled.js" in html


def test_session_settings(settings) -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SAFERHOOD_SESSION_IDLE_SECONDS <= 60 * 60


def test_an_idle_session_is_signed_out(client, db, django_user_model, settings) -> None:
    from saferhood.core.models import AuditEvent
    from saferhood.core.security import IDLE_KEY

    user = django_user_model.objects.create(username="idle")
    client.force_login(user)
    assert client.get("/notes/").status_code == 200
    session = client.session
    session[IDLE_KEY] -= settings.SAFERHOOD_SESSION_IDLE_SECONDS + 1
    session.save()
    response = client.get("/notes/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert AuditEvent.objects.filter(username="idle", action="sign-out", detail__reason="idle").exists()


def test_a_busy_session_ends_eight_hours_after_sign_in(client, db, django_user_model, settings) -> None:
    """Activity moves the idle clock and Django's own expiry, never the 8-hour cap."""
    from saferhood.core.models import AuditEvent
    from saferhood.core.security import IDLE_KEY, SIGNED_IN_KEY

    user = django_user_model.objects.create(username="busy")
    user.set_password("a-long-enough-password-2026")
    user.save()
    assert (
        client.post("/sign-in/", {"username": "busy", "password": "a-long-enough-password-2026"}).status_code
        == 302
    )
    signed_in = client.session[SIGNED_IN_KEY]
    assert abs(signed_in - time.time()) < 60

    def rewind(seconds: int) -> None:
        # A controlled clock: the sign-in happened `seconds` ago; the last request a moment ago.
        session = client.session
        session[SIGNED_IN_KEY] = signed_in - seconds
        session[IDLE_KEY] = int(time.time()) - 90  # used 90 s ago: the idle stamp is rewritten
        session.save()

    rewind(settings.SESSION_COOKIE_AGE - 60)
    assert client.get("/notes/").status_code == 200
    assert client.session[SIGNED_IN_KEY] == signed_in - (settings.SESSION_COOKIE_AGE - 60)  # not moved
    rewind(settings.SESSION_COOKIE_AGE)
    response = client.get("/notes/")
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        username="busy", action="sign-out", detail__reason="session-limit"
    ).exists()


def test_a_session_without_a_sign_in_time_is_not_kept(client, db, django_user_model) -> None:
    from saferhood.core.security import SIGNED_IN_KEY

    client.force_login(django_user_model.objects.create(username="old-session"))
    session = client.session
    del session[SIGNED_IN_KEY]  # a session from before the cap existed
    session.save()
    assert client.get("/notes/").status_code == 302
