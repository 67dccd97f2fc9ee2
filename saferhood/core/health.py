"""Load-balancer probes: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

Both are public and read nothing personal. ``/readyz`` runs one query, so a server whose
database is unreachable is taken out of rotation (503) instead of answering every page with an
error. Background jobs (issue 15) will add their worker's heartbeat here.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache  # a probe must see this moment's answer, never a cached one
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers a query. 503 with the failing check otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The exception's class, not its text: the text can carry the host and user.
        checks = {"database": f"unreachable ({type(exc).__name__})"}
        return JsonResponse({"status": "not ready", "checks": checks}, status=503)
    return JsonResponse({"status": "ready", "checks": {"database": "ok"}})
