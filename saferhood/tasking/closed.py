"""The closed part of a meeting, read the same way by its page and its API.

Only the members of that part (and system admins) reach it; anyone else gets 404, so the part's
existence is not revealed, and a ``denied`` audit row. Members get the cases scoping lets them see,
with the search and one ``view`` audit row per case shown.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from saferhood.accounts.roles import is_system_admin
from saferhood.accounts.scoping import scoped_search
from saferhood.core import audit
from saferhood.tasking.models import ClosedCase, Meeting


def is_closed_member(user: Any, meeting: Meeting) -> bool:
    return is_system_admin(user) or meeting.closed_members.filter(pk=getattr(user, "pk", None)).exists()


def require_closed_member(request: HttpRequest, meeting: Meeting) -> None:
    """404 (and a ``denied`` audit row) unless the request's user attends the closed part."""
    if not is_closed_member(request.user, meeting):
        audit.record(
            "denied", request=request, obj=meeting, detail={"wanted": "closed part", "path": request.path}
        )
        raise Http404("No such page")


def closed_cases_shown(request: HttpRequest, meeting: Meeting) -> list[ClosedCase]:
    """The closed part's cases the member may see; each one shown is audited as a view."""
    require_closed_member(request, meeting)
    shown = list(scoped_search(request, ClosedCase, {"meeting": meeting.pk}).filter(meeting=meeting))
    for case in shown:
        audit.record("view", request=request, obj=case, detail={"path": request.path})
    return shown
