"""Job kinds owned by jobs itself: retention (the work lives in accounts.privacy)."""

from __future__ import annotations

from saferhood.accounts.privacy import apply_retention
from saferhood.jobs.context import JobContext
from saferhood.jobs.registry import job_kind


@job_kind("retention", title="Apply retention (archive, then erase, old personal data)", retry_safe=True)
def retention(ctx: JobContext, *, dry_run: bool = False, only: str | None = None) -> str:
    """The daily retention run: the same as ``saferhood apply_retention``, audited the same way.
    Retry-safe: each record type is archived and erased in one transaction."""
    results = apply_retention(dry_run=dry_run, only=only)
    lines = []
    for done, r in enumerate(results, start=1):
        verb = "would erase" if dry_run else "erased"
        where = f"; archived to {r.archive}" if r.archive else ""
        lines.append(f"{r.label}: {r.count} older than {r.days} days (before {r.cutoff}) {verb}{where}")
        ctx.progress(done, len(results), r.label)
    return "\n".join(lines) or "No record type has a retention age configured."
