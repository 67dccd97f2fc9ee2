"""Sign-in throttling that slows an attacker without locking out the victim.

Two counters, kept in the database (so they hold across workers, on SQLite and PostgreSQL):

- **account + address** (``pair:<username>|<address>``): after ``SAFERHOOD_LOCKOUT_FAILURES``
  wrong attempts at one username from one address, that address must wait before trying that
  username again, twice as long after each further failure (``SAFERHOOD_LOCKOUT_BASE_SECONDS``
  doubling, capped at ``SAFERHOOD_LOCKOUT_SECONDS``). Someone guessing at a colleague's name
  from elsewhere never delays the colleague at their own desk.
- **address** (``ip:<address>``): a password spray tries many usernames from one address. After
  ``SAFERHOOD_LOCKOUT_ADDRESS_FAILURES`` failures from an address the same back-off applies to
  the address. Attempts refused while waiting are not counted, so one person behind a shared
  proxy cannot run the address's count up for everyone behind it.

The address is the client's as ``core.security.client_address`` sees it (trusted proxies only).
Counts leak away, one failure every ``SAFERHOOD_LOCKOUT_FORGIVE_SECONDS`` (so a busy shared
address never builds up a count from ordinary typing mistakes); a successful sign-in clears
that account's count from that address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from saferhood.accounts.models import SignInThrottle


@dataclass(frozen=True)
class Wait:
    """A refusal: until when, and whether it is the account from this address or the whole address."""

    until: datetime
    scope: str  # "account" or "address"

    def message(self) -> str:
        at = f"{timezone.localtime(self.until):%H:%M:%S}"
        if self.scope == "address":
            return (
                "There have been too many failed sign-ins from your network. "
                f"Try again after {at}, or ask your agency admin for help."
            )
        return (
            f"Too many failed sign-ins for this username from here. Try again after {at}. "
            "If you have forgotten your password, ask your agency admin to reset it."
        )


def _name(username: str) -> str:
    return username.strip().lower()[:100]


def _keys(username: str | None, ip: str | None) -> list[tuple[str, str, int]]:
    """(key, scope, free failures) for the counters this attempt touches."""
    keys = []
    if username and ip:
        keys.append((f"pair:{_name(username)}|{ip}"[:200], "account", settings.SAFERHOOD_LOCKOUT_FAILURES))
    elif username:  # no address known (a test or a script): count the account alone
        keys.append((f"pair:{_name(username)}|"[:200], "account", settings.SAFERHOOD_LOCKOUT_FAILURES))
    if ip:
        keys.append((f"ip:{ip}"[:200], "address", settings.SAFERHOOD_LOCKOUT_ADDRESS_FAILURES))
    return keys


def delay_after(failures: int, free: int) -> timedelta:
    """How long to wait after this many failures: none until ``free``, then doubling, capped."""
    if failures < free:
        return timedelta(0)
    seconds = settings.SAFERHOOD_LOCKOUT_BASE_SECONDS * 2 ** min(failures - free, 20)
    return timedelta(seconds=min(seconds, settings.SAFERHOOD_LOCKOUT_SECONDS))


def wait_for(username: str | None, ip: str | None) -> Wait | None:
    """The wait this username from this address must sit out now, if any (the longer one)."""
    now = timezone.now()
    scopes = {key: scope for key, scope, _ in _keys(username, ip)}
    waits = [
        Wait(t.locked_until, scopes[t.key])
        for t in SignInThrottle.objects.filter(key__in=list(scopes), locked_until__gt=now)
    ]
    return max(waits, key=lambda w: w.until) if waits else None


def locked_until(username: str | None, ip: str | None) -> datetime | None:
    wait = wait_for(username, ip)
    return wait.until if wait else None


def note_failure(username: str | None, ip: str | None) -> Wait | None:
    """Count one failed attempt (one that was not refused for waiting); returns the wait it starts."""
    now = timezone.now()
    forgive = settings.SAFERHOOD_LOCKOUT_FORGIVE_SECONDS
    for key, _scope, free in _keys(username, ip):
        with transaction.atomic():
            throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(key=key)
            if throttle.last_failure_at:
                forgiven = int((now - throttle.last_failure_at).total_seconds() // forgive)
                throttle.failures = max(0, throttle.failures - forgiven)
            throttle.failures += 1
            throttle.last_failure_at = now
            delay = delay_after(throttle.failures, free)
            throttle.locked_until = now + delay if delay else None
            throttle.save()
    return wait_for(username, ip)


def note_success(username: str, ip: str | None) -> None:
    """A right password (and code): this account's count from this address starts again."""
    SignInThrottle.objects.filter(key=f"pair:{_name(username)}|{ip or ''}"[:200]).delete()


def unlock(username: str) -> int:
    """For an admin: lift every wait on this username now. Returns rows removed."""
    deleted, _ = SignInThrottle.objects.filter(key__startswith=f"pair:{_name(username)}|").delete()
    return deleted
