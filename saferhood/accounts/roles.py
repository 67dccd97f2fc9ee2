"""Roles and what each may do, and who a user is (agency, roles) — cached per request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from saferhood.accounts.models import Membership


class RoleCode(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    ANALYST = "analyst", "Analyst"
    OFFICER = "officer", "Officer"
    TASKING_CHAIR = "tasking_chair", "Tasking chair"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    SYSTEM_ADMIN = "system_admin", "System admin"


class Action(models.TextChoices):
    VIEW = "view", "View"
    CHANGE = "change", "Change"
    EXPORT = "export", "Export"


# What each role may do to a record it can reach; the record's sharing decides which it can
# reach (saferhood.accounts.scoping). A user with several roles has the union.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    RoleCode.VIEWER: frozenset({Action.VIEW}),
    RoleCode.ANALYST: frozenset({Action.VIEW, Action.EXPORT}),
    RoleCode.OFFICER: frozenset({Action.VIEW, Action.CHANGE}),
    RoleCode.TASKING_CHAIR: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
    RoleCode.AGENCY_ADMIN: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
    RoleCode.SYSTEM_ADMIN: frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT}),
}

_CACHE_ATTR = "_saferhood_membership"
_NONE = object()


def membership_of(user: Any) -> Membership | None:
    """The user's membership (agency and roles), or None; cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from saferhood.accounts.models import Membership

        found = (
            Membership.objects.select_related("agency").prefetch_related("roles").filter(user=user).first()
        )
        cached = found if found is not None else _NONE
        setattr(user, _CACHE_ATTR, cached)
    return None if cached is _NONE else cached


def forget_membership(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Any) -> frozenset[str]:
    """The roles a user acts with now: what their membership grants, while their agency is active.

    A retired (inactive) agency is read-only: its people act as viewers whatever roles they held,
    so no check built on these roles (``allowed_actions``, ``is_system_admin``, ``is_agency_admin``)
    lets them change or export anything. A superuser is a system admin whatever their agency.
    """
    membership = membership_of(user)
    roles = {r.code for r in membership.roles.all()} if membership else set()
    if roles and membership is not None and not membership.agency.active:
        roles = {RoleCode.VIEWER}
    if getattr(user, "is_superuser", False):
        roles.add(RoleCode.SYSTEM_ADMIN)
    return frozenset(roles)


def is_system_admin(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and RoleCode.SYSTEM_ADMIN in roles_of(user)


def is_agency_admin(user: Any) -> bool:
    return bool(getattr(user, "is_active", False)) and RoleCode.AGENCY_ADMIN in roles_of(user)


def allowed_actions(user: Any) -> frozenset[str]:
    """What the user's roles allow (a retired agency's people: VIEW at most, see ``roles_of``)."""
    actions: set[str] = set()
    for role in roles_of(user):
        actions |= ROLE_ACTIONS.get(role, frozenset())
    return frozenset(actions)


def is_partner(user: Any) -> bool:
    """Whether the user may see partnership content (tasking, CCTV requests): an active user with a
    role that views — a member of a partner agency, or a system admin. Signed in is not enough."""
    return bool(getattr(user, "is_active", False)) and Action.VIEW in allowed_actions(user)


def may_import(user: Any) -> bool:
    """Who may load data into the evidence base (uploads, the monthly refresh): analysts and system
    admins of an active agency. Data is partnership-wide, so an agency admin alone may not."""
    if not getattr(user, "is_active", False):
        return False
    return bool(roles_of(user) & {RoleCode.ANALYST, RoleCode.SYSTEM_ADMIN})
