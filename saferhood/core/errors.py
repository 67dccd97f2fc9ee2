"""Errors shared by the importers."""

from __future__ import annotations


class ImportFileError(Exception):
    """A file that cannot be imported, with where and why.

    The message names the file, the 1-based line and the column, what was expected and what
    was found, so an analyst can open the file and fix it.
    """

    def __init__(
        self, path: str, message: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.detail = message
        where = self.path
        if line is not None:
            where += f":{line}"
        if column:
            where += f": column '{column}'"
        super().__init__(f"{where}: {message}. Nothing from this file was stored.")
