"""Errors shared by the importers."""

from __future__ import annotations


class ExplainedError(Exception):
    """An expected failure whose message says all a user needs (what, where, the fix): a job page
    shows the message alone, never a traceback."""


class ImportFileError(ExplainedError):
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

    def __reduce__(self):
        # Files are read in a worker process, so the error has to cross back by pickle.
        return _rebuild, (self.path, self.detail, self.line, self.column, self.args)


def _rebuild(path: str, detail: str, line: int | None, column: str | None, args: tuple) -> ImportFileError:
    error = ImportFileError(path, detail, line=line, column=column)
    error.args = args
    return error
