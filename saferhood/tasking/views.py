"""Tasking pages: meetings, their pack, problems and actions, minutes and the closed part."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from saferhood.accounts.guards import partner_required
from saferhood.core import audit
from saferhood.core.forms import error_summary
from saferhood.tasking import services
from saferhood.tasking.closed import closed_cases_shown, require_closed_member
from saferhood.tasking.forms import (
    ActionForm,
    ActionUpdateForm,
    ClosedCaseForm,
    CommentaryForm,
    EscalationForm,
    MeetingForm,
    MinuteForm,
    PeriodForm,
    ProblemForm,
    StatusForm,
)
from saferhood.tasking.models import Action, Meeting, MeetingKind, Problem
from saferhood.tasking.pack import build_pack


def _validation_to_form(form, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@partner_required("tasking")
def meetings(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            kind = data["kind"]
            try:
                meeting = services.create_meeting(
                    kind=kind, area=data["area"], on=data["date"], chairs=data["chairs"], agencies=data["agencies"],
                    closed_members=data["closed_members"], by=request.user, request=request,
                )  # fmt: skip
            except ValidationError as exc:
                _validation_to_form(form, exc)
            else:
                return redirect("tasking-meeting", pk=meeting.pk)
    status = 400 if form.errors else 200
    context = {
        "meetings": Meeting.objects.select_related("area").all()[:100],
        "form": form,
        "errors": error_summary(form),
        "may_change": services.may_change(request.user),
    }
    return render(request, "tasking/meetings.html", context, status=status)


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("area"), pk=pk)


@partner_required("tasking")
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    problem_form = ProblemForm(
        request.POST or None, meeting=meeting, prefix="problem", initial=_from_repeat_location(request)
    )
    minute_form = MinuteForm(prefix="minute")
    if request.method == "POST":
        if problem_form.is_valid():
            data = dict(problem_form.cleaned_data)
            if meeting.kind == MeetingKind.BOROUGH:
                data["town"] = data["area"].parent
            try:
                problem = services.raise_problem(meeting, by=request.user, request=request, **data)
            except ValidationError as exc:
                _validation_to_form(problem_form, exc)
            else:
                return redirect("tasking-problem", pk=problem.pk)
    return _render_meeting(request, meeting, problem_form, minute_form)


def _from_repeat_location(request: HttpRequest) -> dict[str, Any]:
    """A problem started from a repeat location in the pack: its place, point and evidence filled in."""
    place = request.GET.get("place", "").strip()[:200]
    if not place:
        return {}
    initial: dict[str, Any] = {"place": place, "theme": "asb", "title": f"Repeat ASB: {place}"}
    try:
        initial["latitude"], initial["longitude"] = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        pass
    count, start, end = request.GET.get("count", ""), request.GET.get("from", ""), request.GET.get("to", "")
    if count.isdigit():
        initial["evidence"] = (
            f"Tasking pack: {count} ASB incidents at the snap point '{place}', {start} to {end} "
            "(a snap point may gather several addresses)."
        )
    return initial


def _render_meeting(request, meeting, problem_form, minute_form) -> HttpResponse:
    errors = error_summary(problem_form) + error_summary(minute_form)
    is_member = meeting.closed_members.filter(pk=request.user.pk).exists()
    context = {
        "meeting": meeting,
        "agenda": services.agenda(meeting),
        "problems_raised": meeting.problems_raised.select_related("lead_agency").all(),
        "minutes": meeting.minutes.select_related("problem").all(),
        "problem_form": problem_form,
        "minute_form": minute_form,
        "errors": errors,
        "may_change": services.may_change(request.user),
        "closed_member": is_member,
    }
    return render(request, "tasking/meeting.html", context, status=400 if errors else 200)


@partner_required("tasking")
@require_POST
def add_minute(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    form = MinuteForm(request.POST, prefix="minute")
    if form.is_valid():
        try:
            services.record_minute(meeting, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _validation_to_form(form, exc)
        else:
            return redirect(reverse("tasking-meeting", args=[pk]) + "#minutes")
    return _render_meeting(request, meeting, ProblemForm(meeting=meeting, prefix="problem"), form)


@partner_required("tasking", may_write=services.may_write_pack)
def pack(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack: as issued (frozen), or a live preview the analyst can comment on and issue."""
    meeting = _meeting(pk)
    commentary_form = CommentaryForm(request.POST or None, initial={"commentary": meeting.commentary})
    period_form = PeriodForm(
        request.POST or None, initial={"period_from": meeting.period_from, "period_to": meeting.period_to}
    )
    if request.method == "POST":
        what = request.POST.get("do")
        if what == "commentary" and commentary_form.is_valid():
            services.write_commentary(
                meeting, commentary_form.cleaned_data["commentary"], by=request.user, request=request
            )
            return redirect("tasking-pack", pk=pk)
        if what == "period" and period_form.is_valid():
            services.set_pack_period(meeting, period_form.cleaned_data["period_from"],
                                     period_form.cleaned_data["period_to"], by=request.user, request=request)  # fmt: skip
            return redirect("tasking-pack", pk=pk)
        if what == "issue":
            services.issue_pack(meeting, build_pack(meeting), by=request.user, request=request)
            return redirect("tasking-pack", pk=pk)
    data = meeting.pack_snapshot or build_pack(meeting)
    errors = error_summary(period_form) if request.POST.get("do") == "period" else []
    context = {
        "meeting": meeting,
        "pack": data,
        "issued": meeting.pack_snapshot is not None,
        "commentary_form": commentary_form,
        "period_form": period_form,
        "may_write": services.may_write_pack(request.user),
        "errors": errors,
    }
    return render(request, "tasking/pack.html", context, status=400 if errors else 200)


