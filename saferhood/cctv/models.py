"""Deployable CCTV: the camera stock, requests to deploy one, and deployments.

These hold places, not people, so they are not confidential records: any signed-in user may
see them, and changing them needs the CHANGE action (see ``services``). Every site is stored
in lon/lat with the ward, town and local authority it lies in, so an area's requests and
deployments are found with the same codes as its crime records.
"""

from __future__ import annotations

import datetime

from django.db import models

from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area, AreaLevel


class CameraStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    DEPLOYED = "deployed", "Deployed"
    UNDER_REPAIR = "under-repair", "Under repair"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    DEPLOYED = "deployed", "Deployed"


class SitePlacement(models.TextChoices):
    WARD_POLYGON = "ward-polygon", "By point in ward boundary"
    RAISED_IN_AREA = (
        "raised-in-area",
        "No ward boundary holds the point: placed in the area it was raised from",
    )


class PlacedQuerySet(models.QuerySet):
    def in_area(self, area: Area) -> PlacedQuerySet:
        """Sites placed in the area (an LSOA is answered by its ward: sites are not placed to LSOA)."""
        if area.level == AreaLevel.LSOA:
            return self.filter(ward_code=area.parent.code if area.parent else "")
        if area.level == AreaLevel.WARD:
            return self.filter(ward_code=area.code)
        if area.level == AreaLevel.TOWN:
            return self.filter(town_code=area.code)
        return self.filter(lad_code__in=lad_codes(area))


class Site(models.Model):
    """A place (never a person): a name, a point, and the areas the point lies in."""

    place_name = models.CharField(max_length=200)
    longitude = models.FloatField()
    latitude = models.FloatField()
    ward_code = models.CharField(max_length=9, blank=True)
    town_code = models.CharField(max_length=40, blank=True)
    lad_code = models.CharField(max_length=9, blank=True)
    placement = models.CharField(max_length=16, choices=SitePlacement.choices)

    class Meta:
        abstract = True


class Camera(models.Model):
    asset_tag = models.CharField(max_length=50, unique=True)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=14, choices=CameraStatus.choices, default=CameraStatus.AVAILABLE)

    AUDITED_FIELDS = ("asset_tag", "description", "status")

    class Meta:
        ordering = ["asset_tag"]

    def __str__(self) -> str:
        return self.asset_tag


class RequestQuerySet(PlacedQuerySet):
    def pending(self) -> RequestQuerySet:
        return self.filter(status=RequestStatus.PENDING)


class DeploymentRequest(Site):
    """A partner's request for a camera at a place, to be decided at tasking."""

    requesting_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    requested_on = models.DateField()
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    meeting_reference = models.CharField(
        max_length=200, blank=True, help_text="the tasking meeting that considered it (free text)"
    )

    objects = RequestQuerySet.as_manager()

    AUDITED_FIELDS = (
        "place_name",
        "longitude",
        "latitude",
        "ward_code",
        "town_code",
        "lad_code",
        "placement",
        "requesting_agency_id",
        "reason",
        "requested_on",
        "status",
        "meeting_reference",
    )

    class Meta:
        ordering = ["-requested_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.place_name} ({self.get_status_display()})"


class DeploymentQuerySet(PlacedQuerySet):
    def running(self, on_date: datetime.date | None = None) -> DeploymentQuerySet:
        """Started and not ended (by ``on_date`` when given)."""
        if on_date is None:
            return self.filter(end__isnull=True)
        return self.filter(start__lte=on_date).filter(models.Q(end__isnull=True) | models.Q(end__gte=on_date))

    def finished(self) -> DeploymentQuerySet:
        return self.filter(end__isnull=False)

    def due_for_review(self, on_date: datetime.date) -> DeploymentQuerySet:
        return self.running(on_date).filter(review_due__lte=on_date)


class Deployment(Site):
    """A camera at a place from a start date to an end date (none while it runs)."""

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="deployments")
    request = models.ForeignKey(
        DeploymentRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    review_due = models.DateField()
    radius_m = models.PositiveIntegerField(default=200, help_text="radius of the evaluation, metres")

    objects = DeploymentQuerySet.as_manager()

    AUDITED_FIELDS = (
        "camera_id",
        "request_id",
        "place_name",
        "longitude",
        "latitude",
        "ward_code",
        "town_code",
        "lad_code",
        "placement",
        "start",
        "end",
        "review_due",
        "radius_m",
    )

    class Meta:
        ordering = ["-start", "-pk"]

    def __str__(self) -> str:
        return f"{self.camera} at {self.place_name} from {self.start}"
