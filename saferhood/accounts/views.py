"""Confidential notes (the stand-in personal-data pages) and the audit trail search."""

from __future__ import annotations

import operator
from datetime import datetime, time
from functools import reduce
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, CharField, ExpressionWrapper, Q, Value
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import DetailView

from saferhood.accounts.forms import AuditSearchForm
from saferhood.accounts.models import ConfidentialNote
from saferhood.accounts.roles import Action, is_agency_admin, is_system_admin, membership_of
from saferhood.accounts.scoping import ScopedObjectMixin, scoped_search
from saferhood.core import audit, csv_safe
from saferhood.core.audit_keys import digest, digest_search_term
from saferhood.core.models import AuditAction, AuditEvent


class NoteDetailView(ScopedObjectMixin, DetailView):
    model = ConfidentialNote
    template_name = "accounts/note_detail.html"
    context_object_name = "note"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The note's history, shown only to those its scoping lets in: who changed which fields
        # when (the audit trail keeps no values, so this is where changes are seen).
        history = AuditEvent.objects.about(audit.object_label(ConfidentialNote), self.object.pk).filter(
            action__in=[AuditAction.CREATE, AuditAction.CHANGE]
        )
        return super().get_context_data(**kwargs) | {"history": history.order_by("-id")[:50]}


@login_required
def note_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    notes: list[ConfidentialNote] = []
    if query:
        qs = scoped_search(request, ConfidentialNote, {"q": query})
        notes = list(qs.filter(subject_name__icontains=query).select_related("owner_agency")[:100])
    return render(request, "accounts/note_search.html", {"query": query, "notes": notes})


# --- the audit trail ----------------------------------------------------------------------------


def _hidden_from(user: Any) -> Q | None:
    """Events about a personal-data record ``user`` may not view (the audit must not show more
    than the record's own scoping would): the record's id and the event's detail are withheld.
    So are searches of personal data (no record id): their path can name a closed part."""
    parts = []
    for model in audit.personal_models():
        visible = (
            model.objects.restrict(user, Action.VIEW)
            .annotate(pk_text=Cast("pk", output_field=CharField()))
            .values("pk_text")
        )
        parts.append(Q(object_type=audit.object_label(model)) & ~Q(object_id__in=visible))
    return reduce(operator.or_, parts) if parts else None


def _audit_scope(request: HttpRequest) -> Any:
    """Events the user may search: all for a system admin, their agency's for an agency admin,
    with ``redacted`` set on events about records the agency admin cannot view."""
    user = request.user
    if is_system_admin(user):
        return AuditEvent.objects.annotate(redacted=Value(False, output_field=BooleanField()))
    if is_agency_admin(user):
        membership = membership_of(user)
        hidden = _hidden_from(user)
        return AuditEvent.objects.by_agency(membership.agency.slug).annotate(
            redacted=Value(False, output_field=BooleanField())
            if hidden is None
            else ExpressionWrapper(hidden, output_field=BooleanField())
        )
    audit.record(
        AuditAction.DENIED, request=request, object_type="core.auditevent", detail={"path": request.path}
    )
    raise PermissionDenied("Only agency and system admins can search the audit trail")


def _filtered(request: HttpRequest) -> tuple[AuditSearchForm, Any]:
    form = AuditSearchForm(request.GET or None)
    qs = _audit_scope(request)
    if not is_system_admin(request.user):
        del form.fields["value"]
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            qs = qs.filter(username__icontains=data["user"])
        if data["action"]:
            qs = qs.filter(action=data["action"])
        tz = timezone.get_current_timezone()
        if data["start"]:
            qs = qs.filter(at__gte=datetime.combine(data["start"], time.min, tzinfo=tz))
        if data["end"]:
            qs = qs.filter(at__lte=datetime.combine(data["end"], time.max, tzinfo=tz))
        if data["object_type"]:
            qs = qs.filter(object_type__icontains=data["object_type"])
        if data["object_id"]:
            qs = qs.filter(object_id=data["object_id"], redacted=False)  # no probing for hidden ids
        if data.get("value"):
            term = data["value"]
            qs = qs.filter(
                Q(detail__icontains=digest_search_term(term))
                | Q(changes__icontains=digest(term))
                | Q(changes__icontains=digest(term.strip()))
            )
    elif form.is_bound:
        qs = qs.none()
    return form, qs.order_by("-id")


def _criteria(form: AuditSearchForm) -> dict[str, str]:
    if not form.is_bound or not form.is_valid():
        return {}
    criteria = {k: str(v) for k, v in form.cleaned_data.items() if v}
    if "value" in criteria:  # the audit search must not keep the name it looked for either
        criteria["value"] = digest_search_term(criteria["value"])
    return criteria


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    len(page)  # fetch the rows now: the page shows the trail as searched, not this search's own event
    audit.record(
        AuditAction.SEARCH,
        request=request,
        object_type="core.auditevent",
        detail={"criteria": _criteria(form)},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "query": query.urlencode(), "scope_all": is_system_admin(request.user)},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = [
    "id",
    "at",
    "username",
    "actor_agency",
    "ip_address",
    "action",
    "object_type",
    "object_id",
    "detail",
    "changes",
    "hash",
]


@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    form, qs = _filtered(request)
    count = qs.count()
    audit.record(
        AuditAction.EXPORT,
        request=request,
        object_type="core.auditevent",
        detail={"criteria": _criteria(form), "rows": count},
    )
    writer = csv_safe.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in qs.iterator(chunk_size=2000):
            if event.redacted:
                event.object_id, event.detail, event.changes = "hidden", {}, None
            yield writer.writerow(
                [
                    event.id,
                    event.at.isoformat(),
                    event.username,
                    event.actor_agency,
                    event.ip_address or "",
                    event.action,
                    event.object_type,
                    event.object_id,
                    audit.canonical_json(event.detail),
                    audit.canonical_json(event.changes) if event.changes is not None else "",
                    event.hash,
                ]
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="saferhood-audit-{stamp}.csv"'
    return response
