"""``Cache-Control: no-store, private`` on every answer that may hold personal data.

One rule rather than a decorator per view, so a new page or API route cannot forget it: every
response to a signed-in user's request, and every API answer except the public area data (and the
API's own documentation), is neither stored by the browser nor by a shared cache. A view that
chose its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store, private"
API_PREFIX = "/api/"
# Area statistics anyone may read (ADR on public area data); everything else under /api/ is not.
PUBLIC_API_PREFIXES = ("/api/v1/areas/", "/api/v1/openapi.json", "/api/v1/docs")


def is_public_api(path: str) -> bool:
    return path.startswith(PUBLIC_API_PREFIXES)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Read before the view runs: signing out makes the user anonymous, but the answer was theirs.
        user = getattr(request, "user", None)
        signed_in = bool(getattr(user, "is_authenticated", False))
        response = self.get_response(request)
        private_api = request.path.startswith(API_PREFIX) and not is_public_api(request.path)
        if (signed_in or private_api) and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = NO_STORE
        return response
