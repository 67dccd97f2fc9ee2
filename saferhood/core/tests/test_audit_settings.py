"""Production refuses to start without a real audit key; the `saferhood` command runs the audit commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.sqlite_file
def test_the_saferhood_command_writes_and_verifies_checkpoints(tmp_path) -> None:
    saferhood = Path(sys.executable).with_name("saferhood")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "SAFERHOOD_PROFILE": "dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SAFERHOOD_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(saferhood), *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("migrate", "-v0").returncode == 0
    written = run("audit_checkpoint")
    assert written.returncode == 0 and "Checkpoint written" in written.stdout, written.stderr
    verified = run("verify_audit")
    assert verified.returncode == 0 and "1 signed checkpoint in" in verified.stdout, verified.stderr
    (checkpoint,) = (tmp_path / "checkpoints").iterdir()
    checkpoint.write_text(checkpoint.read_text().replace('"count": 0', '"count": 1'))
    refused = run("verify_audit")
    assert refused.returncode != 0 and "signature does not match" in refused.stderr