@partner_required("tasking")
def pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The pack as a PDF: the issued pack's kept file when its job has made it, else rendered now."""
    from saferhood.tasking.pack_pdf import issued_pdf_path, render_pack_pdf

    meeting = _meeting(pk)
    kept = issued_pdf_path(meeting)
    pdf = kept.read_bytes() if kept is not None and kept.exists() else render_pack_pdf(meeting)
    audit.record("download", request=request, obj=meeting, detail={"what": "tasking pack PDF"})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="tasking-pack-{meeting.area.code}-{meeting.date}.pdf"'
    )
    return response


@partner_required("tasking")
def problem(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_object_or_404(
        Problem.objects.select_related("raised_at", "lead_agency", "town", "area"), pk=pk
    )
    forms: dict[str, Any] = {
        "action": ActionForm(prefix="action"),
        "escalate": EscalationForm(prefix="escalate"),
        "status": StatusForm(prefix="status", initial={"status": problem.status, "outcome": problem.outcome}),
    }
    if request.method == "POST":
        which = request.POST.get("do", "")
        if which in forms:
            forms[which] = type(forms[which])(request.POST, prefix=which)
            if forms[which].is_valid():
                try:
                    _apply(request, problem, which, forms[which].cleaned_data)
                except ValidationError as exc:
                    _validation_to_form(forms[which], exc)
                else:
                    return redirect("tasking-problem", pk=pk)
    errors = [e for f in forms.values() for e in error_summary(f)]
    context = {
        "problem": problem,
        "actions": problem.actions.select_related("owner_agency", "agreed_at").prefetch_related("updates"),
        "escalations": problem.escalations.select_related("at_meeting", "by"),
        "forms": forms,
        "update_form": ActionUpdateForm(),
        "errors": errors,
        "may_change": services.may_change(request.user),
        "current_meeting": services.current_meeting(problem),
        "target_level": MeetingKind.BOROUGH if problem.level == MeetingKind.TOWN else MeetingKind.TOWN,
    }
    return render(request, "tasking/problem.html", context, status=400 if errors else 200)


def _apply(request: HttpRequest, problem: Problem, which: str, data: dict[str, Any]) -> None:
    meeting = services.current_meeting(problem)
    if which == "action":
        services.add_action(problem, meeting, by=request.user, request=request, **data)
    elif which == "escalate":
        to = MeetingKind.BOROUGH if problem.level == MeetingKind.TOWN else MeetingKind.TOWN
        services.escalate_problem(problem, to_level=to, reason=data["reason"], at_meeting=meeting, by=request.user,
                                  request=request)  # fmt: skip
    elif which == "status":
        services.set_problem_status(problem, status=data["status"], outcome=data["outcome"], by=request.user,
                                    request=request)  # fmt: skip


@partner_required("tasking")
@require_POST
def update_action(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action, pk=pk)
    form = ActionUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.update_action(action, by=request.user, request=request, **form.cleaned_data)
        except ValidationError:
            pass  # the problem page shows the action unchanged
    return redirect(reverse("tasking-problem", args=[action.problem_id]) + f"#action-{action.pk}")


@partner_required("tasking")
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The open minutes: decisions and notes, problems raised, actions agreed, escalations."""
    meeting = _meeting(pk)
    context = {
        "meeting": meeting,
        "minutes": meeting.minutes.select_related("problem").all(),
        "problems_raised": meeting.problems_raised.select_related("lead_agency").all(),
        "actions_agreed": meeting.actions_agreed.select_related("owner_agency", "problem").all(),
        "escalations": meeting.escalations.select_related("problem").all(),
        "agenda": services.agenda(meeting),
    }
    return render(request, "tasking/minutes.html", context)


@partner_required("tasking")
def closed_part(request: HttpRequest, pk: int) -> HttpResponse:
    """The closed part: its cases, through the access scoping (members only; every look audited)."""
    meeting = _meeting(pk)
    require_closed_member(request, meeting)  # 404, not revealing that the closed part exists
    form = ClosedCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_closed_case(meeting, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            _validation_to_form(form, exc)
        else:
            return redirect("tasking-closed", pk=pk)
    shown = closed_cases_shown(request, meeting)
    context = {"meeting": meeting, "cases": shown, "form": form, "errors": error_summary(form),
               "may_record": services.may_change(request.user)}  # fmt: skip
    return render(request, "tasking/closed.html", context, status=400 if form.errors else 200)
