"""``saferhood backup PATH``: a copy of the whole database, safe while the server runs (docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from saferhood.core import backups


class Command(BaseCommand):
    help = (
        "Back up the whole database to PATH (SQLite: online backup; PostgreSQL: pg_dump custom format). "
        "Safe while Saferhood runs. The file holds personal data: keep it as carefully as the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to write (replaced if it exists)")

    def handle(self, *args, path: Path, **options) -> None:
        try:
            backups.backup(connection, path)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = path.stat().st_size
        self.stdout.write(f"Backed up the {connection.vendor} database to {path} ({size:,} bytes).")
