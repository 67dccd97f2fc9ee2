"""Django settings for Saferhood.

Settings read the environment, filled in from the local settings file ``.env`` where it
leaves a setting unset (``saferhood/env_file.py``; ``SAFERHOOD_ENV_FILE`` names another file or
none). The profile is chosen by ``SAFERHOOD_PROFILE``: ``dev`` (what the ``.env`` that ``make run``
writes, and the tests, set) or ``production`` (the default), which refuses to start without
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``SAFERHOOD_AUDIT_KEY``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from saferhood import env_file

BASE_DIR = Path(__file__).resolve().parent.parent
# Before any setting is read: the file fills in only what the environment leaves unset.
SAFERHOOD_SETTINGS_FILE = env_file.load(BASE_DIR)  # the file read, or None
PROFILE = os.environ.get("SAFERHOOD_PROFILE", "production")
DEV = PROFILE == "dev"


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production (SAFERHOOD_PROFILE={PROFILE}): set it in the environment or "
            "in .env. On a development machine, `make env-file` writes a .env with the dev profile."
        )
    return value


# Keys anyone can read (this repository, Django's startproject template): never a production key.
KNOWN_SECRET_KEYS = frozenset({"dev-only-not-secret"})
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5  # the same bar as Django's security.W009


def _checked_secret_key(key: str) -> str:
    """The production key, refused with the fix named if it is known, short or repetitive."""
    fix = 'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(64))"'
    if key in KNOWN_SECRET_KEYS or key.startswith("django-insecure"):
        raise ImproperlyConfigured(f"SECRET_KEY is a published, insecure key: set a new random one. {fix}")
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: it needs at least {MIN_SECRET_KEY_LENGTH} characters and "
            f"{MIN_SECRET_KEY_CHARACTERS} different ones. {fix}"
        )
    return key


if DEV:
    # A fixed key is acceptable only for the local dev profile; production has no default.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    DEBUG = os.environ.get("DEBUG", "1") == "1"
    ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'saferhood.sqlite3'}")
else:
    SECRET_KEY = _checked_secret_key(_required("SECRET_KEY"))
    DEBUG = False
    ALLOWED_HOSTS = _required("ALLOWED_HOSTS").split(",")
    DATABASE_URL = _required("DATABASE_URL")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "saferhood.core",
    "saferhood.accounts",
    "saferhood.areas",
    "saferhood.ui",
    "saferhood.jobs",
    "saferhood.crime",
    "saferhood.evidence",
    "saferhood.dashboard",
    "saferhood.cctv",
    "saferhood.tasking",
]

MIDDLEWARE = [
    # One JSON line per request on stdout, first so redirects and static files are timed too.
    "saferhood.core.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files answered here, before sessions or the database are touched (compressed, cached).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Signs out a session left idle, before any view sees it.
    "saferhood.core.security.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session without its second factor is signed out; a temporary password or a system admin
    # without two-factor sign-in is sent to fix that first.
    "saferhood.accounts.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "saferhood.core.security.SecurityHeadersMiddleware",
    "saferhood.core.cache_control.NoStoreMiddleware",
]

ROOT_URLCONF = "saferhood.urls"
WSGI_APPLICATION = "saferhood.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "saferhood" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "saferhood.accounts.context_processors.access",
                "saferhood.jobs.views.nav",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the server read while an import writes; a generous timeout rides out the write lock
    # (several gunicorn workers and the job worker queue behind one writer). IMMEDIATE: a transaction
    # takes the write lock when it begins, so it waits for it (the timeout) instead of failing
    # with "database is locked" when it reads first and upgrades to writing while another writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": int(os.environ.get("SAFERHOOD_SQLITE_TIMEOUT", "60")),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Background jobs (docs/adr/0007-background-jobs.md): queued in the database, run by `saferhood worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Live progress and worker heartbeats (files: readable while an import holds SQLite's write lock).
SAFERHOOD_JOBS_DIR = Path(os.environ.get("SAFERHOOD_JOBS_DIR", BASE_DIR / "var" / "jobs"))
# Kinds the workers queue by themselves: hourly, daily, weekly or monthly (unknown kinds are skipped).
# The dev profile leaves out the monthly police.uk refresh: a laptop's `make run` should not reach
# data.police.uk uninvited (set SAFERHOOD_SCHEDULE in .env to have it; "Fetch now" works anyway).
SAFERHOOD_SCHEDULE = json.loads(
    os.environ.get(
        "SAFERHOOD_SCHEDULE",
        '{"retention": "daily"}' if DEV else '{"retention": "daily", "police_refresh": "monthly"}',
    )
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The lock-out backend refuses any account (or address) that failed too often, whichever sign-in
# form asked (Saferhood's or the admin's); the ModelBackend does the rest.
AUTHENTICATION_BACKENDS = ["saferhood.accounts.backends.LockoutModelBackend"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SAFERHOOD_STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "saferhood" / "static"]
# WhiteNoise serves static files from the server process. With the manifest (production, and
# `make run`, which runs collectstatic first) every file is served under a name carrying its
# hash, gzip- and Brotli-compressed, with a year's Cache-Control; the manifest needs
# collectstatic, so the dev profile and the tests serve the source files instead.
SAFERHOOD_STATIC_MANIFEST = os.environ.get("SAFERHOOD_STATIC_MANIFEST", "0" if DEBUG else "1") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if SAFERHOOD_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if SAFERHOOD_STATIC_MANIFEST:
    WHITENOISE_USE_FINDERS = False  # serve what collectstatic wrote, found once at start-up
    WHITENOISE_AUTOREFRESH = False
else:
    # Served from the sources (finders): no collected folder is expected.
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# The cache holds the API rate-limit buckets, so every server process must share it (one limit
# per client, not one per gunicorn worker). SAFERHOOD_CACHE chooses: "database" (a table in the
# database, `saferhood createcachetable`: shared by every server on one PostgreSQL), "file" (files
# under SAFERHOOD_CACHE_DIR: shared by the processes of one server, and never waits for the SQLite
# write lock an import holds) or "memory" (one per process: a single process only). The default
# follows the database: file with SQLite (one server by nature), database with PostgreSQL. The
# files sit beside the SQLite file they serve (var/saferhood-cache), so another database (a test's,
# a second checkout's) never shares a running server's rate limits.
_IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
_SQLITE_NAME = str(DATABASES["default"]["NAME"] or "") if _IS_SQLITE else ""
_SQLITE_FILE = Path(_SQLITE_NAME) if _SQLITE_NAME and ":memory:" not in _SQLITE_NAME else None
SAFERHOOD_CACHE = os.environ.get("SAFERHOOD_CACHE", "file" if _IS_SQLITE else "database")
SAFERHOOD_CACHE_DIR = Path(
    os.environ.get(
        "SAFERHOOD_CACHE_DIR",
        _SQLITE_FILE.with_name(f"{_SQLITE_FILE.stem}-cache") if _SQLITE_FILE else BASE_DIR / "var" / "cache",
    )
)
_CACHE_BACKENDS = {
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "saferhood_cache"},
    "file": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(SAFERHOOD_CACHE_DIR),
    },
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if SAFERHOOD_CACHE not in _CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"SAFERHOOD_CACHE={SAFERHOOD_CACHE!r}: use one of {', '.join(_CACHE_BACKENDS)}."
    )
# A bucket per client: room for many clients before a third are culled (a culled bucket starts
# full again). The file cache lists its folder on every write, so it keeps fewer.
CACHES = {
    "default": {
        **_CACHE_BACKENDS[SAFERHOOD_CACHE],
        "OPTIONS": {"MAX_ENTRIES": 5000 if SAFERHOOD_CACHE == "file" else 20000},
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60  # the longest a session lasts, however active
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
# System admins reach every record: with this on (production's default) they must turn on
# two-factor sign-in before anything else (accounts.middleware). Off by default in dev.
SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR = (
    os.environ.get("SAFERHOOD_SYSTEM_ADMIN_TWO_FACTOR", "0" if DEV else "1") == "1"
)
# A session unused for this long is signed out (IdleSessionMiddleware); SESSION_COOKIE_AGE
# after sign-in it is signed out however busy (the sign-in time is kept in the session).
SAFERHOOD_SESSION_IDLE_SECONDS = int(os.environ.get("SAFERHOOD_SESSION_IDLE_SECONDS", str(30 * 60)))
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (SecurityHeadersMiddleware): every page loads only Saferhood's own files;
# no inline script or style. Images may be data:/blob: URIs (the TOTP QR code, chart downloads).
SAFERHOOD_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
SAFERHOOD_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
if not DEV:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Saferhood -------------------------------------------------------------------------------
# The local authorities this partnership covers; records elsewhere are stored (their own
# profiles work) but counted as "outside the partnership" in import summaries.
SAFERHOOD_PARTNERSHIP_NAME = os.environ.get("SAFERHOOD_PARTNERSHIP_NAME", "Safer Sandwell Partnership")
SAFERHOOD_PARTNERSHIP_LADS = os.environ.get("SAFERHOOD_PARTNERSHIP_LADS", "E08000028").split(",")
SAFERHOOD_DEMO_DIR = Path(os.environ.get("SAFERHOOD_DEMO_DIR", BASE_DIR / "demo"))
# A re-import that would replace a force-month (or count source-month, or API area-month) with
# fewer than this share of the rows it holds is refused unless confirmed (--replace-with-fewer).
SAFERHOOD_IMPORT_MIN_REPLACEMENT_SHARE = float(
    os.environ.get("SAFERHOOD_IMPORT_MIN_REPLACEMENT_SHARE", "0.5")
)
# The monthly police.uk refresh (`saferhood fetch police`, saferhood/crime/policeuk/): the API's
# address, its published rate limit (15 requests/s, burst 30), retries (attempts per request, the
# first back-off in seconds, doubling; the longest wait accepted, e.g. a 429's Retry-After), how
# far back a newer publication makes us fetch a month again (forces revise recent months), how
# small a polygon that answers 503 may be cut, and where answers are kept so a fetch resumes.
SAFERHOOD_POLICE_UK_URL = os.environ.get("SAFERHOOD_POLICE_UK_URL", "https://data.police.uk/api")
SAFERHOOD_POLICE_UK_RATE = float(os.environ.get("SAFERHOOD_POLICE_UK_RATE", "15"))
SAFERHOOD_POLICE_UK_BURST = int(os.environ.get("SAFERHOOD_POLICE_UK_BURST", "30"))
SAFERHOOD_POLICE_UK_ATTEMPTS = int(os.environ.get("SAFERHOOD_POLICE_UK_ATTEMPTS", "5"))
SAFERHOOD_POLICE_UK_BACKOFF = float(os.environ.get("SAFERHOOD_POLICE_UK_BACKOFF", "2"))
SAFERHOOD_POLICE_UK_MAX_WAIT = float(os.environ.get("SAFERHOOD_POLICE_UK_MAX_WAIT", "300"))
SAFERHOOD_POLICE_UK_TIMEOUT = float(os.environ.get("SAFERHOOD_POLICE_UK_TIMEOUT", "120"))
SAFERHOOD_POLICE_UK_REVISE_MONTHS = int(os.environ.get("SAFERHOOD_POLICE_UK_REVISE_MONTHS", "12"))
SAFERHOOD_POLICE_UK_MAX_SPLITS = int(os.environ.get("SAFERHOOD_POLICE_UK_MAX_SPLITS", "8"))
SAFERHOOD_POLICE_UK_MIN_SPLIT_METRES = float(os.environ.get("SAFERHOOD_POLICE_UK_MIN_SPLIT_METRES", "100"))
SAFERHOOD_FETCH_DIR = Path(os.environ.get("SAFERHOOD_FETCH_DIR", BASE_DIR / "var" / "fetch"))
# Which count source answers a local authority-month that several cover (evidence/coverage.py):
# the first of these names that has the month; a source not listed ranks after the listed ones,
# and among those the latest import wins. Records (police.uk street/API) always beat counts.
SAFERHOOD_COUNT_SOURCE_ORDER = [
    s.strip() for s in os.environ.get("SAFERHOOD_COUNT_SOURCE_ORDER", "").split(",") if s.strip()
]

# Sign-in throttling (accounts/lockout.py): after this many failures at one username from one
# address, that address waits BASE seconds before trying it again, doubling per failure up to
# LOCKOUT_SECONDS; an address with this many failures across usernames (a password spray) waits
# the same way. One failure is forgiven every FORGIVE seconds.
SAFERHOOD_LOCKOUT_FAILURES = int(os.environ.get("SAFERHOOD_LOCKOUT_FAILURES", "5"))
SAFERHOOD_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("SAFERHOOD_LOCKOUT_ADDRESS_FAILURES", "50"))
SAFERHOOD_LOCKOUT_BASE_SECONDS = int(os.environ.get("SAFERHOOD_LOCKOUT_BASE_SECONDS", "60"))
SAFERHOOD_LOCKOUT_SECONDS = int(os.environ.get("SAFERHOOD_LOCKOUT_SECONDS", str(15 * 60)))
SAFERHOOD_LOCKOUT_FORGIVE_SECONDS = int(os.environ.get("SAFERHOOD_LOCKOUT_FORGIVE_SECONDS", str(10 * 60)))
# The issuer shown in authenticator apps for the optional TOTP second factor.
OTP_TOTP_ISSUER = "Saferhood"
# The admin keeps the device list (a system admin deletes a lost phone's device) but never shows
# a device's secret or QR code: whoever saw it could make the codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Behind a reverse proxy: the proxies' addresses (or networks, comma-separated). X-Forwarded-For
# is read only on connections from these, from the right, skipping each listed proxy; with none
# listed the connection's own address is the client's.
SAFERHOOD_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("SAFERHOOD_TRUSTED_PROXIES", "").split(",") if p.strip()
]

# Retention (manage.py apply_retention): record type -> age in days after which records are
# archived to a JSON file and erased. No type may be set under its hard minimum (the
# command refuses); the audit trail is never erased by it.
SAFERHOOD_RETENTION_DAYS = {
    "accounts.confidentialnote": int(os.environ.get("SAFERHOOD_RETENTION_NOTES_DAYS", str(6 * 365))),
    "tasking.closedcase": int(os.environ.get("SAFERHOOD_RETENTION_CLOSED_CASES_DAYS", str(6 * 365))),
}
SAFERHOOD_RETENTION_MINIMUM_DAYS = {
    "accounts.confidentialnote": 365,
    "tasking.closedcase": 365,
}
SAFERHOOD_ARCHIVE_DIR = Path(os.environ.get("SAFERHOOD_ARCHIVE_DIR", BASE_DIR / "var" / "archive"))

# --- Audit trail key (issue 13) ---------------------------------------------------------------
# The audit chain is an HMAC keyed with SAFERHOOD_AUDIT_KEY, which lives in the environment, never
# in the database: whoever can write the database still cannot re-forge the chain. It also keys
# the digests that stand in for personal values and signs the checkpoints. Production refuses
# to start without one of at least 32 characters that is not SECRET_KEY; only dev has a fixed key.
_DEV_AUDIT_KEY = "dev-only-audit-key-not-secret-0000000000"
if DEV:
    SAFERHOOD_AUDIT_KEY = os.environ.get("SAFERHOOD_AUDIT_KEY") or _DEV_AUDIT_KEY
else:
    SAFERHOOD_AUDIT_KEY = _required("SAFERHOOD_AUDIT_KEY")
    if len(SAFERHOOD_AUDIT_KEY) < 32 or SAFERHOOD_AUDIT_KEY in (SECRET_KEY, _DEV_AUDIT_KEY):
        raise ImproperlyConfigured(
            "SAFERHOOD_AUDIT_KEY must be at least 32 random characters, not SECRET_KEY and not the dev key "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
# Signed checkpoints of the chain's head (`saferhood audit_checkpoint`, on a schedule).
SAFERHOOD_AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("SAFERHOOD_AUDIT_CHECKPOINT_DIR", BASE_DIR / "var" / "audit-checkpoints")
)

# Issued tasking packs' PDFs, made once by a background job (saferhood/tasking/pack_pdf.py).
SAFERHOOD_PACK_DIR = Path(os.environ.get("SAFERHOOD_PACK_DIR", BASE_DIR / "var" / "packs"))

# --- Data uploads (saferhood/crime/uploads.py) -----------------------------------------------------
# Uploaded files stream to disk (never memory) in the temp folder, then move to a folder of their
# own under SAFERHOOD_UPLOAD_DIR, on the same disk so the move is a rename, until imported.
SAFERHOOD_UPLOAD_DIR = Path(os.environ.get("SAFERHOOD_UPLOAD_DIR", BASE_DIR / "var" / "uploads"))
SAFERHOOD_UPLOAD_MAX_BYTES = int(os.environ.get("SAFERHOOD_UPLOAD_MAX_BYTES", 2 * 1024**3))
FILE_UPLOAD_TEMP_DIR = str(SAFERHOOD_UPLOAD_DIR / ".incoming")
try:  # Django's checks refuse to start without it; an unwritable place is then reported by them
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
except OSError:
    pass

# --- API rate limits and analysis budget (docs/adr/0004-public-area-data.md) ---------------------
# Per client: anonymous by address (honouring SAFERHOOD_TRUSTED_PROXIES), signed in by user.
# Rates are "requests/period" (s, min, hour, day); "api" covers every API route, "analysis" the
# grid and alert analyses on top. Buckets live in Django's cache: with several server processes
# point CACHES at a shared backend (database or Redis) so they share one limit.
SAFERHOOD_API_RATES = {
    "api": (
        os.environ.get("SAFERHOOD_API_RATE_ANON", "120/min"),
        os.environ.get("SAFERHOOD_API_RATE_USER", "600/min"),
    ),
    "analysis": (
        os.environ.get("SAFERHOOD_ANALYSIS_RATE_ANON", "20/min"),
        os.environ.get("SAFERHOOD_ANALYSIS_RATE_USER", "120/min"),
    ),
}
# The most one analysis may cost, checked before any record is read or grid built (API and pages
# alike); keys as saferhood.analytics.budget.Limits. Measured on 2 cores: the worst request allowed
# takes a few seconds and a few hundred MB.
SAFERHOOD_ANALYSIS_BUDGET = {
    "cells": int(os.environ.get("SAFERHOOD_BUDGET_CELLS", "50000")),
    "points": int(os.environ.get("SAFERHOOD_BUDGET_POINTS", "250000")),
    "convolution_cells": int(os.environ.get("SAFERHOOD_BUDGET_CONVOLUTION_CELLS", "4000000")),
    "kde_ring": int(os.environ.get("SAFERHOOD_BUDGET_KDE_RING", "50000000")),
    "cell_periods": int(os.environ.get("SAFERHOOD_BUDGET_CELL_PERIODS", "1000000")),
    "tests": int(os.environ.get("SAFERHOOD_BUDGET_TESTS", "30000")),
}

# Warnings and errors to stderr; one JSON line per request to stdout (core/request_log.py), which
# SAFERHOOD_REQUEST_LOG=0 turns off. Under systemd both go to the journal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "requests": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "saferhood.request": {
            "handlers": ["requests"],
            "level": "INFO" if os.environ.get("SAFERHOOD_REQUEST_LOG", "1") == "1" else "WARNING",
            "propagate": False,
        },
        # Django logs each 4xx/5xx again (django.request): the request line already has it;
        # server errors keep their traceback on stderr.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
