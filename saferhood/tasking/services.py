"""Tasking workflows: each a function that checks who may do it, changes the models in one
transaction and writes its audit event (GUIDE §4.3). Views and the API call these, nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from saferhood.accounts.roles import Action as Permission
from saferhood.accounts.roles import RoleCode, allowed_actions, is_system_admin, membership_of, roles_of
from saferhood.areas.models import Area, AreaLevel
from saferhood.core import audit
from saferhood.core.audit import changes_between, field_values
from saferhood.evidence.period import resolve_period
from saferhood.tasking.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    ClosedCase,
    Escalation,
    Meeting,
    MeetingKind,
    MinuteEntry,
    MinuteKind,
    Problem,
    ProblemStatus,
)

PACK_MONTHS = 3  # a monthly meeting reads the latest three months against the three before


def may_change(user: Any) -> bool:
    """Officers, tasking chairs and admins run meetings, problems and actions."""
    return is_system_admin(user) or Permission.CHANGE in allowed_actions(user)


def may_write_pack(user: Any) -> bool:
    """Analysts write the pack's commentary; so may whoever runs the meeting."""
    return RoleCode.ANALYST in roles_of(user) or may_change(user)


def _require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"Your role does not allow you to {what}.")


def meeting_area_for(kind: str, area: Area) -> None:
    if kind == MeetingKind.TOWN and area.level != AreaLevel.TOWN:
        raise ValidationError({"area": "A Town Tasking meeting is for a town."})
    if kind == MeetingKind.BOROUGH and area.level != AreaLevel.LAD:
        raise ValidationError({"area": "Borough Tasking is for the local authority (the borough)."})


@transaction.atomic
def create_meeting(
    *, kind: str, area: Area, on: date, chairs: str, agencies=(), closed_members=(), by: Any, request=None
) -> Meeting:
    """A new meeting; its pack reads the latest three months with data, against the three before."""
    _require(may_change(by), "arrange a tasking meeting")
    meeting_area_for(kind, area)
    latest = resolve_period(area)  # the one rule's 'to': the latest month with data
    from saferhood.core.months import add_months

    meeting = Meeting.objects.create(
        kind=kind,
        area=area,
        date=on,
        chairs=chairs,
        period_from=add_months(latest.end, -(PACK_MONTHS - 1)),
        period_to=latest.end,
        created_by=by,
    )
    meeting.attending_agencies.set(agencies)
    meeting.closed_members.set(closed_members)
    audit.record("create", request=request, user=by, obj=meeting, detail={"meeting": str(meeting)})
    return meeting


@transaction.atomic
def write_commentary(meeting: Meeting, text: str, *, by: Any, request=None) -> None:
    _require(may_write_pack(by), "write the tasking pack's commentary")
    old = meeting.commentary
    meeting.commentary = text
    meeting.save(update_fields=["commentary"])
    audit.record("change", request=request, user=by, obj=meeting, changes={"commentary": [old, text]})


@transaction.atomic
def set_pack_period(meeting: Meeting, start: str, end: str, *, by: Any, request=None) -> None:
    _require(may_write_pack(by), "change the pack's months")
    old = [meeting.period_from, meeting.period_to]
    meeting.period_from, meeting.period_to = start, end
    meeting.save(update_fields=["period_from", "period_to"])
    audit.record("change", request=request, user=by, obj=meeting, changes={"period": [old, [start, end]]})


@transaction.atomic
def issue_pack(meeting: Meeting, snapshot: dict[str, Any], *, by: Any, request=None) -> None:
    """Freeze the pack as issued to the meeting: later data changes do not rewrite what it saw."""
    _require(may_write_pack(by), "issue the tasking pack")
    meeting.pack_snapshot = snapshot
    meeting.pack_issued_on = timezone.now()
    meeting.save(update_fields=["pack_snapshot", "pack_issued_on"])
    audit.record("change", request=request, user=by, obj=meeting, detail={"pack_issued": True})
    # The issued pack is frozen: its PDF is made once, in the background, once this commits.
    from saferhood.jobs.services import start_job

    transaction.on_commit(
        lambda: start_job(
            "tasking_pack_pdf", user=by, params={"meeting": meeting.pk}, label=f"Pack PDF: {meeting}"
        )
    )


@transaction.atomic
def raise_problem(meeting: Meeting, *, by: Any, request=None, **fields: Any) -> Problem:
    """A problem picked at a meeting; it stays on that tasking's agenda until closed."""
    _require(may_change(by), "raise a problem")
    town = meeting.area if meeting.kind == MeetingKind.TOWN else fields.pop("town")
    fields.pop("town", None)
    problem = Problem(
        raised_at=meeting,
        level=meeting.kind,
        town=town,
        opened_on=meeting.date,
        status=ProblemStatus.OPEN,
        **fields,
    )
    problem.full_clean()
    problem.save()
    audit.record("create", request=request, user=by, obj=problem, detail={"title": problem.title})
    return problem


@transaction.atomic
def add_action(problem: Problem, meeting: Meeting, *, by: Any, request=None, **fields: Any) -> Action:
    _require(may_change(by), "agree an action")
    action = Action(problem=problem, agreed_at=meeting, **fields)
    action.full_clean()
    action.save()
    audit.record("create", request=request, user=by, obj=action, detail={"problem": problem.pk})
    return action


@transaction.atomic
def update_action(
    action: Action,
    *,
    by: Any,
    note: str = "",
    status: str | None = None,
    due: date | None = None,
    request=None,
) -> Action:
    """A progress note, and optionally a new status or due date (old → new in the audit)."""
    _require(may_change(by), "update an action")
    before = field_values(action, ["status", "due"])
    if status:
        action.status = status
        action.completed_on = timezone.localdate() if status == ActionStatus.DONE else None
    if due:
        action.due = due
    action.full_clean()
    action.save()
    if note:
        ActionUpdate.objects.create(action=action, text=note, by=by)
    changes = changes_between(before, field_values(action, ["status", "due"]))
    audit.record("change", request=request, user=by, obj=action, changes=changes, detail={"note": note})
    return action


@transaction.atomic
def escalate_problem(
    problem: Problem, *, to_level: str, reason: str, at_meeting: Meeting, by: Any, request=None
) -> Escalation:
    """Move a problem from Town to Borough Tasking (or back down), keeping the history and why."""
    _require(may_change(by), "escalate a problem")
    if to_level == problem.level:
        raise ValidationError({"to_level": f"The problem is already at {problem.get_level_display()}."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the problem moves: Borough Tasking sees this."})
    if problem.status == ProblemStatus.CLOSED:
        raise ValidationError({"to_level": "A closed problem cannot be escalated; reopen it first."})
    escalation = Escalation.objects.create(
        problem=problem,
        from_level=problem.level,
        to_level=to_level,
        reason=reason,
        at_meeting=at_meeting,
        by=by,
    )
    old = problem.level
    problem.level = to_level
    problem.save(update_fields=["level"])
    audit.record("change", request=request, user=by, obj=problem, changes={"level": [old, to_level]},
                 detail={"reason": reason})  # fmt: skip
    return escalation


@transaction.atomic
def set_problem_status(problem: Problem, *, status: str, outcome: str = "", by: Any, request=None) -> Problem:
    """Close a problem (with its outcome), put it under monitoring, or reopen it."""
    _require(may_change(by), "change a problem's status")
    if status == ProblemStatus.CLOSED and not outcome.strip():
        raise ValidationError({"outcome": "Record the outcome when closing a problem."})
    before = field_values(problem, ["status", "outcome"])
    problem.status = status
    if outcome:
        problem.outcome = outcome
    problem.closed_on = timezone.localdate() if status == ProblemStatus.CLOSED else None
    problem.save()
    audit.record("change", request=request, user=by, obj=problem,
                 changes=changes_between(before, field_values(problem, ["status", "outcome"])))  # fmt: skip
    return problem


@transaction.atomic
def record_minute(meeting: Meeting, *, text: str, kind: str = MinuteKind.DECISION, problem: Problem | None = None,
                  by: Any, request=None) -> MinuteEntry:  # fmt: skip
    _require(may_change(by), "record the minutes")
    if not text.strip():
        raise ValidationError({"text": "Write the decision or note."})
    entry = MinuteEntry.objects.create(meeting=meeting, kind=kind, problem=problem, text=text, by=by)
    audit.record("create", request=request, user=by, obj=entry)
    return entry


@transaction.atomic
def record_closed_case(meeting: Meeting, *, by: Any, request=None, **fields: Any) -> ClosedCase:
    """A case discussed in the closed part: visible only to that part's members, by scoping."""
    _require(may_change(by), "record a closed-part case")
    if not meeting.closed_members.filter(pk=by.pk).exists() and not is_system_admin(by):
        raise PermissionDenied("Only members of the closed part can record its cases.")
    membership = membership_of(by)
    if membership is None:
        raise PermissionDenied("You are not a member of a partner agency.")
    from saferhood.accounts.scoping import Sharing

    case = ClosedCase(meeting=meeting, owner_agency=membership.agency, sharing=Sharing.CLOSED, **fields)
    case.full_clean()
    case.save()
    audit.record("create", request=request, user=by, obj=case)
    return case


def current_meeting(problem: Problem) -> Meeting:
    """The latest meeting of the tasking that now holds the problem (where decisions on it are taken)."""
    if problem.level == MeetingKind.TOWN:
        found = Meeting.objects.filter(kind=MeetingKind.TOWN, area=problem.town).first()
    else:
        found = Meeting.objects.filter(kind=MeetingKind.BOROUGH).first()
    return found or problem.raised_at


def agenda(meeting: Meeting) -> dict[str, Any]:
    """What the meeting carries: problems on its agenda (rolled over from earlier meetings until
    closed), their open actions, the overdue ones, and for Borough Tasking what each town escalated."""
    problems = list(
        Problem.objects.on_agenda_of(meeting).select_related("lead_agency", "town", "area", "raised_at")
    )
    actions = Action.objects.filter(problem__in=problems).open().select_related("owner_agency", "problem")
    result: dict[str, Any] = {
        "problems": problems,
        "open_actions": list(actions),
        "overdue_actions": [a for a in actions if a.is_overdue(meeting.date)],
        "escalated": [],
    }
    if meeting.kind == MeetingKind.BOROUGH:
        result["escalated"] = list(
            Escalation.objects.filter(problem__in=problems, to_level=MeetingKind.BOROUGH)
            .select_related("problem", "problem__town", "at_meeting", "by")
            .order_by("problem__town__name", "-on")
        )
    return result
