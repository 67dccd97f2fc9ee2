"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from saferhood.core import audit
from saferhood.core.models import GENESIS_HASH, AppendOnlyError, AuditAction, AuditEvent


def _events(n: int = 3) -> list[AuditEvent]:
    return [
        audit.record(
            AuditAction.VIEW,
            user=None,
            username=f"u{i}",
            object_type="tasking.meeting",
            object_id=i,
            detail={"n": i},
        )
        for i in range(n)
    ]


def test_events_are_chained(db) -> None:
    first, second, third = _events()
    before = AuditEvent.objects.filter(id__lt=first.id).order_by("-id").first()
    assert first.prev_hash == (before.hash if before else GENESIS_HASH)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert third.hash == third.compute_hash()
    # The hash survives the round trip through the database.
    assert AuditEvent.objects.get(pk=third.pk).compute_hash() == third.hash


def test_the_app_cannot_change_or_delete_an_event(db) -> None:
    event = _events(1)[0]
    event.detail = {"n": 99}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.SIGN_IN)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).detail == {"n": 0}


def test_the_database_refuses_raw_update_and_delete(db) -> None:
    event = _events(1)[0]
    for sql in (
        "UPDATE core_auditevent SET action = 'sign-in' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else TRUNCATE stops at pending FK checks
                cursor.execute("TRUNCATE core_auditevent CASCADE")
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


def _disable_triggers(cursor) -> None:
    # As an attacker with the database owner's rights would; rolled back with the test.
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER refuses while FK checks are pending
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER core_auditevent_no_update")
        cursor.execute("DROP TRIGGER core_auditevent_no_delete")


def test_verify_audit_passes_an_intact_trail(db, capsys) -> None:
    _events()
    call_command("verify_audit")
    assert "Audit trail intact" in capsys.readouterr().out


def test_verify_audit_finds_an_edited_event(db) -> None:
    _, middle, _ = _events()
    with connection.cursor() as cursor:
        _disable_triggers(cursor)
        cursor.execute("UPDATE core_auditevent SET username = 'someone-else' WHERE id = %s", [middle.pk])
    checked, broken, _ = audit.verify_chain()
    assert broken is not None and broken.event_id == middle.pk and "edited" in broken.reason
    with pytest.raises(CommandError, match=f"broken at event {middle.pk}"):
        call_command("verify_audit")


def test_verify_audit_finds_a_removed_event(db) -> None:
    _, middle, last = _events()
    with connection.cursor() as cursor:
        _disable_triggers(cursor)
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [middle.pk])
    _, broken, _ = audit.verify_chain()
    assert broken is not None and broken.event_id == last.pk and "removed" in broken.reason


def test_record_fills_who_where_and_what(db, rf, django_user_model) -> None:
    user = django_user_model.objects.create(username="ann")
    request = rf.get("/notes/1/", REMOTE_ADDR="10.1.2.3")
    request.user = user
    event = audit.record(AuditAction.CHANGE, request=request, obj=user, changes={"email": ["", "a@b.c"]})
    assert (event.username, event.ip_address, event.object_type, event.object_id) == (
        "ann",
        "10.1.2.3",
        "auth.user",
        str(user.pk),
    )
    assert event.changes == {"email": ["", "a@b.c"]}
