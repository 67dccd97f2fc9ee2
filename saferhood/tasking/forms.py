"""Forms for tasking pages. Bad input comes back with a GOV.UK error summary and nothing lost."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from saferhood.accounts.models import Agency
from saferhood.areas.models import Area, AreaLevel
from saferhood.evidence.period import Period, PeriodError
from saferhood.tasking.models import ActionStatus, MeetingKind, MinuteKind, ProblemStatus, Theme


def _areas_for_tasking():
    from django.conf import settings

    lads = settings.SAFERHOOD_PARTNERSHIP_LADS
    return Area.objects.filter(code__in=lads) | Area.objects.filter(
        level=AreaLevel.TOWN, parent__code__in=lads
    )


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(choices=MeetingKind.choices, label="Meeting")
    area = forms.ModelChoiceField(
        queryset=Area.objects.none(), label="Town (or the borough, for Borough Tasking)"
    )
    date = forms.DateField(
        label="Date", help_text="For example, 2026-04-14", widget=forms.DateInput(attrs={"type": "date"})
    )
    chairs = forms.CharField(
        max_length=300, label="Chairs", help_text="For example, the town's ASB lead and a police sergeant"
    )
    agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.filter(active=True), required=False, label="Agencies attending",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    closed_members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"), required=False,
        label="Members of the closed part", help_text="Only they will see its cases",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas_for_tasking().order_by("level", "name")
        self.fields["area"].label_from_instance = lambda a: (
            a.name if a.level == AreaLevel.TOWN else f"{a.name} (borough)"
        )


class CommentaryForm(forms.Form):
    commentary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, label="Analyst's commentary",
        help_text="What the figures mean for this meeting: shown at the top of the pack",
    )  # fmt: skip


class PeriodForm(forms.Form):
    period_from = forms.CharField(max_length=7, label="From month", help_text="YYYY-MM")
    period_to = forms.CharField(max_length=7, label="To month", help_text="YYYY-MM")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:  # the same checks as every period (evidence.period): months, order, ten years
            Period(data["period_from"], data["period_to"])
        except PeriodError as exc:
            field = {"from": "period_from", "to": "period_to"}.get(exc.parameter, "period_from")
            fix = exc.fix.replace("'to'", "To month")
            self.add_error(field, f"{self.fields[field].label} {fix}")
        return data


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=200, label="Problem")
    place = forms.CharField(max_length=200, label="Place", help_text="Street, park, estate or area")
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label="Ward")
    theme = forms.ChoiceField(choices=Theme.choices, label="Theme")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What is happening")
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Evidence",
        help_text="What the data shows: an alert, a hotspot, counts (the pack's links can be pasted here)",
    )  # fmt: skip
    lead_agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True), label="Lead agency")
    latitude = forms.FloatField(required=False, label="Latitude", min_value=49, max_value=61.5)
    longitude = forms.FloatField(required=False, label="Longitude", min_value=-11, max_value=3.5)

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        if meeting is not None:
            towns = [meeting.area] if meeting.kind == MeetingKind.TOWN else list(meeting.area.children.all())
            self.fields["area"].queryset = Area.objects.filter(
                parent__in=towns, level=AreaLevel.WARD
            ).order_by("name")
            self.fields["area"].label_from_instance = lambda a: a.name

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", "Give both latitude and longitude, or neither")
        return data


class ActionForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Action")
    owner_agency = forms.ModelChoiceField(queryset=Agency.objects.filter(active=True), label="Agency")
    owner_name = forms.CharField(max_length=200, label="Person responsible")
    due = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))


class ActionUpdateForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Update")
    status = forms.ChoiceField(choices=ActionStatus.choices, label="Status")
    due = forms.DateField(
        required=False, label="New due date", widget=forms.DateInput(attrs={"type": "date"})
    )


class EscalationForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why it moves",
                             help_text="Borough Tasking sees this reason")  # fmt: skip


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ProblemStatus.choices, label="Status")
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome",
                              help_text="Needed to close the problem: what changed, and how we know")  # fmt: skip


class MinuteForm(forms.Form):
    kind = forms.ChoiceField(choices=MinuteKind.choices, label="Kind")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Decision or note")


class ClosedCaseForm(forms.Form):
    subject = forms.CharField(max_length=200, label="Person discussed")
    subject_ref = forms.CharField(max_length=100, required=False, label="Agency reference")
    role = forms.ChoiceField(
        choices=[("victim", "Victim"), ("perpetrator", "Perpetrator"), ("other", "Other")]
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Summary")
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Decision")
