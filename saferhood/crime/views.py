"""The data upload page: an analyst uploads police.uk files or count files; a background job imports them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from saferhood.accounts.guards import role_page
from saferhood.accounts.roles import may_import
from saferhood.core import audit
from saferhood.core.forms import error_summary
from saferhood.core.models import AuditAction
from saferhood.crime import uploads
from saferhood.crime.models import MonthlyCount

# As the counts importer checks it (importing that module here would load pandas at start-up).
SOURCE_MAX_LENGTH = MonthlyCount._meta.get_field("source").max_length

REFUSAL = "Only analysts and system admins can load data. Ask your agency admin if you need to."


class UploadForm(forms.Form):
    what = forms.ChoiceField(
        label="What are you uploading?",
        choices=[
            ("police", "police.uk files: monthly CSVs, the archive .zip, or API .json"),
            ("counts", "Counts from a partner: crimes per area, month and type (.csv)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you are uploading"},
    )
    source = forms.CharField(
        label="Name of the data set",
        required=False,
        max_length=SOURCE_MAX_LENGTH,
        help_text="For counts only, for example ‘force extract 2025’. Uploading under the same name replaces its months.",
    )
    replace_with_fewer = forms.BooleanField(
        label="Let a smaller revision replace a month",
        required=False,
        help_text="Only when police.uk or the partner has republished a month with far fewer records.",
    )

    def __init__(self, *args: Any, files_given: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files_given = files_given or []

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        what = data.get("what")
        if what == "counts" and not (data.get("source") or "").strip():
            self.add_error("source", "Enter the name of the data set the counts come from")
        if not self.files_given:
            self.add_error(None, "Select at least one file to upload")
        elif len(self.files_given) > uploads.MAX_FILES:
            self.add_error(None, f"Upload at most {uploads.MAX_FILES} files at once, or put them in one .zip")
        elif what:
            check = uploads.check_counts_name if what == "counts" else uploads.check_police_name
            for f in self.files_given:
                problem = check(f.name)
                if problem:
                    self.add_error(None, problem)
        return data


# Signed in, then a role that may import (else the styled 403, audited) — before any body is read.
import_required = role_page(may_import, what="data upload", wanted="import", refusal=REFUSAL)


@csrf_exempt  # the CSRF check reads the body: it runs in _receive, after the upload handlers are set
@import_required
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, UploadForm())
    limit = uploads.max_upload_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + 1024**2:  # refuse before a byte is read (1 MB for the form's other fields)
        return _too_large(request, limit)
    guard = uploads.stream_to_disk(request)
    return _receive(request, guard)


@csrf_protect
def _receive(request: HttpRequest, guard: uploads.SizeGuard) -> HttpResponse:
    files = request.FILES.getlist("files")
    if guard.refused:
        return _too_large(request, guard.limit)
    form = UploadForm(request.POST, files_given=files)
    if not form.is_valid():
        return _page(request, form, status=400)
    stored = uploads.keep(files)
    job = _start_import(request, form.cleaned_data, stored)
    audit.record(
        AuditAction.CREATE,
        request=request,
        object_type="data upload",
        object_id=job.pk,
        detail={"files": stored.names, "bytes": stored.size, "what": form.cleaned_data["what"]},
    )
    messages.success(
        request,
        f"Uploaded {len(stored.names)} file(s), {uploads.size_in_words(stored.size)}. "
        "The import runs in the background: this page shows its progress.",
    )
    return redirect(reverse("jobs-detail", args=[job.pk]))


@import_required
@require_POST
def refresh_now(request: HttpRequest) -> HttpResponse:
    """Start the police.uk refresh now rather than wait for its monthly run."""
    from saferhood.jobs.services import start_job

    job = start_job(
        "police_refresh", user=request.user, params={}, label="police.uk refresh (started by hand)"
    )
    audit.record(AuditAction.CREATE, request=request, object_type="police.uk refresh", object_id=job.pk)
    messages.success(request, "The police.uk refresh has started: this page shows its progress.")
    return redirect(reverse("jobs-detail", args=[job.pk]))


def _start_import(request: HttpRequest, data: dict[str, Any], stored: uploads.StoredUpload):
    from saferhood.jobs.services import start_job

    names = ", ".join(stored.names[:3]) + (
        f" and {len(stored.names) - 3} more" if len(stored.names) > 3 else ""
    )
    params = {"folder": str(stored.folder), "replace_with_fewer": bool(data.get("replace_with_fewer"))}
    if data["what"] == "counts":
        source = data["source"].strip()
        return start_job(
            "counts_import",
            user=request.user,
            params={**params, "source": source},
            label=f"Counts upload ({source}): {names}",
        )
    return start_job("police_import", user=request.user, params=params, label=f"police.uk upload: {names}")


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    # A fresh form: the refused body is never read (or only partly), so there is nothing to redisplay.
    problem = f"The files must be {uploads.size_in_words(limit)} or smaller in total. Nothing was stored."
    return _page(request, UploadForm(), status=413, problem=problem)


def _page(
    request: HttpRequest, form: UploadForm, status: int = 200, problem: str | None = None
) -> HttpResponse:
    errors = error_summary(form, non_field_target="files") if form.is_bound else []
    if problem:
        errors.append({"href": "#files", "text": problem})
    return render(
        request,
        "crime/upload.html",
        {
            "form": form,
            "errors": errors,
            "problem": problem,
            "limit": uploads.size_in_words(uploads.max_upload_bytes()),
        },
        status=status,
    )
