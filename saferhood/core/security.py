"""Security middleware: the Content Security Policy and friends, and idle-session sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

IDLE_KEY = "saferhood_last_seen"


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


class IdleSessionMiddleware:
    """Signs out a session unused for ``SAFERHOOD_SESSION_IDLE_SECONDS``.

    ``SESSION_COOKIE_AGE`` caps a session's whole life; this catches the unattended desk.
    The timestamp is rewritten at most once a minute to spare the session store.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(IDLE_KEY)
            if last is not None and now - last > settings.SAFERHOOD_SESSION_IDLE_SECONDS:
                request.saferhood_signout_reason = "idle"
                logout(request)
            elif last is None or now - last > 60:
                request.session[IDLE_KEY] = now
        return self.get_response(request)
