"""``manage.py replace_areas``: re-place stored rows under the current geography (ADR 0005)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from saferhood.crime.replace_areas import replace_areas


class Command(BaseCommand):
    help = (
        "Re-place stored police.uk rows and monthly counts from their LSOA code under the current "
        "geography (run after importing a newer geography). Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report, store nothing")

    def handle(self, *args, **options) -> None:
        changed = replace_areas(dry_run=options["dry_run"])
        prefix = "Dry run: nothing stored. " if options["dry_run"] else ""
        self.stdout.write(prefix + "Rows re-placed: " + ", ".join(f"{k} {v:,}" for k, v in changed.items()))
