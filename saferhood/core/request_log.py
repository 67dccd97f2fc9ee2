"""One JSON line per request on stdout: what a council's log collector reads (issue 15).

Each line holds the time, a request id, the method, the path, the names of the query parameters
(never their values: a search for a person's name or an address would otherwise sit in the logs
for as long as they are kept), the status, the server time in milliseconds and the user's id or
``anonymous``. gunicorn's own access log is off (``saferhood/core/gunicorn_conf.py``), so each
request is logged once.

The request id is the ``X-Request-ID`` a proxy in front set (when it looks like one), else a new
one; it is sent back in the answer's ``X-Request-ID`` so a user's report can be matched to its line.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("saferhood.request")
REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only if it cannot forge or break a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _user(request: HttpRequest) -> int | str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return "anonymous"


def log_line(request: HttpRequest, status: int, duration_ms: float, rid: str) -> dict:
    """The fields logged for one request (values of query parameters left out)."""
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": rid,
        "method": request.method,
        "path": request.path,
        "query_keys": sorted(set(request.GET.keys())),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "user": _user(request),
    }


class RequestLogMiddleware:
    """First in the chain, so redirects, static files and errors are logged with their timing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        request.request_id = rid  # type: ignore[attr-defined]  # for error pages and job records
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response.headers[REQUEST_ID_HEADER] = rid
        if logger.isEnabledFor(logging.INFO):
            logger.info(json.dumps(log_line(request, response.status_code, duration_ms, rid)))
        return response
