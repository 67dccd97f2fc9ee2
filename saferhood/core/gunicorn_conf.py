"""gunicorn's settings for Saferhood: ``gunicorn -c python:saferhood.core.gunicorn_conf saferhood.wsgi``.

``saferhood serve`` and the systemd unit (deploy/saferhood-web.service) both read this module, so the
server behaves the same however it is started. Each value can be set in the environment
(``SAFERHOOD_WEB_*``); options given on gunicorn's command line win over this file.

Imports nothing of Django at the top: gunicorn reads it before loading the application.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_WORKERS = 9  # each process holds Django, and an analysis may hold a few hundred MB on top


def default_workers(cores: int | None = None) -> int:
    """2 × cores + 1 (gunicorn's rule of thumb), capped by memory rather than by processor."""
    cores = cores or os.cpu_count() or 1
    return max(2, min(2 * cores + 1, MAX_WORKERS))


wsgi_app = "saferhood.wsgi:application"
bind = [os.environ.get("SAFERHOOD_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("SAFERHOOD_WEB_WORKERS", "0")) or default_workers()
# Threads let a worker answer a page while another thread waits on the database or draws a PDF.
threads = int(os.environ.get("SAFERHOOD_WEB_THREADS", "2"))
worker_class = "gthread"
# A tasking pack's PDF takes seconds on the demo data; a large partnership's, longer. The worker is
# killed only past this, so a slow page is slow rather than a 502.
timeout = int(os.environ.get("SAFERHOOD_WEB_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("SAFERHOOD_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Load Django once in the master and fork the workers: the server answers sooner after start.
preload_app = True
# A worker that has grown (pandas, a big analysis) is replaced now and then, not left to swell.
max_requests = 1000
max_requests_jitter = 100
# The heartbeat file on a memory file system, so a busy disk cannot stall workers (gunicorn's advice).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"
# Saferhood logs one JSON line per request itself (saferhood/core/request_log.py): no access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SAFERHOOD_WEB_LOGLEVEL", "info")
# X-Forwarded-Proto (https behind a TLS proxy) is believed only from the proxies Saferhood trusts.
forwarded_allow_ips = os.environ.get("SAFERHOOD_TRUSTED_PROXIES") or "127.0.0.1,::1"
proc_name = "saferhood-web"
# No control socket: its default path is per user, so two servers of one user would collide.
control_socket_disable = True


def on_starting(server) -> None:
    """Before the workers fork: load the URLconf (and the views it names) once, in the master.

    Django loads it on the first request otherwise, so each new worker's first answer would take
    half a second longer, and each worker would hold its own copy.
    """
    if server.cfg.preload_app:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - loading it is the point
