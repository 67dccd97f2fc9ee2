"""``saferhood audit_checkpoint``: write the audit chain's head, signed, to a file (run on a schedule)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from saferhood.core.checkpoints import write_checkpoint


class Command(BaseCommand):
    help = (
        "Write the audit trail's head (last event id, hash, count, time), signed with the audit key, "
        "to SAFERHOOD_AUDIT_CHECKPOINT_DIR. verify_audit then finds events removed after it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", help="where to write (default: SAFERHOOD_AUDIT_CHECKPOINT_DIR)")

    def handle(self, *args, **options) -> None:
        path, payload = write_checkpoint(options["dir"])
        self.stdout.write(
            f"Checkpoint written to {path}: event {payload['event_id']}, {payload['count']} events. "
            "Copy it somewhere the database's users cannot write."
        )
