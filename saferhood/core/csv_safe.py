"""CSV writing that a spreadsheet cannot run: every CSV export goes through ``writer``.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel and LibreOffice (``=HYPERLINK("http://x","y")`` as a username becomes a link). Such a
cell is written with a leading apostrophe, the OWASP advice, which spreadsheets show as text.
Numbers (``-3``, ``+1.5e3`` as well as ints and floats) are left alone so columns stay numeric.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never run it."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell passed through ``neutralise``."""

    def __init__(self, handle: Any, *args: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, *args, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, *args: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(handle, *args, **kwargs)
