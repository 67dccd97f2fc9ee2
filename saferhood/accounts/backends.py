"""Authentication backend: Django's ModelBackend, refusing an attempt that must wait (accounts.lockout)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from saferhood.accounts.lockout import wait_for
from saferhood.core.audit import client_ip


class LockoutModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if wait_for(username, client_ip(request)) is not None:
            # The password is not even checked. PermissionDenied stops authenticate() from trying
            # further and still sends user_login_failed, so the refused attempt is audited.
            raise PermissionDenied("locked")
        return super().authenticate(request, username=username, password=password, **kwargs)
