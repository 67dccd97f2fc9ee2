"""API for confidential notes: signed-in users only, every read through scoping (and audited)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from saferhood.accounts.models import ConfidentialNote
from saferhood.accounts.scoping import scoped_object, scoped_search
from saferhood.core.api_errors import SIGNED_IN, responses

router = Router(tags=["confidential notes"], auth=django_auth)


class NoteOut(Schema):
    id: int
    subject_name: str
    subject_ref: str
    text: str
    owner_agency: str
    sharing: str
    created_at: datetime

    @staticmethod
    def resolve_owner_agency(obj: ConfidentialNote) -> str:
        return obj.owner_agency.slug


@router.get(
    "/notes/{note_id}",
    response=responses(NoteOut, 404, *SIGNED_IN),
    summary="One confidential note (404 unless you may see it)",
)
def get_note(request: HttpRequest, note_id: int) -> ConfidentialNote:
    return scoped_object(request, ConfidentialNote, note_id)


@router.get(
    "/notes",
    response=responses(list[NoteOut], *SIGNED_IN),
    summary="Search the notes you may see by person's name",
)
def search_notes(request: HttpRequest, q: str) -> list[ConfidentialNote]:
    qs = scoped_search(request, ConfidentialNote, {"q": q})
    return list(qs.filter(subject_name__icontains=q.strip()[:200]).select_related("owner_agency")[:100])
