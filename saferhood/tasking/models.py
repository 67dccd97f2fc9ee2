"""Town and Borough Tasking: meetings, the problems they pick, partner actions, escalation, minutes.

The open part of a meeting (problems about places, actions on agencies) is visible to every
signed-in partner. The closed part — individual cases that may involve vulnerable victims or
perpetrators — is a ``ClosedCase``: personal data, reachable only through the access scoping, by
the members of that meeting's closed part.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from saferhood.accounts.scoping import ConfidentialRecord


class MeetingKind(models.TextChoices):
    TOWN = "town", "Town Tasking"
    BOROUGH = "borough", "Borough Tasking"


class Theme(models.TextChoices):
    """The strategy's priorities, as tasking names its problems."""

    ASB = "asb", "Anti-social behaviour"
    NUISANCE_BIKES = "nuisance-bikes", "Nuisance bikes"
    DRUG_DEALING = "drug-dealing", "Drug dealing"
    VIOLENCE = "violence", "Violence"
    EXPLOITATION = "exploitation", "Exploitation"
    HATE_CRIME = "hate-crime", "Hate crime"
    DOMESTIC_ABUSE = "domestic-abuse", "Domestic abuse"
    BURGLARY = "burglary", "Burglary"
    VEHICLE_CRIME = "vehicle-crime", "Vehicle crime"
    ENVIRONMENTAL = "environmental", "Environmental (fly-tipping, graffiti)"
    OTHER = "other", "Other"


class ProblemStatus(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class MeetingQuerySet(models.QuerySet):
    def for_area(self, area) -> MeetingQuerySet:
        return self.filter(area=area)

    def before(self, meeting: Meeting) -> MeetingQuerySet:
        return self.filter(kind=meeting.kind, area=meeting.area, date__lt=meeting.date).order_by("-date")


class Meeting(models.Model):
    """One Town Tasking (a town) or Borough Tasking (the local authority) meeting."""

    kind = models.CharField(max_length=10, choices=MeetingKind.choices)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    chairs = models.CharField(max_length=300, help_text="e.g. the town's ASB lead and a police sergeant")
    attending_agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="+")
    closed_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", help_text="who attends the closed part"
    )
    # The tasking pack: the months it reads, the analyst's commentary, and what it showed when issued.
    period_from = models.CharField(max_length=7)
    period_to = models.CharField(max_length=7)
    commentary = models.TextField(blank=True)
    pack_snapshot = models.JSONField(null=True, blank=True)
    pack_issued_on = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateTimeField(default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.area.name}, {self.date:%d %B %Y}"


class ProblemQuerySet(models.QuerySet):
    def active(self) -> ProblemQuerySet:
        return self.exclude(status=ProblemStatus.CLOSED)

    def on_agenda_of(self, meeting: Meeting) -> ProblemQuerySet:
        """Problems the meeting carries: open ones at its level in its area (rolled over)."""
        if meeting.kind == MeetingKind.BOROUGH:
            return self.active().filter(level=MeetingKind.BOROUGH)
        return self.active().filter(level=MeetingKind.TOWN, town=meeting.area)


class Problem(models.Model):
    """A problem a meeting picked: a place, a theme, who leads, and how it ended."""

    raised_at = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="problems_raised")
    level = models.CharField(
        max_length=10,
        choices=MeetingKind.choices,
        help_text="which tasking holds it now (escalation moves it)",
    )
    town = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="+", help_text="the town it is in"
    )
    area = models.ForeignKey(
        "areas.Area",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the area it is about (ward, LSOA…)",
    )
    place = models.CharField(max_length=200, help_text="street, park, estate…")
    longitude = models.FloatField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    theme = models.CharField(max_length=20, choices=Theme.choices)
    title = models.CharField(max_length=200)
    description = models.TextField()
    evidence = models.TextField(
        blank=True, help_text="what the data shows: alerts, hotspots, counts (with links)"
    )
    lead_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    outcome = models.TextField(blank=True)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-opened_on", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.place})"


class ActionQuerySet(models.QuerySet):
    def open(self) -> ActionQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def overdue(self, on=None) -> ActionQuerySet:
        """Open actions whose due date has passed (on ``on``, default today)."""
        return self.open().filter(due__lt=on or timezone.localdate())


class Action(models.Model):
    """Something an agency agreed to do about a problem, by a date."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField(max_length=200, help_text="the person responsible")
    due = models.DateField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    agreed_at = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions_agreed")
    completed_on = models.DateField(null=True, blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return f"{self.owner_agency}: {self.description[:60]}"

    def is_overdue(self, on=None) -> bool:
        return self.status == ActionStatus.OPEN and self.due < (on or timezone.localdate())


class ActionUpdate(models.Model):
    """A progress note on an action, in order."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]


class Escalation(models.Model):
    """A problem moved between Town and Borough Tasking (either way), and why. Never edited."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="escalations")
    from_level = models.CharField(max_length=10, choices=MeetingKind.choices)
    to_level = models.CharField(max_length=10, choices=MeetingKind.choices)
    reason = models.TextField()
    at_meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="escalations")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]


class MinuteKind(models.TextChoices):
    DECISION = "decision", "Decision"
    NOTE = "note", "Note"


class MinuteEntry(models.Model):
    """A decision or note recorded during the open part of a meeting (actions come from Action)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    kind = models.CharField(max_length=10, choices=MinuteKind.choices, default=MinuteKind.DECISION)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    on = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]


class ClosedCase(ConfidentialRecord):
    """An individual case discussed in a meeting's closed part: personal data, for its members only.

    Sharing is CLOSED, and "closed meeting member" means: attends this meeting's closed part.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="closed_cases")
    subject = models.CharField(max_length=200, help_text="the person discussed")
    subject_ref = models.CharField(max_length=100, blank=True, help_text="an agency's reference for them")
    role = models.CharField(max_length=20, choices=[("victim", "Victim"), ("perpetrator", "Perpetrator"),
                                                    ("other", "Other")])  # fmt: skip
    summary = models.TextField()
    decision = models.TextField(blank=True)
    recorded_on = models.DateTimeField(default=timezone.now)

    class Meta(ConfidentialRecord.Meta):
        ordering = ["recorded_on", "pk"]

    @classmethod
    def closed_meeting_q(cls, user) -> Q:
        members = Meeting.closed_members.through.objects.filter(
            meeting_id=OuterRef("meeting_id"), user_id=user.pk
        )
        return Q(Exists(members))

    def __str__(self) -> str:
        return f"Closed case {self.pk}"
