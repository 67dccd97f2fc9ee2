"""Rate limits for the API: a token bucket per client in Django's cache.

Anonymous requests are keyed by the client's address (``audit.client_ip``, which honours the
configured trusted proxy); signed-in requests by the user, with their own, larger, rates. Each
scope (all API routes, the expensive analyses) has its own buckets. A bucket holds ``N`` tokens
and refills at ``N`` per period, so ``N`` requests may come at once and the ``N+1``-th waits.

The state is two numbers per key, so a request costs one cache read and one write whatever the
rate (a list of timestamps, as ``ninja.throttling.SimpleRateThrottle`` keeps, grows with it). The
read-then-write is not atomic: two requests at the same instant may both take the last token,
which a rate limit can afford. Several server processes share limits only through a shared cache.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from saferhood.core.audit import client_ip

DEFAULT_RATES = {
    # scope: (anonymous, signed in), as "requests/period" with period s, min, hour or day
    "api": ("120/min", "600/min"),
    "analysis": ("20/min", "120/min"),
}
_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/min' as (20, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()]


def rates(scope: str) -> tuple[str, str]:
    configured = getattr(settings, "SAFERHOOD_API_RATES", {}) or {}
    return tuple(configured.get(scope, DEFAULT_RATES[scope]))  # type: ignore[return-value]


class ClientThrottle(BaseThrottle):
    """Ninja throttle: a token bucket per (scope, user or address); rates read per request."""

    def __init__(self, scope: str) -> None:
        if scope not in DEFAULT_RATES:
            raise ValueError(f"unknown throttle scope {scope!r}")
        self.scope = scope
        self._local = threading.local()  # one throttle object serves every thread

    def identity(self, request: HttpRequest) -> tuple[str, bool]:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}", True
        return f"addr:{client_ip(request) or 'unknown'}", False

    def allow_request(self, request: HttpRequest) -> bool:
        ident, signed_in = self.identity(request)
        capacity, period = parse_rate(rates(self.scope)[1 if signed_in else 0])
        refill = capacity / period  # tokens per second
        key = f"saferhood:throttle:{self.scope}:{ident}"
        now = time.time()  # wall clock: shared by every process that shares the cache
        state: Any = cache.get(key)
        tokens, last = (float(capacity), now) if state is None else state
        tokens = min(float(capacity), tokens + max(now - last, 0.0) * refill)
        if tokens >= 1.0:
            cache.set(key, (tokens - 1.0, now), timeout=period + 1)
            self._local.wait = None
            return True
        self._local.wait = (1.0 - tokens) / refill
        cache.set(key, (tokens, now), timeout=period + 1)
        return False

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
