"""Sign-in lock-out: failures counted in the database, so it works on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from saferhood.accounts.models import SignInThrottle


def _keys(username: str | None, ip: str | None) -> list[tuple[str, int]]:
    keys = []
    if username:
        keys.append((f"user:{username.strip().lower()}"[:200], settings.SAFERHOOD_LOCKOUT_FAILURES))
    if ip:
        keys.append((f"ip:{ip}", settings.SAFERHOOD_LOCKOUT_ADDRESS_FAILURES))
    return keys


def locked_until(username: str | None, ip: str | None) -> datetime | None:
    """When the lock on this username or address ends, if either is locked now."""
    now = timezone.now()
    ends = [
        t.locked_until
        for t in SignInThrottle.objects.filter(key__in=[k for k, _ in _keys(username, ip)])
        if t.locked_until and t.locked_until > now
    ]
    return max(ends) if ends else None


def note_failure(username: str | None, ip: str | None) -> datetime | None:
    """Count one failed sign-in; returns the lock's end if this failure (or an earlier one) locked it.

    Failures during a lock do not extend it, so nobody can keep another person locked out
    for ever by guessing at their username.
    """
    now = timezone.now()
    period = timedelta(seconds=settings.SAFERHOOD_LOCKOUT_SECONDS)
    for key, limit in _keys(username, ip):
        with transaction.atomic():
            throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(key=key)
            if throttle.locked_until and throttle.locked_until > now:
                continue
            if throttle.last_failure_at and now - throttle.last_failure_at > period:
                throttle.failures = 0  # an old run of failures is forgiven
            throttle.failures += 1
            throttle.last_failure_at = now
            if throttle.failures >= limit:
                throttle.locked_until = now + period
                throttle.failures = 0
            throttle.save()
    return locked_until(username, ip)


def note_success(username: str) -> None:
    SignInThrottle.objects.filter(key=f"user:{username.strip().lower()}").update(
        failures=0, last_failure_at=None
    )


def unlock(username: str) -> int:
    """For an agency admin: lift a lock now. Returns rows changed."""
    return SignInThrottle.objects.filter(key=f"user:{username.strip().lower()}").update(
        failures=0, last_failure_at=None, locked_until=None
    )
