"""The gate every signed-in request passes before any page or API route sees it.

1. A session of someone with an authenticator app, not verified with a code, is not signed in
   (whatever made it: an old session from before they enrolled, or any sign-in path that
   skipped the code). ``login()`` is called only after the code (``signin.sign_in_code``).
2. Someone whose password an admin chose must change it first.
3. With ``SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR`` on (production's default), a system admin must
   turn on two-factor sign-in before reaching anything else.

Only the pages that let them do that, and sign-out, stay open to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from saferhood.accounts.passwords import must_change_password
from saferhood.accounts.roles import is_system_admin


def second_factor_missing(user: Any) -> bool:
    """Signed in without the code their account needs."""
    return not user.is_verified() and user_has_device(user, confirmed=True)


class AccountGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if second_factor_missing(user):
                request.saferhood_signout_reason = "second factor not given"
                logout(request)
                messages.info(
                    request, "Sign in again: your account needs the code from your authenticator app."
                )
            else:
                step = self._step_first(request, user)
                if step is not None and not self._open(request.path):
                    return self._send_to(request, *step)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        return path in {reverse("logout"), reverse("password-change"), reverse("two-factor")}

    @staticmethod
    def _step_first(request: HttpRequest, user: Any) -> tuple[str, str] | None:
        if must_change_password(user):
            return "password-change", "Choose your own password before you carry on."
        if (
            settings.SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR
            and is_system_admin(user)
            and not user_has_device(user, confirmed=True)
        ):
            return "two-factor", "System admins reach everyone's records: turn on two-factor sign-in first."
        return None

    @staticmethod
    def _send_to(request: HttpRequest, name: str, why: str) -> HttpResponse:
        target = reverse(name)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": f"{why} Go to {target}"}, status=403)
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        messages.info(request, why)
        return redirect(target)
