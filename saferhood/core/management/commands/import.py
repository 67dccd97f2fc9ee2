"""``saferhood import geography|police PATH…``: load ONS geography or police.uk data.

Each importer is atomic per file (or force-month): a malformed file stops the command with a
message naming file, line and column, a non-zero exit status, and nothing from it stored.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhood.core.errors import ImportFileError


class Command(BaseCommand):
    help = "Import data: 'geography' (ONS lookups, populations, boundaries, towns) or 'police' (police.uk files)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        geo = sub.add_parser("geography", help="ONS geography; with no PATH, the bundled demo/geography")
        geo.add_argument("paths", nargs="*", type=Path)
        geo.add_argument("--towns", type=Path, help="CSV of ward → town for this partnership")
        geo.add_argument("--dry-run", action="store_true")
        police = sub.add_parser("police", help="police.uk CSVs, folders, archive zips or API JSON")
        police.add_argument("paths", nargs="+", type=Path)
        police.add_argument("--dry-run", action="store_true", help="read and check everything, store nothing")
        police.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        try:
            if options["what"] == "geography":
                from saferhood.areas.importers import import_geography

                summary = import_geography(
                    options["paths"] or None, towns_csv=options.get("towns"), dry_run=options["dry_run"]
                )
            else:
                from saferhood.crime.importers import import_police

                summary = import_police(
                    options["paths"], dry_run=options["dry_run"], progress=not options["no_progress"]
                )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.render())
