"""Agencies, users' memberships and roles, sign-in counters, temporary passwords, and the confidential note.

``ConfidentialNote`` is the first model that holds personal data: a note about a person, kept
by one agency and shared as its owner chooses. It is the stand-in the authorization matrix
runs over and the shape later personal-data models copy (see ``scoping.ConfidentialRecord``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.scoping import ConfidentialRecord


class Agency(models.Model):
    """A partner organisation in the CSP. The list is configurable in the admin."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    code = models.CharField(max_length=32, primary_key=True, choices=RoleCode.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return RoleCode(self.code).label


class Membership(models.Model):
    """Links a Django user to exactly one agency, with the roles they hold there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    roles = models.ManyToManyField(Role, blank=True, related_name="memberships")
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["agency__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.agency})"


class SignInThrottle(models.Model):
    """Failed sign-ins counted per username and address (``pair:<name>|<addr>``) and per address
    (``ip:<addr>``); ``locked_until`` is when the current wait ends (accounts.lockout)."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures, locked until {self.locked_until}"


class TemporaryPassword(models.Model):
    """The user's password was chosen by someone else (an admin adding or resetting them):
    until they choose their own, every page sends them to change it (accounts.middleware)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="temporary_password",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"temporary password for {self.user} (set {self.set_at:%Y-%m-%d %H:%M})"


class ConfidentialNote(ConfidentialRecord):
    """A confidential note about a person, held by one agency."""

    subject_name = models.CharField("person's name", max_length=200, db_index=True)
    subject_ref = models.CharField(
        "person reference", max_length=64, blank=True, db_index=True, help_text="the agency's own person id"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    AUDITED_FIELDS = ("subject_name", "subject_ref", "text", "sharing")

    class Meta(ConfidentialRecord.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Note {self.pk} about {self.subject_name}"
