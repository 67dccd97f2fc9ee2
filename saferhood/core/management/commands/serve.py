"""``saferhood serve``: the production web server (gunicorn) and the job worker, side by side.

What ``make run`` ends with, and a one-command server for a small install. Both run as child
processes; Ctrl-C or SIGTERM stops both (a job that is running finishes first: press Ctrl-C again
to stop it at once, and its import is rolled back whole). If either stops by itself, the other
is stopped and ``serve`` exits non-zero naming which one died, so a supervisor restarts the pair
rather than leaving a server whose jobs never run. For several servers, run gunicorn and
``saferhood worker`` as separate services (deploy/, docs/deploy.md).
"""

from __future__ import annotations

import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from saferhood.core.gunicorn_conf import default_workers

GUNICORN_CONFIG = "python:saferhood.core.gunicorn_conf"
_PR_SET_PDEATHSIG = 1
STOP_WAIT_SECONDS = 60  # after this, a child that ignored the stop is killed


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if ``serve`` itself is killed (kill -9), so none is orphaned."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def web_command(bind: str, workers: int, threads: int | None) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        GUNICORN_CONFIG,
        "--bind",
        bind,
        "--workers",
        str(workers),
    ]
    if threads:
        argv += ["--threads", str(threads)]
    return argv


def worker_command() -> list[str]:
    return [sys.executable, "-m", "saferhood.cli", "worker"]


def child_environment() -> dict[str, str]:
    """The children's environment: DEBUG off unless asked for, so static files get hashed names.

    A production server never shows tracebacks; with DEBUG off the settings serve collectstatic's
    compressed, hashed files (SAFERHOOD_STATIC_MANIFEST follows DEBUG unless set).
    """
    env = dict(os.environ)
    env.setdefault("DEBUG", "0")
    return env


def serves_manifest(env: dict[str, str]) -> bool:
    return env.get("SAFERHOOD_STATIC_MANIFEST", "0" if env.get("DEBUG") == "1" else "1") == "1"


def check_static_ready(env: dict[str, str]) -> None:
    """With hashed static names, pages cannot be drawn before collectstatic wrote the manifest."""
    if not serves_manifest(env):
        return
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        raise CommandError(
            f"No static files manifest at {manifest}: run "
            "`SAFERHOOD_STATIC_MANIFEST=1 saferhood collectstatic --no-input` first (make run does)."
        )


class Command(BaseCommand):
    help = "Serve Saferhood through gunicorn, with the job worker beside it (Ctrl-C stops both)."
    requires_system_checks = []  # gunicorn's workers load the application and run Django itself

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("SAFERHOOD_BIND", "127.0.0.1:8000"),
            help="address:port to listen on (default 127.0.0.1:8000, or SAFERHOOD_BIND)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("SAFERHOOD_WEB_WORKERS", "0")) or default_workers(),
            help=f"gunicorn worker processes (default 2 × cores + 1, at most 9: {default_workers()} here)",
        )
        parser.add_argument("--threads", type=int, default=None, help="threads per worker (default 2)")
        parser.add_argument(
            "--before",
            action="append",
            default=[],
            metavar="COMMAND",
            help='a saferhood command to run first, in this process (repeatable; e.g. "migrate --no-input"): '
            "saves starting Python once per step",
        )
        parser.add_argument(
            "--ready-message",
            action="append",
            default=[],
            help="a line printed once the server answers (repeatable)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve pages only; run `saferhood worker` elsewhere (several servers, one queue)",
        )

    def handle(self, *args, **options) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        for step in options["before"]:
            name, *arguments = shlex.split(step)
            call_command(name, *arguments, stdout=self.stdout, stderr=self.stderr)
        connections.close_all()  # the children open their own
        env = child_environment()
        check_static_ready(env)
        children = {
            "web server (gunicorn)": web_command(options["bind"], options["workers"], options["threads"])
        }
        if not options["no_worker"]:
            children["job worker"] = worker_command()
        raise SystemExit(
            Supervisor(
                children, env, options["bind"], self.stdout, self.stderr, options["ready_message"]
            ).run()
        )


class Supervisor:
    """Start the children, forward stop signals to them, stop them all when one stops."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        env: dict[str, str],
        bind: str,
        stdout,
        stderr,
        ready_message: list[str] | None = None,
    ) -> None:
        self.commands = commands
        self.bind = bind
        self.ready_message = ready_message or []
        self.announced = False
        self.env = env
        self.stdout = stdout
        self.stderr = stderr
        self.processes: dict[str, subprocess.Popen] = {}
        self.signals: list[int] = []

    def _on_signal(self, signum: int, frame) -> None:
        self.signals.append(signum)

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        for name, argv in self.commands.items():
            # Their own session: a Ctrl-C reaches serve alone, which stops them in order.
            self.processes[name] = subprocess.Popen(
                argv, env=self.env, start_new_session=True, preexec_fn=_die_with_parent
            )
            self.stdout.write(f"Started the {name}: pid {self.processes[name].pid}")
        self.stdout.flush()
        while True:
            if not self.announced:
                self._announce_when_listening()
            if self.signals:
                return self._stop_all(first=self.signals[0])
            for name, process in self.processes.items():
                code = process.poll()
                if code is not None:
                    self.stderr.write(
                        f"saferhood serve: the {name} stopped by itself (exit code {code}); "
                        "stopping the rest. Its messages are above."
                    )
                    self._stop_all(first=signal.SIGTERM)
                    return 1
            time.sleep(0.2)

    def _announce_when_listening(self) -> None:
        host, _, port = self.bind.rpartition(":")
        if not port.isdigit():  # a unix socket: nothing to knock on
            self.announced = True
            return
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=0.2):
                pass
        except OSError:
            return
        self.announced = True
        self.stdout.write(f"Saferhood is serving at http://{self.bind}/ (Ctrl-C stops it).")
        for line in self.ready_message:
            self.stdout.write(line)
        self.stdout.flush()

    def _send(self, signum: int) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    process.send_signal(signum)
                except ProcessLookupError:
                    pass

    def _stop_all(self, first: int) -> int:
        """Forward the stop (SIGINT: gunicorn quits at once; SIGTERM: it finishes open requests)."""
        self.stdout.write(
            "Stopping the web server and the job worker (a running job finishes first; "
            "Ctrl-C again stops it now, its work rolled back)."
        )
        self.stdout.flush()
        self._send(first)
        forwarded = len(self.signals)
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while any(p.poll() is None for p in self.processes.values()):
            if len(self.signals) > forwarded:  # asked again: pass it on (the worker stops its job)
                self._send(self.signals[-1])
                forwarded = len(self.signals)
            if time.monotonic() > deadline:
                self._send(signal.SIGKILL)
            time.sleep(0.1)
        return 0
