"""Background job kinds for loading data: an uploaded police.uk or count file set, imported whole.

Registered with the job machinery (``saferhood.jobs``) when this module is imported. Both imports
are atomic per upload folder, so a job stopped part-way (even by kill -9) stores nothing and can
simply run again (``retry_safe``).
"""

from __future__ import annotations

from pathlib import Path

from saferhood.core.errors import ImportFileError
from saferhood.jobs.context import JobContext
from saferhood.jobs.registry import job_kind


def _as_uploaded(exc: ImportFileError, folder: Path) -> ImportFileError:
    """Name files as the analyst uploaded them, not by the server folder they were kept in."""
    prefix = f"{folder}/"
    exc.args = tuple(str(a).replace(prefix, "") for a in exc.args)
    exc.path = exc.path.replace(prefix, "")
    return exc


@job_kind("police_import", title="Import police.uk files", retry_safe=True)
def police_import(ctx: JobContext, *, folder: str, replace_with_fewer: bool = False) -> str:
    from saferhood.crime.importers import import_police
    from saferhood.crime.uploads import discard

    path = Path(folder)
    try:
        summary = import_police(
            [path], progress=False, replace_with_fewer=replace_with_fewer, on_progress=ctx.progress
        )
    except ImportFileError as exc:
        raise _as_uploaded(exc, path) from None
    discard(path)
    return summary.render().replace(f"{path}/", "")


@job_kind("counts_import", title="Import counts", retry_safe=True)
def counts_import(ctx: JobContext, *, folder: str, source: str, replace_with_fewer: bool = False) -> str:
    from saferhood.crime.importers.counts import import_counts
    from saferhood.crime.uploads import discard

    path = Path(folder)
    try:
        summary = import_counts(
            [path],
            source=source,
            progress=False,
            replace_with_fewer=replace_with_fewer,
            on_progress=ctx.progress,
        )
    except ImportFileError as exc:
        raise _as_uploaded(exc, path) from None
    discard(path)
    return summary.render().replace(f"{path}/", "")


@job_kind("police_refresh", title="Fetch the latest police.uk data", retry_safe=True)
def police_refresh(ctx: JobContext) -> str:
    """The monthly refresh (scheduled, or started from the Upload data page): every month police.uk
    has that is not loaded, or was revised since, fetched by polygon and imported month by month."""
    from saferhood.crime.policeuk.refresh import RefreshError, refresh_police

    try:
        return refresh_police(on_progress=ctx.progress).render()
    except RefreshError as exc:
        done = exc.summary.render()
        raise RefreshError(f"{exc}\n\nBefore it stopped:\n{done}", exc.summary) from None
