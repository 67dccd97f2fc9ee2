"""The API's error answers: one shape, ``{"detail": str}``, declared on every route for OpenAPI.

Routes say which error statuses they can give with ``responses(...)``; the API object turns every
error (validation included) into that shape, so what the schema documents is what a client gets.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja import Schema
from ninja.errors import ValidationError
from ninja.parser import Parser

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
# A route that reads a JSON body: an unreadable one is a 400.
BODY = (400,)
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


NUL_MESSAGE = "text may not contain NUL characters (\\x00)"


def _nul_paths(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_paths(v, (*path, str(k))) + _nul_paths(k, path)]
    if isinstance(value, list):
        return [p for v in value for p in _nul_paths(v, path)]
    return []


class InputParser(Parser):
    """Ninja's parser, refusing NUL characters in query and body values.

    PostgreSQL cannot store or even compare text containing NUL, so one such character in any
    parameter that reaches a query, or the audit trail's JSON, used to be a 500.
    """

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        bad = [key for key, values in data.lists() if "\x00" in key or any("\x00" in v for v in values)]
        if bad:
            raise ValidationError([{"loc": ("query", key), "msg": NUL_MESSAGE} for key in bad])
        return super().parse_querydict(data, list_fields, request)

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        bad = _nul_paths(data)
        if bad:
            # Ninja answers a body its parser refuses with 400 "Cannot parse request body".
            raise ValueError("; ".join(f"'{'.'.join(p) or 'body'}': {NUL_MESSAGE}" for p in bad))
        return data
