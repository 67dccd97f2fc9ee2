"""``saferhood import geography|police|counts PATH…``: load ONS geography, police.uk data or counts.

Each importer is atomic per path given (police: a file, folder or zip) or per command (counts): a
malformed file stops the command with a message naming file, line and column, a non-zero exit
status, and nothing from it stored. A re-import that would replace far more rows than it brings
is refused unless ``--replace-with-fewer`` confirms it.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhood.core.errors import ImportFileError


class Command(BaseCommand):
    help = (
        "Import data: 'geography' (ONS lookups, populations, boundaries, towns), 'police' (police.uk "
        "files) or 'counts' (crimes per area × month × crime type, under a source name)."
    )

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
        police.add_argument(
            "--replace-with-fewer",
            action="store_true",
            help="let a file replace a force-month holding far more rows than it brings (a smaller revision)",
        )
        counts = sub.add_parser("counts", help="count CSVs (area × month × crime type) or folders of them")
        counts.add_argument("paths", nargs="+", type=Path)
        counts.add_argument("--source", required=True, help="name of the data set, e.g. 'force extract 2025'")
        counts.add_argument("--spec", type=Path, help="JSON mapping the file's columns (see README)")
        counts.add_argument("--dry-run", action="store_true", help="read and check everything, store nothing")
        counts.add_argument("--no-progress", action="store_true")
        counts.add_argument(
            "--replace-with-fewer",
            action="store_true",
            help="let a file replace a source-month holding far more rows than it brings",
        )

    def handle(self, *args, **options) -> None:
        try:
            if options["what"] == "geography":
                from saferhood.areas.importers import import_geography

                summary = import_geography(
                    options["paths"] or None, towns_csv=options.get("towns"), dry_run=options["dry_run"]
                )
            elif options["what"] == "counts":
                from saferhood.crime.importers.count_specs import CountSpec
                from saferhood.crime.importers.counts import import_counts

                spec = CountSpec.from_json(options["spec"]) if options.get("spec") else None
                try:
                    summary = import_counts(
                        options["paths"],
                        source=options["source"],
                        spec=spec,
                        dry_run=options["dry_run"],
                        progress=not options["no_progress"],
                        replace_with_fewer=options["replace_with_fewer"],
                    )
                except ValueError as exc:  # a bad --source name
                    raise CommandError(str(exc)) from exc
            else:
                from saferhood.crime.importers import import_police

                summary = import_police(
                    options["paths"],
                    dry_run=options["dry_run"],
                    progress=not options["no_progress"],
                    replace_with_fewer=options["replace_with_fewer"],
                )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.render())
