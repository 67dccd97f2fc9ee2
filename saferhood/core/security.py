"""Security middleware (the Content Security Policy and friends; session time limits) and the client address."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

IDLE_KEY = "saferhood_last_seen"
# Written once, at sign-in (accounts.signals); never moved by activity.
SIGNED_IN_KEY = "saferhood_signed_in_at"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _trusted_networks(
    configured: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in configured if item.strip())


def _parse(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from, as far as we can trust it.

    ``X-Forwarded-For`` is read only when the connection comes from a proxy listed in
    ``SAFERHOOD_TRUSTED_PROXIES``, and then from the right: each trusted proxy appends the
    address it saw, so the first untrusted address from the right is the client. Anything a
    client writes to the left of that is ignored, so nobody can choose the address their
    failed sign-ins are counted against.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = _trusted_networks(tuple(settings.SAFERHOOD_TRUSTED_PROXIES))
    current = _parse(remote) if remote else None
    if current is None or not trusted:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    while any(current in net for net in trusted) and hops:
        previous = _parse(hops.pop())
        if previous is None:  # a garbled header: the last proxy is the best we know
            break
        current = previous
    return str(current)


def content_security_policy() -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in settings.SAFERHOOD_CSP.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response.

    Django 5.2 has no CSP of its own. The policy allows no inline script or style, so a
    template that needs one fails in the browser tests rather than weakening the policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", settings.SAFERHOOD_PERMISSIONS_POLICY)
        return response


def session_expired(session: object, now: int) -> str:
    """Why this signed-in session must end now ("" if it may go on)."""
    signed_in = session.get(SIGNED_IN_KEY)
    if signed_in is None or now - signed_in >= settings.SESSION_COOKIE_AGE:
        # Django moves its own expiry forward on every session write, so the cap is kept here
        # from the sign-in time. A session without one predates the cap: it ends too.
        return "session-limit"
    last = session.get(IDLE_KEY)
    if last is not None and now - last > settings.SAFERHOOD_SESSION_IDLE_SECONDS:
        return "idle"
    return ""


class IdleSessionMiddleware:
    """Signs out a session unused for ``SAFERHOOD_SESSION_IDLE_SECONDS``, or signed in
    ``SESSION_COOKIE_AGE`` (8 hours) ago however busy it has been.

    The idle timestamp is rewritten at most once a minute to spare the session store.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            reason = session_expired(request.session, now)
            if reason:
                request.saferhood_signout_reason = reason
                logout(request)
            elif now - request.session.get(IDLE_KEY, 0) > 60:
                request.session[IDLE_KEY] = now
        return self.get_response(request)
