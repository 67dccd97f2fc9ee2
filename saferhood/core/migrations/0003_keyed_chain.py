"""The audit trail becomes a keyed chain, holds no personal values, and has no INSERT OR REPLACE path.

Re-chain (chosen over a legacy-scheme column): an unkeyed part kept "as legacy" could be
re-hashed by anyone who can write the database, so old rows would prove nothing, and a
scheme column would invite a downgrade. Instead this migration

1. checks the existing SHA-256 chain and refuses to go on if it is broken (naming the event:
   run ``verify_audit`` on the previous release, investigate, restore from backup);
2. replaces personal values in events about confidential records (old → new values of a
   note's or a closed case's fields, the name typed into a note search) by keyed digests;
3. re-hashes every event with HMAC-SHA256 under ``SAFERHOOD_AUDIT_KEY``.

Run ``saferhood audit_checkpoint`` right after it (docs/deploy.md). On SQLite it also adds a
BEFORE INSERT trigger refusing an insert whose id or hash is already there: ``INSERT OR
REPLACE`` deletes the old row without firing the DELETE trigger (unless recursive_triggers).
"""

from django.db import migrations

from saferhood.core.audit_keys import chain_hash, digest, digest_search_term, legacy_sha256

GENESIS_HASH = "0" * 64
# The personal-data models when this migration was written (later ones never had values stored).
PERSONAL_LABELS = {"accounts.confidentialnote", "tasking.closedcase"}
PLAIN_DETAIL_KEYS = {"path", "wanted", "what", "ids", "rows", "retention_days", "cutoff", "archive", "via"}

SQLITE_NO_REPLACE = """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_replace BEFORE INSERT ON core_auditevent
   WHEN EXISTS (SELECT 1 FROM core_auditevent WHERE id = NEW.id)
     OR EXISTS (SELECT 1 FROM core_auditevent WHERE hash = NEW.hash)
   BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""
SQLITE_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
   BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""


class BrokenLegacyChain(RuntimeError):
    pass


def _canonical(row) -> str:
    import json

    return json.dumps(
        {
            "at": row.at.isoformat(),
            "user": row.user_id,
            "username": row.username,
            "actor_agency": row.actor_agency,
            "ip": row.ip_address,
            "action": row.action,
            "object_type": row.object_type,
            "object_id": row.object_id,
            "detail": row.detail,
            "changes": row.changes,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def _scrub(row) -> None:
    if row.object_type not in PERSONAL_LABELS:
        return
    detail = {}
    for key, value in (row.detail or {}).items():
        if key in PLAIN_DETAIL_KEYS:
            detail[key] = value
        elif isinstance(value, dict):
            detail[key] = {k: digest_search_term(v) for k, v in value.items()}
        else:
            detail[key] = digest_search_term(value)
    row.detail = detail
    if row.changes is not None:
        row.changes = {field: [digest(v) for v in pair] for field, pair in row.changes.items()}


def rechain(model, connection) -> int:
    """Check the old chain, scrub and re-hash every event of ``model`` in id order; the count re-hashed."""
    manager = model._base_manager
    legacy_prev = keyed_prev = GENESIS_HASH
    done = 0
    last_id = None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER refuses while FK checks are pending
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
    while True:
        qs = manager.order_by("id")
        rows = list((qs if last_id is None else qs.filter(id__gt=last_id))[:1000])
        if not rows:
            break
        for row in rows:
            if row.prev_hash != legacy_prev or legacy_sha256(row.prev_hash, _canonical(row)) != row.hash:
                raise BrokenLegacyChain(
                    f"The audit trail is broken at event {row.id} (it was edited or events were removed) "
                    "before it could be re-keyed. Investigate with the previous release's verify_audit "
                    "and restore the audit table from a backup before migrating."
                )
            legacy_prev = row.hash
            _scrub(row)
            row.prev_hash = keyed_prev
            row.hash = chain_hash(keyed_prev, _canonical(row))
            manager.filter(pk=row.pk).update(
                detail=row.detail, changes=row.changes, prev_hash=row.prev_hash, hash=row.hash
            )
            keyed_prev = row.hash
            done += 1
        last_id = rows[-1].id
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_change")
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_NO_UPDATE)
            cursor.execute(SQLITE_NO_REPLACE)
    return done


def forward(apps, schema_editor) -> None:
    rechain(apps.get_model("core", "AuditEvent"), schema_editor.connection)


def backward(apps, schema_editor) -> None:
    # The keyed chain stays keyed (the unkeyed one cannot be restored); only the trigger goes.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_replace")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_triggers")]

    operations = [migrations.RunPython(forward, backward)]
