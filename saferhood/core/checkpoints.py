"""Signed checkpoints of the audit chain's head: what finds events removed from the end.

A keyed chain finds an edited, forged or re-hashed event, but not the last events simply
deleted: what is left is still a valid chain. ``write_checkpoint`` (``saferhood
audit_checkpoint``, run on a schedule: docs/deploy.md) writes the head — last event id, its
hash, the number of events, the time — signed with the audit key, to a file outside the
database. ``verify_checkpoints`` then requires every checkpoint's event to be there with the
same hash and the same number of events up to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from saferhood.core.audit_keys import same, sign
from saferhood.core.models import AuditEvent


@dataclass(frozen=True)
class CheckpointProblem:
    path: Path
    event_id: int | None
    reason: str


def checkpoint_dir(directory: Path | str | None = None) -> Path:
    return Path(directory or settings.SAFERHOOD_AUDIT_CHECKPOINT_DIR)


def write_checkpoint(directory: Path | str | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the chain's head, signed, to a new file in ``directory``; return the file and its content."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    payload: dict[str, Any] = {
        "event_id": head["id"] if head else 0,
        "hash": head["hash"] if head else "",
        "count": AuditEvent.objects.filter(id__lte=head["id"]).count() if head else 0,
        "at": timezone.now().isoformat(),
    }
    payload["signature"] = sign(payload)
    folder = checkpoint_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"audit-checkpoint-{stamp}-{payload['event_id']}.json"
    # Written aside then renamed: a reader never sees half a checkpoint.
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(payload, indent=1, sort_keys=True))
    os.replace(partial, path)
    return path, payload


def _problem_with(path: Path) -> CheckpointProblem | None:
    try:
        payload = json.loads(path.read_text())
        fields = {k: payload[k] for k in ("event_id", "hash", "count", "at")}
        signature = str(payload["signature"])
        event_id = int(fields["event_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return CheckpointProblem(
            path, None, "the checkpoint file cannot be read (damaged or not a checkpoint)"
        )
    if not same(sign(fields), signature):
        return CheckpointProblem(
            path, event_id, "its signature does not match (forged, altered or another key)"
        )
    if event_id == 0:
        return None  # taken when the trail was empty
    event = AuditEvent.objects.filter(id=event_id).values("hash").first()
    if event is None:
        return CheckpointProblem(path, event_id, "the event it records is gone (events were removed)")
    if not same(event["hash"], str(fields["hash"])):
        return CheckpointProblem(
            path, event_id, "the event's hash differs from the one it records (rewritten)"
        )
    if AuditEvent.objects.filter(id__lte=event_id).count() != int(fields["count"]):
        return CheckpointProblem(
            path, event_id, "the number of events up to it differs from the one it records (removed or added)"
        )
    return None


def verify_checkpoints(directory: Path | str | None = None) -> tuple[int, list[CheckpointProblem]]:
    """(checkpoints checked, the problems found) for every checkpoint file in ``directory``."""
    folder = checkpoint_dir(directory)
    paths = sorted(folder.glob("audit-checkpoint-*.json")) if folder.is_dir() else []
    problems = [p for p in (_problem_with(path) for path in paths) if p is not None]
    return len(paths), problems
