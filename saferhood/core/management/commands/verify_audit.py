"""``manage.py verify_audit``: check the audit trail's hash chain; report the first broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from saferhood.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify that the audit trail has not been edited or had events removed (SHA-256 hash chain)."

    def handle(self, *args, **options) -> None:
        checked, broken, head = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at event {broken.event_id}: {broken.reason}. "
                f"{checked} events before it verified."
            )
        self.stdout.write(
            f"Audit trail intact: {checked} events verified. Head hash {head} "
            "(keep a copy elsewhere: it shows later if events were removed from the end)."
        )
