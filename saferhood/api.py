"""The JSON API (django-ninja); OpenAPI schema at /api/v1/openapi.json.

Every route is rate limited per client (``core.throttling``) and every error is ``{"detail": str}``
(``core.api_errors``), as each route's ``response=`` declares. Which area data is public and why:
docs/adr/0004-public-area-data.md.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import Throttled, ValidationError

from saferhood.core.api_errors import InputParser, statuses_text, validation_detail
from saferhood.core.throttling import ClientThrottle

api = NinjaAPI(
    title="Saferhood API",
    version="1",
    description="Evidence base for a Community Safety Partnership: areas, profiles and police.uk data. "
    "Area data (profiles, analyses) is public open data and needs no sign-in; every route is rate "
    "limited per client (429 with Retry-After) and analyses are refused (422) above a cost budget. "
    'Every error is {"detail": "…"} naming the parameter and the fix. ' + statuses_text(),
    urls_namespace="api",
    throttle=[ClientThrottle("api")],
    parser=InputParser(),
)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": validation_detail(exc.errors)}, status=422)


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    wait = math.ceil(exc.wait) if exc.wait is not None else None
    when = f"try again in {wait} s" if wait is not None else "try again shortly"
    detail = f"Too many requests from this client: {when}. Signed-in users have higher limits."
    return api.create_response(request, {"detail": detail}, status=429)


from saferhood.evidence.api import router as profile_router  # noqa: E402

api.add_router("/", profile_router)

from saferhood.accounts.api import router as notes_router  # noqa: E402

api.add_router("/", notes_router)

from saferhood.cctv.api import router as cctv_router  # noqa: E402

api.add_router("/", cctv_router)

from saferhood.tasking.api import router as tasking_router  # noqa: E402

api.add_router("/", tasking_router)
