"""Load-balancer probes: ``/healthz`` (the process answers) and ``/readyz`` (it can serve).

Both are public and read nothing personal. ``/readyz`` runs one query, so a server whose
database is unreachable is taken out of rotation (503) instead of answering every page with an
error. Apps add their own checks with ``register_readiness_check`` (jobs: a worker's heartbeat),
so core names no app.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# name -> check returning None when fine, else a short reason (nothing personal, no secrets).
_READINESS_CHECKS: dict[str, Callable[[], str | None]] = {}


def register_readiness_check(name: str, check: Callable[[], str | None]) -> None:
    _READINESS_CHECKS[name] = check


@never_cache  # a probe must see this moment's answer, never a cached one
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers a query, and each registered check passes (a job
    worker is beating). 503 naming the failing checks otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The exception's class, not its text: the text can carry the host and user.
        checks = {"database": f"unreachable ({type(exc).__name__})"}
        return JsonResponse({"status": "not ready", "checks": checks}, status=503)
    checks = {"database": "ok"}
    for name, check in _READINESS_CHECKS.items():
        try:
            problem = check()
        except DatabaseError as exc:
            problem = f"unreachable ({type(exc).__name__})"
        checks[name] = "ok" if problem is None else problem
    if any(value != "ok" for value in checks.values()):
        return JsonResponse({"status": "not ready", "checks": checks}, status=503)
    return JsonResponse({"status": "ready", "checks": checks})
