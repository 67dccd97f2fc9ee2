"""Core models: the audit trail.

``AuditEvent`` is append-only. The model refuses ``save()`` of an existing row and
``delete()``; its queryset refuses ``update()`` and ``delete()``; database triggers (SQLite and
PostgreSQL, migrations 0002 and 0004) refuse UPDATE, DELETE, TRUNCATE and SQLite's INSERT OR
REPLACE from anything else. Each event carries an HMAC-SHA256, keyed with
``SAFERHOOD_AUDIT_KEY`` (kept outside the database), of the previous event's hash and its own
canonical content: editing, re-hashing or forging a row needs the key, and removing rows from
the end is found against the signed checkpoints (``saferhood audit_checkpoint``). Both are
checked by ``saferhood verify_audit``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models

from saferhood.core.audit_keys import chain_hash

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    SIGN_IN = "sign-in", "Signed in"
    SIGN_IN_FAILED = "sign-in-failed", "Failed sign-in"
    SIGN_OUT = "sign-out", "Signed out"
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Erased"
    EXPORT = "export", "Exported"
    DOWNLOAD = "download", "Downloaded"
    DENIED = "denied", "Denied"


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def _raw_delete(self, using: str) -> int:  # used by cascades and flush-like paths
        raise AppendOnlyError("audit events cannot be deleted")

    def by_agency(self, agency_slug: str) -> AuditEventQuerySet:
        """Events by users who belonged to ``agency_slug`` when they acted."""
        return self.filter(actor_agency=agency_slug)

    def about(self, object_type: str, object_id: str | int) -> AuditEventQuerySet:
        return self.filter(object_type=object_type, object_id=str(object_id))


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # PROTECT: a user with an audit history is deactivated, never deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, db_index=True)
    actor_agency = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(null=True, blank=True, help_text="{field: [old, new]} for a change")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    @property
    def changed_fields(self) -> list[str]:
        """The names of the fields a change event changed, sorted (PostgreSQL's jsonb keeps keys
        in its own order, SQLite in insertion order: a page must not depend on either)."""
        return sorted(self.changes or {})

    def canonical(self) -> str:
        """The event's content as one deterministic string (the hash's input besides prev_hash)."""
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "user": self.user_id,
                "username": self.username,
                "actor_agency": self.actor_agency,
                "ip": self.ip_address,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "detail": self.detail,
                "changes": self.changes,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.canonical())
