"""Workflows on confidential notes, each writing its audit record (GUIDE §4.3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from saferhood.accounts.models import Agency, ConfidentialNote
from saferhood.accounts.roles import Action
from saferhood.accounts.scoping import Sharing, can
from saferhood.core import audit
from saferhood.core.models import AuditAction


class NotAllowed(PermissionError):
    pass


def _snapshot(note: ConfidentialNote) -> dict[str, Any]:
    values = audit.field_values(note, ConfidentialNote.AUDITED_FIELDS)
    values["shared_with"] = sorted(note.shared_with.values_list("slug", flat=True)) if note.pk else []
    return values


def create_note(
    *,
    by_user: Any,
    owner_agency: Agency,
    subject_name: str,
    text: str,
    subject_ref: str = "",
    sharing: str = Sharing.OWN_AGENCY,
    shared_with: Iterable[Agency] = (),
    meeting_members: Iterable[Any] = (),
    request: HttpRequest | None = None,
) -> ConfidentialNote:
    with transaction.atomic():
        note = ConfidentialNote.objects.create(
            owner_agency=owner_agency,
            subject_name=subject_name,
            subject_ref=subject_ref,
            text=text,
            sharing=sharing,
            created_by=by_user,
        )
        note.shared_with.set(shared_with)
        note.meeting_members.set(meeting_members)
        audit.record(
            AuditAction.CREATE,
            request=request,
            user=by_user,
            obj=note,
            changes=audit.changes_between({}, _snapshot(note)),
        )
    return note


def change_note(
    note: ConfidentialNote,
    *,
    by_user: Any,
    request: HttpRequest | None = None,
    shared_with: Iterable[Agency] | None = None,
    **fields: Any,
) -> ConfidentialNote:
    """Change fields of a note the user may change; audits old → new values."""
    if not can(by_user, note, Action.CHANGE):
        audit.record(AuditAction.DENIED, request=request, user=by_user, obj=note, detail={"wanted": "change"})
        raise NotAllowed("you may not change this note")
    unknown = set(fields) - set(ConfidentialNote.AUDITED_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with transaction.atomic():
        before = _snapshot(note)
        for name, value in fields.items():
            setattr(note, name, value)
        note.save()
        if shared_with is not None:
            note.shared_with.set(shared_with)
        changes = audit.changes_between(before, _snapshot(note))
        if changes:
            audit.record(AuditAction.CHANGE, request=request, user=by_user, obj=note, changes=changes)
    return note
