"""``saferhood worker``: run background jobs (imports, packs, the monthly refresh).

The queue is Django's Tasks framework on the database backend (docs/adr/0007-background-jobs.md):
no extra server with SQLite, and several workers share one PostgreSQL.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background job worker (stop with Ctrl-C; a running job finishes or is shown failed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the queue")
        parser.add_argument("--batch", action="store_true", help="run the jobs waiting now, then stop")

    def handle(self, *args, **options) -> None:
        # No autoreload: a reload would cut a running import short (it is atomic, but wasted).
        worker_options = {"queue_name": "*", "interval": options["interval"], "reload": False}
        if options["batch"]:
            worker_options["batch"] = True
        call_command("db_worker", **worker_options)
