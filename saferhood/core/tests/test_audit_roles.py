"""On PostgreSQL the app's role, set up as docs/deploy.md says, cannot disable the audit triggers,
update or delete an event, but can append (issue 13 item 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from saferhood.core import audit
from saferhood.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL roles")

DEPLOY = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"
ROLE = "saferhood_app_roletest"


def _documented_grants() -> list[str]:
    """The statements of the "app-role grants" block in docs/deploy.md, for the test's role."""
    block = re.search(r"```sql\n-- app-role grants\n(.*?)```", DEPLOY.read_text(), re.S)
    assert block, "docs/deploy.md lost its app-role grants block"
    return [s.strip().replace("saferhood_app", ROLE) for s in block.group(1).split(";") if s.strip()]


@pytest.mark.django_db(transaction=False)
def test_the_app_role_cannot_disable_triggers_update_or_delete() -> None:
    event = audit.record(AuditAction.VIEW, user=None, username="before", object_type="tasking.meeting")
    with connection.cursor() as cursor:  # as the test's superuser: rolled back with the test
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN NOINHERIT")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
        for statement in _documented_grants():
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET ROLE {ROLE}")
    try:
        for sql, refusal in (
            ("ALTER TABLE core_auditevent DISABLE TRIGGER USER", "must be owner"),
            ("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change", "must be owner"),
            ("UPDATE core_auditevent SET username = 'x' WHERE id = %s", "permission denied"),
            ("DELETE FROM core_auditevent WHERE id = %s", "permission denied"),
            ("TRUNCATE core_auditevent", "permission denied"),
        ):
            with pytest.raises(DatabaseError, match=refusal):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [event.pk] if "%s" in sql else None)
        appended = audit.record(AuditAction.VIEW, user=None, username="as-app", object_type="tasking.meeting")
        assert appended.prev_hash == event.hash  # the service still writes the trail
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.get(pk=event.pk).username == "before"
    assert audit.verify_chain()[1] is None
