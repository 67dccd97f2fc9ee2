"""``saferhood load_demo``: load the real data bundled in ``demo/`` (what ``make run`` serves).

Idempotent and quick the second time: the geography is imported only when it is missing (or
with ``--force``), and a police.uk file (or a month of the bundled counts) whose checksum matches
a current import run is skipped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhood.core.errors import ImportFileError

# The police.uk folders under demo/police-uk/, in import order.
DEMO_POLICE_FOLDERS = [
    "police-uk-api-sandwell-wards-2018-06",
    "police-uk-street-2022-staffs-warks-btp",
    "police-uk-outcomes-west-midlands-2019-2020",
    "police-uk-stop-and-search-2019-12-to-2020-02",
]
POLICE_SUFFIXES = {".csv", ".json", ".zip"}
# The West Midlands counts (LSOA 2021 × crime type × month, one file a month) and their source name.
DEMO_COUNTS_FOLDER = "police-uk-api-wm-lsoa21-monthly-counts-2023-2026"
DEMO_COUNTS_SOURCE = "police.uk API counts (UK Crime Explorer)"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def api_month_checksum(paths: list[Path]) -> str:
    """The checksum the importer gives a force-month of API JSON: over its files' sorted digests."""
    return hashlib.sha256("".join(sorted(sha256_of(p) for p in paths)).encode()).hexdigest()


def pending_police_files(folder: Path, current_checksums: set[str]) -> list[Path]:
    """The data files in ``folder`` not yet imported with the same bytes.

    A file counts as imported when its own sha256 is a current run's checksum. API JSON files
    make one force-month together, so a folder of them is also done when the checksum of all of
    them is (a bundled API folder holds a single month).
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in POLICE_SUFFIXES)
    json_files = [p for p in files if p.suffix.lower() == ".json"]
    if json_files and api_month_checksum(json_files) in current_checksums:
        files = [p for p in files if p.suffix.lower() != ".json"]
    return [p for p in files if sha256_of(p) not in current_checksums]


class Command(BaseCommand):
    help = (
        "Load the bundled demo data: ONS geography, police.uk files, then the West Midlands counts "
        "(skipping what is already loaded)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="re-import everything, even if unchanged")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, force: bool, no_progress: bool, **options) -> None:
        # The importers (pandas, shapely) are imported only when there is something to import:
        # a second `make run` finds everything loaded and should not pay for them.
        from saferhood.areas.models import Area, AreaLevel
        from saferhood.crime.models import ImportRun, RecordKind

        demo = Path(settings.SAFERHOOD_DEMO_DIR)
        try:
            loaded = (
                Area.objects.filter(code__in=settings.SAFERHOOD_PARTNERSHIP_LADS).exists()
                and Area.objects.filter(level=AreaLevel.LSOA).exists()
            )
            if force or not loaded:
                from saferhood.areas.importers import import_geography

                self.stdout.write("Importing the ONS geography from demo/geography …")
                summary = import_geography(None)
                self.stdout.write(summary.render())
            else:
                self.stdout.write("Geography already loaded (use --force to re-import).")

            current = set() if force else set(ImportRun.objects.current().values_list("checksum", flat=True))
            paths: list[Path] = []
            for name in DEMO_POLICE_FOLDERS:
                folder = demo / "police-uk" / name
                if not folder.is_dir():
                    self.stderr.write(f"Skipping {folder}: not found")
                    continue
                pending = pending_police_files(folder, current)
                if not pending:
                    self.stdout.write(f"{name}: already imported")
                elif all(p.suffix.lower() == ".json" for p in pending):
                    paths.append(folder)  # API JSON: the folder is one force-month, deduplicated on id
                else:
                    paths.extend(pending)
            if paths:
                from saferhood.crime.importers import import_police

                summary = import_police(paths, progress=not no_progress)
                self.stdout.write(summary.render())
            else:
                self.stdout.write("All bundled police.uk files are already imported.")

            folder = demo / DEMO_COUNTS_FOLDER
            if not folder.is_dir():
                self.stderr.write(f"Skipping {folder}: not found")
            else:
                done = (
                    set()
                    if force
                    else set(
                        ImportRun.objects.current()
                        .filter(kind=RecordKind.COUNTS, source=DEMO_COUNTS_SOURCE)
                        .values_list("checksum", flat=True)
                    )
                )
                # One file per month, so a month is done when its file's checksum is a current run's.
                pending = [p for p in sorted(folder.rglob("*.csv")) if sha256_of(p) not in done]
                if pending:
                    from saferhood.crime.importers.counts import import_counts

                    summary = import_counts(pending, source=DEMO_COUNTS_SOURCE, progress=not no_progress)
                    self.stdout.write(summary.render())
                else:
                    self.stdout.write(f"{DEMO_COUNTS_FOLDER}: already imported")
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
