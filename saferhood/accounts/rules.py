"""Who may manage whose account: one rule, used by every path that changes a person.

The People pages, password resets and the Django admin's user pages all ask ``may_manage``,
so "only a system admin changes a system admin" cannot be forgotten by one of them.
"""

from __future__ import annotations

from typing import Any

from saferhood.accounts.roles import RoleCode, is_agency_admin, is_system_admin, membership_of, roles_of


def holds_system_admin(user: Any) -> bool:
    """A superuser or a holder of the system admin role, whether switched on or off."""
    return RoleCode.SYSTEM_ADMIN in roles_of(user)


def may_manage(actor: Any, target: Any) -> bool:
    """Whether ``actor`` may change ``target``'s roles, switch them on or off, or set their password.

    - a system admin may manage anyone;
    - nobody else may manage a system admin (the role or a superuser), even one switched off;
    - an agency admin may manage the people of their own agency.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if is_system_admin(actor):
        return True
    if holds_system_admin(target) or not is_agency_admin(actor):
        return False
    mine, theirs = membership_of(actor), membership_of(target)
    return mine is not None and theirs is not None and mine.agency_id == theirs.agency_id


def may_manage_member(actor: Any, membership: Any) -> bool:
    """``may_manage`` for a membership already loaded with its roles (no query per person on a list)."""
    from saferhood.accounts.roles import _CACHE_ATTR

    setattr(membership.user, _CACHE_ATTR, membership)  # membership_of(target) is this one
    return may_manage(actor, membership.user)
