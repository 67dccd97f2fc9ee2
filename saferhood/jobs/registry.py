"""Job kinds: the work a Job runs, registered by the app that owns it.

    @job_kind("police_import", title="Import police.uk files", retry_safe=True)
    def police_import(ctx: JobContext, **params) -> str: ...  # returns the summary shown on the job page

A kind lives in its app's ``tasks`` module (imported at start-up by JobsConfig.ready), so jobs
never imports the apps above it. ``retry_safe``: running it again after a crash is harmless (the
work is one transaction, or idempotent), so a job cut short by a dead worker is retried once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saferhood.jobs.context import JobContext

JobFunction = Callable[..., str]


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    retry_safe: bool
    function: JobFunction


_KINDS: dict[str, JobKind] = {}


class UnknownJobKind(LookupError):
    pass


def job_kind(name: str, *, title: str, retry_safe: bool = False) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn(ctx, **params) -> summary`` as the kind ``name``."""

    def register(fn: JobFunction) -> JobFunction:
        existing = _KINDS.get(name)
        if existing is not None and existing.function.__qualname__ != fn.__qualname__:
            raise ValueError(f"job kind {name!r} is already registered by {existing.function.__module__}")
        _KINDS[name] = JobKind(name=name, title=title, retry_safe=retry_safe, function=fn)
        return fn

    return register


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownJobKind(f"no job kind {name!r} is registered") from None


def registered_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def call_kind(kind: JobKind, ctx: JobContext, params: dict[str, Any]) -> str:
    return str(kind.function(ctx, **params) or "")
