"""Production refuses to start without a real audit key; the `saferhood` command runs the audit commands."""

from __future__ import annotations

import pytest

from saferhood import cli
from saferhood.core import audit
from saferhood.core.models import AuditAction
from saferhood.core.tests.test_security import PRODUCTION, _manage


@pytest.mark.parametrize(
    "key, refusal",
    [
        (None, "SAFERHOOD_AUDIT_KEY must be set in production"),
        ("short-key", "at least 32 random characters"),
        ("dev-only-audit-key-not-secret-0000000000", "not the dev key"),
        (PRODUCTION["SECRET_KEY"], "not SECRET_KEY"),
    ],
)
def test_production_refuses_a_missing_short_or_known_audit_key(key: str | None, refusal: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SAFERHOOD_AUDIT_KEY"}
    if key is not None:
        env["SAFERHOOD_AUDIT_KEY"] = key
    result = _manage(env, "check")
    assert result.returncode != 0 and refusal in result.stderr


def test_the_saferhood_command_writes_and_verifies_checkpoints(db, tmp_path, capsys) -> None:
    audit.record(AuditAction.VIEW, user=None, username="cli", object_type="tasking.meeting")
    cli.main(["audit_checkpoint", "--dir", str(tmp_path)])
    cli.main(["verify_audit", "--checkpoint-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "Checkpoint written" in out and "1 signed checkpoint in" in out
