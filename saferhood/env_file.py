"""The local settings file (``.env``): read before the settings, written once by ``make run``.

Settings come from the environment; a ``.env`` file (python-dotenv's format, ``NAME=value`` lines)
fills in what the environment leaves unset, so environment variables always win. The file read
is ``.env`` in the repository root, or the one ``SAFERHOOD_ENV_FILE`` names; ``SAFERHOOD_ENV_FILE=``
(empty) or ``none`` reads no file (production set entirely by its environment, and the tests that
start production processes).

``python -m saferhood.env_file [PATH]`` writes a dev file (the dev profile, a new random
``SECRET_KEY``, the SQLite database under ``var/``) unless one exists: it never overwrites.
"""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

ENV_FILE_VARIABLE = "SAFERHOOD_ENV_FILE"
_NO_FILE = {"", "none"}
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def chosen_path(base_dir: Path = REPOSITORY_ROOT) -> Path | None:
    """The settings file to read: ``SAFERHOOD_ENV_FILE`` if set (empty or ``none``: none), else ``.env``."""
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    if chosen is None:
        return base_dir / ".env"
    if chosen.strip().lower() in _NO_FILE:
        return None
    return Path(chosen)


def load(base_dir: Path = REPOSITORY_ROOT) -> Path | None:
    """Put the file's settings into ``os.environ`` where the environment has none; the file read, if any.

    The default ``.env`` is optional (production needs none); a file named by ``SAFERHOOD_ENV_FILE``
    must exist, so a typo in its path is not silently a different configuration.
    """
    path = chosen_path(base_dir)
    if path is None:
        return None
    if not path.is_file():
        if ENV_FILE_VARIABLE in os.environ:
            raise ImproperlyConfigured(
                f"{ENV_FILE_VARIABLE}={path}: no such file. Point it at your settings file, "
                f"or set {ENV_FILE_VARIABLE}= (empty) to read none."
            )
        return None
    # Not interpolated: a secret may contain "$" and must be read as written.
    load_dotenv(path, override=False, interpolate=False)
    return path


def dev_settings(database: Path) -> str:
    """The text of a new dev settings file: the dev profile, a fresh secret key, the SQLite file."""
    return (
        "# Saferhood's local settings, written once by `make run` (`make .env`); never committed.\n"
        "# Environment variables win over this file. Production: see docs/deploy.md.\n"
        "SAFERHOOD_PROFILE=dev\n"
        f"SECRET_KEY={secrets.token_urlsafe(64)}\n"
        f"DATABASE_URL=sqlite:///{database.resolve()}\n"
        "# The dev profile keys the audit trail with its fixed, public dev key (a database made before\n"
        "# this file keeps verifying). For real data use the production profile and its own key.\n"
    )


def write_dev_file(path: Path, database: Path) -> bool:
    """Write a dev settings file at ``path`` unless one exists (never overwritten); True if written."""
    try:
        # Exclusive create, readable by its owner only: it holds a secret key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(dev_settings(database))
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write Saferhood's dev settings file unless it exists.")
    parser.add_argument("path", nargs="?", type=Path, default=REPOSITORY_ROOT / ".env")
    parser.add_argument(
        "--database",
        type=Path,
        default=REPOSITORY_ROOT / "var" / "saferhood.sqlite3",
        help="the SQLite file (default: var/saferhood.sqlite3)",
    )
    args = parser.parse_args(argv)
    if write_dev_file(args.path, args.database):
        print(f"Wrote {args.path}: the dev profile, a new SECRET_KEY, the database {args.database}.")
    else:
        print(f"Kept the existing {args.path} (it is never overwritten; delete it to start again).")


if __name__ == "__main__":
    main()
