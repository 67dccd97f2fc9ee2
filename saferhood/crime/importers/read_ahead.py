"""Reading the next police.uk file in a worker process while the caller stores this one.

Parsing and checking a file needs no database, and storing one is mostly SQLite's own work, so
on two cores they can overlap. A thread barely overlaps them (both need the GIL most of the
time); a forked process does, and costs only the pickling of its results back (see
benchmarks/results/import.json). Forked, not spawned, so the worker starts in milliseconds with
everything imported; it never touches the database connections it inherits, and never collects
garbage, which could finalise them. Elsewhere than Linux a thread does the reading.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class ReadAhead(Generic[T, R]):
    """``(item, read(item))`` in order, each read done ahead of the caller's turn::

        with ReadAhead(sources, read_csv) as reads:  # the first reads start here
            index = AreaIndex.load()  # ... so this overlaps them
            for source, parsed in reads:
                store(parsed)

    ``read`` must be a module-level function with no database access, its items and results
    picklable. An error from ``read`` surfaces when its item's turn comes, so every item before
    it has been handled by then; reads already started for later items are waited for and dropped.
    """

    def __init__(self, items: Sequence[T], read: Callable[[T], R]) -> None:
        self._items = list(items)
        self._read = read
        self._pool: Executor | None = None
        self._pending: deque[tuple[T, Future[R]]] = deque()
        self._submitted = 0

    def _submit_next(self) -> None:
        if self._pool is not None and self._submitted < len(self._items):
            item = self._items[self._submitted]
            self._pending.append((item, self._pool.submit(self._read, item)))
            self._submitted += 1

    def __enter__(self) -> ReadAhead[T, R]:
        if len(self._items) > 1:  # one file has nothing to overlap with
            self._pool = _reader_pool()
            self._submit_next()
            self._submit_next()
        return self

    def __iter__(self) -> Iterator[tuple[T, R]]:
        if self._pool is None:
            for item in self._items:
                yield item, self._read(item)
            return
        while self._pending:
            item, future = self._pending.popleft()
            result = future.result()
            self._submit_next()
            yield item, result

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _reader_pool() -> Executor:
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        fork = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(max_workers=1, mp_context=fork, initializer=gc.disable)
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="saferhood-read")
