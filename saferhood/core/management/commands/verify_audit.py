"""``saferhood verify_audit``: check the keyed hash chain and every signed checkpoint; name the event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from saferhood.core.audit import verify_chain
from saferhood.core.checkpoints import checkpoint_dir, verify_checkpoints


class Command(BaseCommand):
    help = (
        "Verify that the audit trail has not been edited, forged or had events removed "
        "(HMAC-SHA256 chain and the signed checkpoints in SAFERHOOD_AUDIT_CHECKPOINT_DIR)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--checkpoint-dir", help="default: SAFERHOOD_AUDIT_CHECKPOINT_DIR")

    def handle(self, *args, **options) -> None:
        checked, broken, head = verify_chain()
        folder = checkpoint_dir(options["checkpoint_dir"])
        checkpoints, problems = verify_checkpoints(folder)
        failures = []
        if broken is not None:
            failures.append(
                f"Audit trail broken at event {broken.event_id}: {broken.reason}. "
                f"{checked} events before it verified."
            )
        failures += [
            f"Checkpoint {p.path.name} fails at event {p.event_id if p.event_id is not None else '?'}: {p.reason}."
            for p in problems
        ]
        if failures:
            raise CommandError("\n".join(failures))
        if checkpoints:
            tail = f"{checkpoints} signed checkpoint{'s' if checkpoints != 1 else ''} in {folder} match."
        else:
            tail = (
                f"No checkpoint in {folder}: events removed from the end would not show "
                "(run `saferhood audit_checkpoint` on a schedule)."
            )
        self.stdout.write(f"Audit trail intact: {checked} events verified. Head hash {head}. {tail}")
