"""Tasking API: meetings, their agenda and pack, problems, actions, escalation, the closed part.

Partner agencies' users only (``guards.PartnerAuth``: 401 signed out, 403 with no agency, 403 for a
write without CHANGE); writes go through ``services`` (permissions and audit), closed-part cases
through ``closed`` (404 and a ``denied`` audit event unless you attend that part).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from saferhood.accounts.guards import PartnerAuth
from saferhood.accounts.models import Agency
from saferhood.areas.models import Area
from saferhood.core.api_errors import SIGNED_IN, responses
from saferhood.tasking import services
from saferhood.tasking.closed import closed_cases_shown
from saferhood.tasking.models import Action, ClosedCase, Meeting, MeetingKind, Problem, Theme
from saferhood.tasking.pack import build_pack

router = Router(tags=["tasking"], auth=PartnerAuth("tasking"))


class MeetingOut(Schema):
    id: int
    kind: str
    area: str = Field(..., alias="area.code")
    date: date
    chairs: str
    period_from: str
    period_to: str
    pack_issued: bool

    @staticmethod
    def resolve_pack_issued(obj: Meeting) -> bool:
        return obj.pack_snapshot is not None


class ProblemOut(Schema):
    id: int
    title: str
    place: str
    theme: str
    level: str
    status: str
    town: str = Field(..., alias="town.code")
    area: str = Field(..., alias="area.code")
    lead_agency: str = Field(..., alias="lead_agency.slug")
    description: str
    evidence: str
    outcome: str
    opened_on: date
    closed_on: date | None


class ActionOut(Schema):
    id: int
    problem_id: int
    description: str
    owner_agency: str = Field(..., alias="owner_agency.slug")
    owner_name: str
    due: date
    status: str
    overdue: bool

    @staticmethod
    def resolve_overdue(obj: Action) -> bool:
        return obj.is_overdue()


class AgendaOut(Schema):
    meeting: MeetingOut
    problems: list[ProblemOut]
    open_actions: list[ActionOut]
    overdue_actions: list[ActionOut]
    escalated: list[dict[str, Any]]


class ProblemIn(Schema):
    title: str
    place: str
    area: str = Field(..., description="ward code")
    theme: Theme
    description: str
    evidence: str = ""
    lead_agency: str = Field(..., description="agency slug, e.g. council-asb")
    latitude: float | None = None
    longitude: float | None = None


class ActionIn(Schema):
    description: str
    owner_agency: str
    owner_name: str
    due: date


class ActionUpdateIn(Schema):
    note: str = ""
    status: str | None = None
    due: date | None = None


class EscalationIn(Schema):
    to_level: MeetingKind
    reason: str


class ClosedCaseOut(Schema):
    id: int
    subject: str
    subject_ref: str
    role: str
    summary: str
    decision: str


def _call(fn, *args, **kwargs):
    """Run a service: refused → 403, invalid → 422 naming the field."""
    try:
        return fn(*args, **kwargs)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "not allowed") from exc
    except ValidationError as exc:
        detail = "; ".join(f"'{k}': {' '.join(v)}" for k, v in exc.message_dict.items())
        raise HttpError(422, detail) from exc


def _agency(slug: str, field: str) -> Agency:
    agency = Agency.objects.filter(slug=slug, active=True).first()
    if agency is None:
        raise HttpError(422, f"'{field}': no active agency {slug!r}")
    return agency


@router.get(
    "/tasking/meetings",
    response=responses(list[MeetingOut], *SIGNED_IN),
    summary="Tasking meetings, latest first",
)
def list_meetings(request: HttpRequest) -> list[Meeting]:
    return list(Meeting.objects.select_related("area")[:200])


@router.get(
    "/tasking/meetings/{meeting_id}",
    response=responses(AgendaOut, 404, *SIGNED_IN),
    summary="A meeting and its agenda (rolled-over problems, overdue actions)",
)
def meeting_agenda(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    meeting = get_object_or_404(Meeting.objects.select_related("area"), pk=meeting_id)
    items = services.agenda(meeting)
    escalated = [
        {"problem_id": e.problem_id, "town": e.problem.town.code, "reason": e.reason, "on": e.on.isoformat()}
        for e in items["escalated"]
    ]
    return {**items, "meeting": meeting, "escalated": escalated}


@router.get(
    "/tasking/meetings/{meeting_id}/pack",
    response=responses(None, 404, *SIGNED_IN),
    summary="The tasking pack (as issued, or live while a draft)",
)
def meeting_pack(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    meeting = get_object_or_404(Meeting.objects.select_related("area"), pk=meeting_id)
    return {"issued": meeting.pack_snapshot is not None, **(meeting.pack_snapshot or build_pack(meeting))}


@router.post(
    "/tasking/meetings/{meeting_id}/problems",
    response=responses(ProblemOut, 404, 400, *SIGNED_IN, status=201),
    summary="Raise a problem",
)
def create_problem(request: HttpRequest, meeting_id: int, body: ProblemIn) -> Status:
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    area = Area.objects.filter(code=body.area, level="ward").select_related("parent").first()
    if area is None:
        raise HttpError(422, f"'area': no ward with code {body.area!r}")
    fields = body.dict(exclude={"area", "lead_agency"})
    fields.update(area=area, lead_agency=_agency(body.lead_agency, "lead_agency"))
    if meeting.kind == MeetingKind.BOROUGH:
        fields["town"] = area.parent
    elif area.parent_id != meeting.area_id:
        raise HttpError(422, f"'area': {area.name} is not in {meeting.area.name}")
    return Status(201, _call(services.raise_problem, meeting, by=request.user, request=request, **fields))


@router.get(
    "/tasking/problems/{problem_id}", response=responses(ProblemOut, 404, *SIGNED_IN), summary="A problem"
)
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    return get_object_or_404(Problem.objects.select_related("town", "area", "lead_agency"), pk=problem_id)


@router.get(
    "/tasking/problems/{problem_id}/actions",
    response=responses(list[ActionOut], 404, *SIGNED_IN),
    summary="A problem's actions",
)
def problem_actions(request: HttpRequest, problem_id: int) -> list[Action]:
    return list(get_object_or_404(Problem, pk=problem_id).actions.select_related("owner_agency"))


@router.post(
    "/tasking/problems/{problem_id}/actions",
    response=responses(ActionOut, 404, 400, *SIGNED_IN, status=201),
    summary="Agree an action",
)
def create_action(request: HttpRequest, problem_id: int, body: ActionIn) -> Status:
    problem = get_object_or_404(Problem, pk=problem_id)
    fields = body.dict(exclude={"owner_agency"})
    fields["owner_agency"] = _agency(body.owner_agency, "owner_agency")
    return Status(
        201,
        _call(
            services.add_action,
            problem,
            services.current_meeting(problem),
            by=request.user,
            request=request,
            **fields,
        ),
    )


@router.post(
    "/tasking/actions/{action_id}/update",
    response=responses(ActionOut, 404, 400, *SIGNED_IN),
    summary="Update an action",
)
def update_action(request: HttpRequest, action_id: int, body: ActionUpdateIn) -> Action:
    action = get_object_or_404(Action, pk=action_id)
    return _call(services.update_action, action, by=request.user, request=request, note=body.note,
                 status=body.status, due=body.due)  # fmt: skip


@router.post(
    "/tasking/problems/{problem_id}/escalate",
    response=responses(ProblemOut, 404, 400, *SIGNED_IN),
    summary="Escalate to Borough Tasking or return to Town Tasking",
)
def escalate(request: HttpRequest, problem_id: int, body: EscalationIn) -> Problem:
    problem = get_object_or_404(Problem, pk=problem_id)
    _call(services.escalate_problem, problem, to_level=body.to_level, reason=body.reason,
          at_meeting=services.current_meeting(problem), by=request.user, request=request)  # fmt: skip
    problem.refresh_from_db()
    return problem


@router.get(
    "/tasking/meetings/{meeting_id}/closed-cases",
    response=responses(list[ClosedCaseOut], 404, *SIGNED_IN),
    summary="The closed part's cases (its members only; 404 for anyone else)",
)
def closed_cases(request: HttpRequest, meeting_id: int) -> list[ClosedCase]:
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    return closed_cases_shown(request, meeting)  # 404 and a denied row unless you attend that part
