"""Who may reach partnership content (tasking, CCTV): one rule for every page and API route.

Signed in is not enough: a user with no partner agency (or no role that views) sees no meeting,
minute, pack, problem, action or CCTV request. Pages refuse with the styled 403 page, the API with
a 403 JSON answer; both leave a ``denied`` row in the audit trail. The rule is
``roles.is_partner`` (a retired agency's people keep it: they may read, not write).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja.errors import HttpError
from ninja.security import SessionAuth

from saferhood.accounts.roles import Action, allowed_actions, is_partner, membership_of

REFUSAL = "Only members of a partner agency can see this. Ask your agency admin to add you to your agency."
WRITE_REFUSAL = "Your role does not allow you to change these records. Ask your agency admin if you need to."
RETIRED_REFUSAL = (
    "{agency} is retired from the partnership: its people can read these records but not change them."
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_change(user: Any) -> bool:
    """The default rule for a write to partner content: a role that changes records."""
    return Action.CHANGE in allowed_actions(user)


def _deny(request: HttpRequest, what: str, wanted: str) -> None:
    from saferhood.core import audit

    audit.record("denied", request=request, object_type=what, detail={"wanted": wanted, "path": request.path})


def refusal(request: HttpRequest, what: str, may_write: Callable[[Any], bool] = may_change) -> str | None:
    """Why the request may not go on (and audit it), or None: a non-partner reads nothing, and a
    write (any method but GET/HEAD/OPTIONS) needs ``may_write`` before a form or body is read."""
    if not is_partner(request.user):
        _deny(request, what, "partner content")
        return REFUSAL
    if request.method not in SAFE_METHODS and not may_write(request.user):
        _deny(request, what, "change")
        membership = membership_of(request.user)
        if membership is not None and not membership.agency.active:
            return RETIRED_REFUSAL.format(agency=membership.agency.name)
        return WRITE_REFUSAL
    return None


def partner_required(
    what: str, *, may_write: Callable[[Any], bool] = may_change
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for partners only: sign-in first, then 403 (styled, audited) for a non-partner, or
    for a write by a role that may not (``may_write``: by default, the CHANGE action)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            why = refusal(request, what, may_write)
            if why is not None:
                raise PermissionDenied(why)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


class PartnerAuth(SessionAuth):
    """API auth for partner content: 401 when not signed in; 403 (audited) for a non-partner, or
    for a write by a role without CHANGE — checked before the body is parsed."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        why = refusal(request, self.what)
        if why is not None:
            raise HttpError(403, why)
        return user


def role_page(
    may: Callable[[Any], bool], *, what: str, wanted: str, refusal: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for some roles only (``may(user)``): sign-in first, then the styled 403 with
    ``refusal`` (a ``denied`` row in the audit trail) — before the method or the body is looked at."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may(request.user):
                _deny(request, what, wanted)
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate
