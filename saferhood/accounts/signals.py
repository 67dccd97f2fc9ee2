"""Auth signal receivers: sign-in, failed sign-in and sign-out reach the audit trail and the lock-out counter.

Receivers are the exception to GUIDE §4.3 here: Django's auth sends these from every sign-in
path (ours, the admin's, a test client's), and nothing else sees them all.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from saferhood.accounts import lockout
from saferhood.accounts.roles import membership_of
from saferhood.core import audit
from saferhood.core.models import AuditAction


@receiver(user_logged_in, dispatch_uid="saferhood-audit-sign-in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    lockout.note_success(user.get_username())
    detail = {"second_factor": bool(getattr(request, "saferhood_second_factor", False))} if request else {}
    audit.record(AuditAction.SIGN_IN, request=request, user=user, detail=detail)


@receiver(user_login_failed, dispatch_uid="saferhood-audit-failed-sign-in")
def _sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username") or "")[:150]
    ip = audit.client_ip(request)
    already_locked = lockout.locked_until(username, ip) is not None
    until = lockout.locked_until(username, ip) if already_locked else lockout.note_failure(username, ip)
    # Failures against a real account are shown to that account's agency admins.
    account = get_user_model().objects.filter(username=username).first() if username else None
    membership = membership_of(account) if account is not None else None
    detail: dict[str, Any] = {"locked": until is not None}
    if until is not None:
        detail["locked_until"] = until.isoformat()
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
