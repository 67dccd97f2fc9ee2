"""The API's error answers: one shape, ``{"detail": str}``, declared on every route for OpenAPI.

Routes say which error statuses they can give with ``responses(...)``; the API object turns every
error (validation included) into that shape, so what the schema documents is what a client gets.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema

# What each status means here, for the route descriptions and the OpenAPI document.
ERROR_MEANINGS = {
    400: "The request could not be read.",
    401: "Not signed in: this route needs a signed-in session.",
    403: "Signed in, but not allowed to do this (or the CSRF token is missing).",
    404: "No such object, or not one you may see.",
    409: "The request conflicts with the object's current state.",
    422: "A parameter is missing, out of range or over the analysis budget; the detail names it and the fix.",
    429: "Too many requests from this client: wait for the number of seconds in Retry-After.",
}

# Every route is rate limited and validates its input.
ALWAYS = (422, 429)
# A route behind sign-in.
SIGNED_IN = (401, 403)


class ErrorOut(Schema):
    """Every error answer: one sentence that names the parameter and what to change."""

    detail: str


def responses(ok: Any = None, *errors: int, status: int = 200) -> dict[int, Any]:
    """A route's ``response=`` dict: the success schema plus ``ErrorOut`` for each error status.

    ``responses(Profile, 404)`` gives 200, 404, 422 and 429; pass ``*SIGNED_IN`` for routes behind
    sign-in. ``ok`` None documents a JSON object without a fixed schema.
    """
    out: dict[int, Any] = {status: ok if ok is not None else dict[str, Any]}
    for code in sorted({*errors, *ALWAYS}):
        out[code] = ErrorOut
    return out


def statuses_text() -> str:
    """What each error status means, for the API's description."""
    return " ".join(f"{code}: {text}" for code, text in ERROR_MEANINGS.items())


def validation_detail(errors: list[dict[str, Any]]) -> str:
    """Pydantic's errors as one sentence per parameter: "'cell': Input should be ≥ 25"."""
    parts = []
    for err in errors:
        # Ninja's loc is (source, argument, field, ...): the field is the last name in it.
        names = [p for p in err.get("loc", ()) if isinstance(p, str)]
        name = names[-1] if len(names) > 1 else "request"
        parts.append(f"'{name}': {err.get('msg', 'is not valid')}")
    return "; ".join(parts) or "the request is not valid"
