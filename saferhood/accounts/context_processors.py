from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from saferhood.accounts.roles import is_agency_admin, is_system_admin, may_import


def access(request: HttpRequest) -> dict[str, Any]:
    """Whether to show the Audit and Upload data links in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_see_audit": False, "can_import": False}
    return {"can_see_audit": is_system_admin(user) or is_agency_admin(user), "can_import": may_import(user)}
