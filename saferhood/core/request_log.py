"""One JSON line per request on stdout: what a council's log collector reads (issue 15).

Each line holds the time, a request id, the method, the path, the names of the query parameters
(never their values: a search for a person's name or an address would otherwise sit in the logs
for as long as they are kept), the status, the server time in milliseconds and the user's id or
``anonymous``. gunicorn's own access log is off (``saferhood/core/gunicorn_conf.py``), so each
request is logged once.

The request id is the ``X-Request-ID`` set by a proxy in front (only one listed in
``SAFERHOOD_TRUSTED_PROXIES``, and only when it looks like an id), else a new one; it is sent back in
the answer's ``X-Request-ID`` so a user's report can be matched to its line. The client's address
is not logged: it is personal data, and the logs are kept longer than it is needed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("saferhood.request")
REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only if it cannot forge or break a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _from_trusted_proxy(request: HttpRequest) -> bool:
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in net for net in _networks(tuple(settings.SAFERHOOD_TRUSTED_PROXIES)))


def request_id(request: HttpRequest) -> str:
    """The trusted proxy's id for the request, else a new one (a client cannot choose its line's id)."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if given and _REQUEST_ID.fullmatch(given) and _from_trusted_proxy(request):
        return given
    return uuid.uuid4().hex


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
