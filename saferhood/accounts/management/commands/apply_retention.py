"""``manage.py apply_retention``: archive then erase personal data older than its retention age."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhood.accounts.privacy import RetentionError, apply_retention


class Command(BaseCommand):
    help = (
        "Archive to JSON, then erase, records older than SAFERHOOD_RETENTION_DAYS for their type "
        "(never under SAFERHOOD_RETENTION_MINIMUM_DAYS). Audited. Use --dry-run to see counts only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would go; change nothing")
        parser.add_argument("--archive-dir", type=Path, default=None, help="default: SAFERHOOD_ARCHIVE_DIR")
        parser.add_argument("--only", default=None, help="one record type, e.g. accounts.confidentialnote")

    def handle(self, *args, dry_run: bool, archive_dir: Path | None, only: str | None, **options) -> None:
        try:
            results = apply_retention(dry_run=dry_run, archive_dir=archive_dir, only=only)
        except RetentionError as error:
            raise CommandError(str(error)) from error
        for r in results:
            verb = "would erase" if dry_run else "erased"
            where = f"; archived to {r.archive}" if r.archive else ""
            self.stdout.write(
                f"{r.label}: {r.count} older than {r.days} days (before {r.cutoff}) {verb}{where}"
            )
        if not results:
            self.stdout.write("No record type has a retention age configured.")
