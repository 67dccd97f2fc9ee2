"""``saferhood worker``: run background jobs (imports, packs, the monthly refresh).

The queue is Django's Tasks framework on the database backend (docs/adr/0007-background-jobs.md):
no extra server with SQLite, and several workers share one PostgreSQL. Beside the queue loop the
worker beats (so a worker killed mid-job is noticed), fails and retries dead workers' jobs, and
queues scheduled jobs (saferhood.jobs.housekeeping).
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from saferhood.jobs.housekeeping import Housekeeping, look_once, new_worker_id
from saferhood.jobs.liveness import beat_database, forget_worker


class Command(BaseCommand):
    help = "Run the background job worker (stop with Ctrl-C; a running job finishes or is shown failed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at the queue")
        parser.add_argument("--batch", action="store_true", help="run the jobs waiting now, then stop")

    def handle(self, *args, **options) -> None:
        worker_id = new_worker_id()
        # Batch runs (tests, cron) look once in this thread; a long-running worker keeps looking.
        housekeeping = Housekeeping(worker_id, with_database=not options["batch"])
        housekeeping.start()
        if options["batch"]:
            beat_database(worker_id, housekeeping.started_at)
            look_once()
        # No autoreload: a reload would cut a running import short (it is atomic, but wasted).
        worker_options = {
            "queue_name": "*",
            "interval": options["interval"],
            "reload": False,
            "worker_id": worker_id,
            "startup_delay": not options["batch"],
            "verbosity": options["verbosity"],
        }
        if options["batch"]:
            worker_options["batch"] = True
        try:
            call_command("db_worker", **worker_options)
        finally:
            housekeeping.stop.set()
            forget_worker(worker_id)
