#!/usr/bin/env python
"""Django's manage.py; ``saferhood`` is the same command, installed on PATH."""

from saferhood.cli import main

if __name__ == "__main__":
    main()
