"""The audit trail: one function, ``record``, that every view, API and service calls.

Who, when, from which address, what action on which record, with old → new values for a
change. Events are chained by a keyed HMAC (see ``saferhood.core.models``) and verified by
``saferhood verify_audit``.

Personal data never reaches the trail (issue 13): ``record`` itself, not each caller, replaces
the values of a change to a personal-data record (any subclass of a base registered with
``register_personal_data``, i.e. every ``ConfidentialRecord``) by keyed digests, and every
``detail`` value outside a short list of non-personal keys (path, ids…) by digests too, so a
search for a person's name is kept as a digest. A new case model is covered by subclassing,
with no change here. Who may see which events is decided where they are searched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from saferhood.core.audit_keys import digest, digest_search_term
from saferhood.core.models import GENESIS_HASH, AuditAction, AuditEvent

__all__ = [
    "AuditAction",
    "record",
    "client_ip",
    "changes_between",
    "verify_chain",
    "ChainBreak",
    "register_personal_data",
    "is_personal",
    "personal_models",
]

# Any constant: serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 5_230_771


def client_ip(request: HttpRequest | None) -> str | None:
    from saferhood.core.security import client_address  # trusted proxies only (SAFERHOOD_TRUSTED_PROXIES)

    return client_address(request)


def _jsonable(value: Any) -> Any:
    """What the JSON column will give back, so the hash computed now verifies later."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _actor_agency(user: Any) -> str:
    """The acting user's agency, read through the user's reverse relation: core imports no app above it."""
    try:
        membership = user.membership
    except ObjectDoesNotExist:
        return ""
    return membership.agency.slug if membership is not None else ""


def object_label(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


# --- personal data: digested, never stored --------------------------------------------------

_PERSONAL_BASES: list[type[models.Model]] = []

# ``detail`` keys whose values say how or where, never who: kept as they are for personal records.
PLAIN_DETAIL_KEYS = frozenset(
    {"path", "wanted", "what", "ids", "rows", "retention_days", "cutoff", "archive", "via"}
)


def register_personal_data(base: type[models.Model]) -> None:
    """Mark ``base`` and every model that subclasses it (now or later) as holding personal data."""
    if base not in _PERSONAL_BASES:
        _PERSONAL_BASES.append(base)


def _model_of(obj: models.Model | None, object_type: str) -> type[models.Model] | None:
    if obj is not None:
        return type(obj)
    if not object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def is_personal(model: type[models.Model] | str | None) -> bool:
    """Whether events about ``model`` (a class or an ``app.model`` label) must hold no values."""
    if isinstance(model, str):
        model = _model_of(None, model)
    return model is not None and any(issubclass(model, base) for base in _PERSONAL_BASES)


def personal_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if is_personal(m)]


def _digested_changes(changes: dict[str, list[Any]]) -> dict[str, list[str]]:
    return {field: [digest(_jsonable(v)) for v in pair] for field, pair in changes.items()}


def _digested_detail(detail: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if key in PLAIN_DETAIL_KEYS:
            out[key] = value
        elif isinstance(value, dict):  # search criteria: keep which fields, digest what was typed
            out[key] = {k: digest_search_term(v) for k, v in value.items()}
        else:
            out[key] = digest_search_term(value)
    return out


_FROM_REQUEST: Any = object()


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    user: Any = _FROM_REQUEST,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int | None = "",
    detail: dict[str, Any] | None = None,
    changes: dict[str, list[Any]] | None = None,
    username: str = "",
    actor_agency: str | None = None,
) -> AuditEvent:
    """Append one event to the audit trail and return it.

    ``user`` defaults to the request's user (pass ``user=None`` for none); ``username`` and
    ``actor_agency`` are for events with no user (a failed sign-in names an account, it is
    not that account acting). ``obj`` fills object type and id. For a personal-data record,
    ``changes`` values and ``detail`` values (but for ``PLAIN_DETAIL_KEYS``) are stored as keyed
    digests: callers pass what they have and cannot leak it.
    """
    if user is _FROM_REQUEST:
        user = getattr(request, "user", None) if request is not None else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_label(obj)
        object_id = obj.pk
    if is_personal(_model_of(obj, object_type)):
        detail = _digested_detail(_jsonable(detail or {}))
        changes = _digested_changes(_jsonable(changes)) if changes is not None else None
    event = AuditEvent(
        at=timezone.now(),
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        actor_agency=(
            actor_agency if actor_agency is not None else _actor_agency(user) if user is not None else ""
        ),
        ip_address=client_ip(request),
        action=str(action),
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        detail=_jsonable(detail or {}),
        changes=_jsonable(changes) if changes is not None else None,
    )
    with transaction.atomic():
        # Take the write lock before reading the chain's head, so two writers cannot both
        # link to the same event (a fork verify_audit would report as tampering).
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
            elif connection.vendor == "sqlite":
                # A write touching no row still takes SQLite's single write lock.
                cursor.execute("UPDATE core_auditevent SET id = id WHERE 0")
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = last or GENESIS_HASH
        event.hash = event.compute_hash()
        event.save()
    return event


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def field_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def _in_order(batch: int = 2000) -> Iterator[AuditEvent]:
    qs = AuditEvent.objects.order_by("id")
    rows = list(qs[:batch])  # no lower bound: a row slipped in with id 0 or below is walked too
    while rows:
        yield from rows
        rows = list(qs.filter(id__gt=rows[-1].id)[:batch])


def verify_chain() -> tuple[int, ChainBreak | None, str]:
    """Walk the chain in order: (events checked, the first break or None, the head hash)."""
    previous = GENESIS_HASH
    checked = 0
    for event in _in_order():
        if event.prev_hash != previous:
            return (
                checked,
                ChainBreak(
                    event.id,
                    "its previous-hash does not match the event before it (an event was removed or re-ordered)",
                ),
                previous,
            )
        if event.compute_hash() != event.hash:
            return (
                checked,
                ChainBreak(
                    event.id,
                    "its content does not match its keyed hash (the event was edited, forged, "
                    "or re-hashed without the audit key)",
                ),
                previous,
            )
        previous = event.hash
        checked += 1
    return checked, None, previous


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
