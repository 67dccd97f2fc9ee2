"""``manage.py subject_access_export``: everything held about one person, as one file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from saferhood.accounts.privacy import subject_access, write_subject_access
from saferhood.core import audit
from saferhood.core.models import AuditAction


class Command(BaseCommand):
    help = "Write everything held about one person (by name and/or person reference) to a JSON or CSV file. Audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=None, help="the person's name (exact, case-insensitive)")
        parser.add_argument("--person-id", default=None, help="the person reference an agency holds")
        parser.add_argument("--output", type=Path, required=True, help="the file to write")
        parser.add_argument(
            "--format", choices=["json", "csv"], default=None, help="default: from the file name"
        )
        parser.add_argument(
            "--operator", default="", help="who is answering the request (recorded in the audit)"
        )

    def handle(self, *args, name, person_id, output: Path, format, operator: str, **options) -> None:
        if not name and not person_id:
            raise CommandError("give --name or --person-id")
        fmt = format or ("csv" if output.suffix.lower() == ".csv" else "json")
        found = subject_access(name=name, person_id=person_id)
        write_subject_access(found, output, fmt)
        counts = {label: len(rows) for label, rows in found["records"].items()}
        audit.record(
            AuditAction.EXPORT,
            user=None,
            username=(operator or "subject_access_export")[:150],
            object_type="subject-access",
            detail={
                "name": name,
                "person_id": person_id,
                "records": counts,
                "audit_events": len(found["audit_events"]),
                "file": str(output),
            },
        )
        self.stdout.write(
            f"Wrote {sum(counts.values())} records and {len(found['audit_events'])} audit events to {output}"
        )
