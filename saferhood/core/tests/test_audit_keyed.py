"""The keyed chain and signed checkpoints: every attack from issue 13 is reported with the event id."""

from __future__ import annotations

import importlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from saferhood.core import audit
from saferhood.core.audit_keys import legacy_sha256
from saferhood.core.checkpoints import verify_checkpoints, write_checkpoint
from saferhood.core.models import AuditAction, AuditEvent


def _events(n: int = 4) -> list[AuditEvent]:
    return [
        audit.record(
            AuditAction.VIEW, user=None, username=f"k{i}", object_type="tasking.meeting", object_id=i
        )
        for i in range(n)
    ]


def _unguarded(cursor) -> None:
    """As an attacker with the database owner's rights would (rolled back with the test)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER core_auditevent_no_update")
        cursor.execute("DROP TRIGGER core_auditevent_no_delete")
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_replace")


def _rewrite(event_id: int, hasher, **fields) -> None:
    """Edit one event, then re-hash it and every later event with ``hasher`` so the links agree."""
    with connection.cursor() as cursor:
        _unguarded(cursor)
        for name, value in fields.items():
            cursor.execute(f"UPDATE core_auditevent SET {name} = %s WHERE id = %s", [value, event_id])
    previous = (
        AuditEvent.objects.filter(id__lt=event_id).order_by("-id").values_list("hash", flat=True).first()
    )
    previous = previous or "0" * 64
    for event in AuditEvent.objects.filter(id__gte=event_id).order_by("id"):
        event.prev_hash = previous
        new_hash = hasher(event)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [previous, new_hash, event.id],
            )
        previous = new_hash


def _verify_fails_at(event_id: int, tmp_path) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", "--checkpoint-dir", str(tmp_path))
    message = str(failure.value)
    assert f"event {event_id}" in message
    return message


def test_an_intact_trail_with_checkpoints_verifies(db, tmp_path, capsys) -> None:
    _events()
    call_command("audit_checkpoint", "--dir", str(tmp_path))
    _events(2)
    call_command("audit_checkpoint", "--dir", str(tmp_path))
    call_command("verify_audit", "--checkpoint-dir", str(tmp_path))
    out = capsys.readouterr().out
    assert "Audit trail intact" in out and "2 signed checkpoints" in out


def test_edit_then_rehash_with_plain_sha256_is_found(db, tmp_path) -> None:
    _, middle, _, _ = _events()
    _rewrite(middle.id, lambda e: legacy_sha256(e.prev_hash, e.canonical()), username="someone-else")
    assert "keyed hash" in _verify_fails_at(middle.id, tmp_path)


def test_edit_then_rehash_with_a_wrong_key_is_found(db, tmp_path) -> None:
    _, middle, _, _ = _events()

    def wrong_key(event: AuditEvent) -> str:
        with override_settings(SAFERHOOD_AUDIT_KEY="an-attacker-guess-of-the-key-000000000000"):
            return event.compute_hash()

    _rewrite(middle.id, wrong_key, action="sign-in")
    _verify_fails_at(middle.id, tmp_path)


def test_a_forged_append_is_found(db, tmp_path) -> None:
    last = _events()[-1]
    forged = AuditEvent(
        at=last.at,
        username="intruder",
        action=AuditAction.VIEW,
        object_type="tasking.meeting",
        prev_hash=last.hash,
    )
    forged.hash = legacy_sha256(forged.prev_hash, forged.canonical())  # the best one can do without the key
    forged.save()
    _verify_fails_at(forged.id, tmp_path)


def test_a_deleted_tail_is_found_against_a_checkpoint(db, tmp_path) -> None:
    events = _events()
    path, payload = write_checkpoint(tmp_path)
    assert payload["event_id"] == events[-1].id and json.loads(path.read_text())["signature"]
    with connection.cursor() as cursor:
        _unguarded(cursor)
        cursor.execute("DELETE FROM core_auditevent WHERE id >= %s", [events[-2].id])
    assert audit.verify_chain()[1] is None  # what is left is a valid chain…
    assert "is gone" in _verify_fails_at(events[-1].id, tmp_path)  # …but the checkpoint knows


def test_a_checkpoint_is_refused_if_forged_or_if_its_event_was_rewritten(db, tmp_path) -> None:
    events = _events()
    path, payload = write_checkpoint(tmp_path)
    forged = dict(payload, count=payload["count"] - 1)
    (tmp_path / "audit-checkpoint-forged-1.json").write_text(json.dumps(forged))
    _, problems = verify_checkpoints(tmp_path)
    assert [p.reason for p in problems] == ["its signature does not match (forged, altered or another key)"]
    (tmp_path / "audit-checkpoint-forged-1.json").unlink()
    # Rewriting the whole chain from scratch (even with the key, say an old backup) moves the head hash.
    _rewrite(events[0].id, lambda e: e.compute_hash(), username="rewritten")
    assert audit.verify_chain()[1] is None
    assert "hash differs" in _verify_fails_at(events[-1].id, tmp_path)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_refuses_insert_or_replace(db) -> None:
    first, second = _events(2)
    columns = "id, at, username, actor_agency, action, object_type, object_id, detail, prev_hash, hash"
    for sql, args in (
        (f"INSERT OR REPLACE INTO core_auditevent ({columns}) VALUES (%s, %s, 'x', '', 'view', '', '', '{{}}', %s, %s)",
         [first.id, first.at, first.prev_hash, "f" * 64]),
        (f"REPLACE INTO core_auditevent ({columns}) VALUES (%s, %s, 'x', '', 'view', '', '', '{{}}', %s, %s)",
         [second.id + 100, second.at, second.prev_hash, second.hash]),
    ):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, args)
    assert AuditEvent.objects.get(pk=first.pk).username == "k0"
    assert AuditEvent.objects.get(pk=second.pk).username == "k1"
    assert audit.verify_chain()[1] is None


def test_the_migration_rechains_an_unkeyed_trail_and_scrubs_personal_values(db, tmp_path) -> None:
    migration = importlib.import_module("saferhood.core.migrations.0003_keyed_chain")
    before = AuditEvent.objects.count()
    events = _events(3)
    # Turn the trail back into the old unkeyed one, with a note's name in it as it used to be stored.
    with connection.cursor() as cursor:
        _unguarded(cursor)
        cursor.execute(
            "UPDATE core_auditevent SET object_type = 'accounts.confidentialnote', changes = %s WHERE id = %s",
            [json.dumps({"subject_name": ["Old Name", "New Name"]}), events[1].id],
        )
    previous = "0" * 64
    for event in AuditEvent.objects.order_by("id"):
        with connection.cursor() as cursor:
            new_hash = legacy_sha256(
                previous, AuditEvent(**{**_fields(event), "prev_hash": previous}).canonical()
            )
            cursor.execute(
                "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [previous, new_hash, event.id],
            )
        previous = new_hash
    assert audit.verify_chain()[1] is not None  # unkeyed: the keyed check refuses it
    assert migration.rechain(AuditEvent, connection) == before + 3
    assert audit.verify_chain()[1] is None
    assert "Name" not in json.dumps(AuditEvent.objects.get(pk=events[1].id).changes)
    with pytest.raises(DatabaseError, match="append-only"):  # the guards are back
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET username = 'x' WHERE id = %s", [events[0].id])


def _fields(event: AuditEvent) -> dict:
    return {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}


def test_the_migration_refuses_a_broken_unkeyed_trail(db) -> None:
    migration = importlib.import_module("saferhood.core.migrations.0003_keyed_chain")
    events = _events(2)
    with pytest.raises(migration.BrokenLegacyChain, match="broken at event"):
        with transaction.atomic():
            migration.rechain(AuditEvent, connection)
    assert events  # the keyed rows are not unkeyed ones: refused, nothing re-hashed
