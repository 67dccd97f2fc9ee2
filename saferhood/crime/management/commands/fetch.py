"""``saferhood fetch police``: the monthly police.uk refresh (``crime.policeuk.refresh``).

Asks police.uk which months it publishes, fetches the partnership's records for each month not
loaded (or revised since), and imports each month in one transaction. Safe to run again: a run
with nothing new fetches nothing, and an interrupted fetch resumes where it stopped.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Fetch data from an API: 'police' (police.uk street-level crime and ASB, stop and search and "
        "outcomes for the partnership's wards)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        police = sub.add_parser(
            "police",
            help="police.uk street-level crime and ASB, stop and search and outcomes, month by month",
        )
        police.add_argument(
            "--month",
            action="append",
            metavar="YYYY-MM",
            help="only this month (repeat for several); by default every month police.uk publishes",
        )
        police.add_argument(
            "--dry-run",
            action="store_true",
            help="fetch (kept in the fetch folder for the next run) and check, store nothing",
        )
        police.add_argument("--no-progress", action="store_true")
        police.add_argument(
            "--replace-with-fewer",
            action="store_true",
            help="let a revised month replace one holding far more records than it brings",
        )

    def handle(self, *args, **options) -> None:
        from saferhood.crime.policeuk.refresh import RefreshError, refresh_police

        show = not options["no_progress"] and sys.stdout.isatty()
        try:
            if show:
                summary = self._with_bar(refresh_police, options)
            else:
                summary = refresh_police(
                    months=options["month"],
                    dry_run=options["dry_run"],
                    replace_with_fewer=options["replace_with_fewer"],
                )
        except RefreshError as exc:
            self.stdout.write(exc.summary.render())
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.render())

    def _with_bar(self, refresh_police, options):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("police.uk", total=None)

            def on_progress(done: int, total: int | None, message: str) -> None:
                bar.update(task, completed=done, total=total, description=message[:60])

            return refresh_police(
                months=options["month"],
                dry_run=options["dry_run"],
                on_progress=on_progress,
                replace_with_fewer=options["replace_with_fewer"],
            )
