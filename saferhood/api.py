"""The JSON API (django-ninja); OpenAPI schema at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Saferhood API",
    version="1",
    description="Evidence base for a Community Safety Partnership: areas, profiles and police.uk data.",
    urls_namespace="api",
)

from saferhood.crime.api import router as profile_router  # noqa: E402

api.add_router("/", profile_router)

from saferhood.accounts.api import router as notes_router  # noqa: E402

api.add_router("/", notes_router)

from saferhood.cctv.api import router as cctv_router  # noqa: E402

api.add_router("/", cctv_router)

from saferhood.tasking.api import router as tasking_router  # noqa: E402

api.add_router("/", tasking_router)
