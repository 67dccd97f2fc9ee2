"""Background job kinds for tasking: the issued pack's PDF."""

from __future__ import annotations

from saferhood.jobs.context import JobContext
from saferhood.jobs.registry import job_kind


@job_kind("tasking_pack_pdf", title="Prepare the issued tasking pack PDF", retry_safe=True)
def tasking_pack_pdf(ctx: JobContext, *, meeting: int) -> str:
    from saferhood.tasking.models import Meeting
    from saferhood.tasking.pack_pdf import write_issued_pdf

    found = Meeting.objects.select_related("area").get(pk=meeting)
    ctx.progress(0, 1, f"Rendering the pack for {found}")
    path, size = write_issued_pdf(found)
    ctx.progress(1, 1, "Done")
    return f"Pack PDF for {found}: {size / 1024:,.0f} KB, ready to download from the pack page ({path.name})."
