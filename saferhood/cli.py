"""The ``saferhood`` command: Django's management commands with Saferhood's settings.

The settings read the environment and the local settings file ``.env`` (``saferhood/env_file.py``),
so after ``make run`` a plain ``.venv/bin/saferhood …`` needs nothing set.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferhood.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["saferhood", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
