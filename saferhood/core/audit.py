"""The audit trail: one function, ``record``, that every view, API and service calls.

Who, when, from which address, what action on which record, with old → new values for a
change. Events are chained by SHA-256 (see ``saferhood.core.models``) and verified by
``manage.py verify_audit``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from saferhood.core.models import GENESIS_HASH, AuditAction, AuditEvent

__all__ = ["AuditAction", "record", "client_ip", "changes_between", "verify_chain", "ChainBreak"]

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
    not that account acting). ``obj`` fills object type and id.
    """
    if user is _FROM_REQUEST:
        user = getattr(request, "user", None) if request is not None else None
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        object_type = object_label(obj)
        object_id = obj.pk
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
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


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
                ChainBreak(event.id, "its content does not match its hash (the event was edited)"),
                previous,
            )
        previous = event.hash
        checked += 1
    return checked, None, previous


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
