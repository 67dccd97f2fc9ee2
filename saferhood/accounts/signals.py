"""Auth signal receivers: sign-in, failed sign-in and sign-out reach the audit trail and the lock-out counter.

Receivers are the exception to GUIDE §4.3 here: Django's auth sends these from every sign-in
path (ours, the admin's, a test client's), and nothing else sees them all.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from saferhood.accounts import lockout
from saferhood.accounts.roles import membership_of
from saferhood.core import audit
from saferhood.core.models import AuditAction
from saferhood.core.security import IDLE_KEY, SIGNED_IN_KEY


@receiver(user_logged_in, dispatch_uid="saferhood-audit-sign-in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    lockout.note_success(user.get_username(), audit.client_ip(request))
    if request is not None and hasattr(request, "session"):
        # The 8-hour cap counts from here, however active the session is (core.security).
        now = int(time.time())
        request.session[SIGNED_IN_KEY] = now
        request.session[IDLE_KEY] = now
    detail = {"second_factor": bool(getattr(request, "saferhood_second_factor", False))} if request else {}
    audit.record(AuditAction.SIGN_IN, request=request, user=user, detail=detail)


@receiver(user_login_failed, dispatch_uid="saferhood-audit-failed-sign-in")
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username") or "")[:150]
    ip = audit.client_ip(request)
    # An attempt refused for waiting is not counted: waits never grow from being asked again.
    waiting = lockout.wait_for(username, ip)
    wait = waiting if waiting is not None else lockout.note_failure(username, ip)
    until = wait.until if wait is not None else None
    # Failures against a real account are shown to that account's agency admins.
    account = get_user_model().objects.filter(username=username).first() if username else None
    membership = membership_of(account) if account is not None else None
    detail: dict[str, Any] = {"locked": until is not None}
    if wait is not None:
        detail["locked_until"] = wait.until.isoformat()
        detail["locked_scope"] = wait.scope
    if request is not None and getattr(request, "saferhood_failed_step", None):
        detail["step"] = request.saferhood_failed_step
    audit.record(
        AuditAction.SIGN_IN_FAILED,
        request=request,
        user=None,
        username=username,
        actor_agency=membership.agency.slug if membership else "",
        detail=detail,
    )


@receiver(user_logged_out, dispatch_uid="saferhood-audit-sign-out")
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "saferhood_signout_reason", "") if request is not None else ""
    audit.record(
        AuditAction.SIGN_OUT, request=request, user=user, detail={"reason": reason} if reason else {}
    )
