"""The tasking pack as a PDF (WeasyPrint), and the issued pack's PDF kept on disk.

An issued pack is frozen, so its PDF is made once, by a background job queued when it is issued,
and every download after that is a file read. A live preview (not issued yet) is rendered on
request, as it changes with the data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from saferhood.tasking.models import Meeting
from saferhood.tasking.pack import build_pack


def render_pack_pdf(meeting: Meeting) -> bytes:
    """The pack as issued (or the live pack before issue) as PDF bytes."""
    from weasyprint import HTML  # here: WeasyPrint takes a second to import

    data = meeting.pack_snapshot or build_pack(meeting)
    html = render_to_string(
        "tasking/pack_print.html",
        {"meeting": meeting, "pack": data, "issued": meeting.pack_snapshot is not None},
    )
    return HTML(string=html).write_pdf()


def issued_pdf_path(meeting: Meeting) -> Path | None:
    """Where the issued pack's PDF is kept: one file per issue (a re-issue gets a new one)."""
    if meeting.pack_snapshot is None or meeting.pack_issued_on is None:
        return None
    stamp = meeting.pack_issued_on.strftime("%Y%m%dT%H%M%S%f")
    return Path(settings.SAFERHOOD_PACK_DIR) / f"meeting-{meeting.pk}-issued-{stamp}.pdf"


def write_issued_pdf(meeting: Meeting) -> tuple[Path, int]:
    """Render the issued pack and keep it (written whole, then renamed into place)."""
    path = issued_pdf_path(meeting)
    if path is None:
        raise ValueError(f"the pack of meeting {meeting.pk} is not issued")
    pdf = render_pack_pdf(meeting)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(pdf)
    os.chmod(tmp, 0o600)  # partner content: not for other accounts on the server
    os.replace(tmp, path)
    return path, len(pdf)
