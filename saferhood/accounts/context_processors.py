from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from saferhood.accounts.roles import is_agency_admin, is_system_admin


def access(request: HttpRequest) -> dict[str, Any]:
    """Whether to show the Audit link in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_see_audit": False}
    return {"can_see_audit": is_system_admin(user) or is_agency_admin(user)}
