"""``saferhood restore PATH``: replace the whole database with a backup (asks first)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from saferhood.core import backups


class Command(BaseCommand):
    help = (
        "Replace every record in the database with the backup at PATH (written by `saferhood backup`). "
        "Asks to confirm unless --no-input. Stop the server and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to restore")
        parser.add_argument("--no-input", action="store_true", help="do not ask to confirm")

    def handle(self, *args, path: Path, no_input: bool, **options) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such backup file")
        taken = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        where = connection.settings_dict.get("NAME")
        if not no_input:
            self.stdout.write(
                f"This replaces every record in the {connection.vendor} database {where} with the backup "
                f"{path} (written {taken}). Everything changed since then is lost, audit events too."
            )
            if input("Type 'yes' to restore: ").strip().lower() != "yes":
                raise CommandError("Not restored: nothing was changed.")
        try:
            backups.restore(connection, path)
        except backups.BackupError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from exc
        self.stdout.write(
            f"Restored {where} from {path} (written {taken}). Run `saferhood migrate` if the backup is from "
            "an older release. The audit trail now ends where the backup does: `saferhood verify_audit` will "
            "report checkpoints written after it as missing events; record the restore and write a new checkpoint."
        )
