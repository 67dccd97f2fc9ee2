"""police.uk records, kept as published, with where Saferhood placed them.

Every file import is an :class:`ImportRun`; records belong to their run, so replacing a
force-month (police.uk revises past months) deletes that run's rows and counts in the same
transaction as the new rows arrive. :class:`MonthlyCount` (area × month × crime type × source)
is what profiles read; records stay for what needs points.
"""

from __future__ import annotations

from django.db import models

# police.uk's 14 current street-crime types, in the names the bulk CSVs use.
CRIME_TYPES: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
    "other-crime": "Other crime",
}
# Categories police.uk used before May 2013; older files and API months still carry them.
LEGACY_CRIME_TYPE_NAMES: frozenset[str] = frozenset({"Violent crime", "Public disorder and weapons"})
ASB = "Anti-social behaviour"
ALL_CRIME_TYPE_NAMES: frozenset[str] = frozenset(CRIME_TYPES.values()) | LEGACY_CRIME_TYPE_NAMES


class RecordKind(models.TextChoices):
    STREET = "street", "Street-level crime and ASB (CSV)"
    OUTCOMES = "outcomes", "Outcomes (CSV)"
    STOP_AND_SEARCH = "stop-and-search", "Stop and search (CSV)"
    API = "api", "Street-level crime and ASB (police.uk API JSON)"
    COUNTS = "counts", "Counts per area × month × crime type (aggregated extract)"


class PlacementMethod(models.TextChoices):
    LSOA_CODE = "lsoa-code", "By the LSOA code published with the record"
    WARD_POLYGON = "ward-polygon", "By point in ward boundary (no LSOA published)"
    UNKNOWN_LSOA = "unknown-lsoa", "Not placed: LSOA code not in the loaded geography"
    OUTSIDE = "outside", "Not placed: point outside every loaded ward boundary"
    NO_LOCATION = "no-location", "Not placed: published without a location"


class ImportStatus(models.TextChoices):
    COMPLETE = "complete", "Complete"
    REPLACED = "replaced", "Replaced by a later import"


class ImportRunQuerySet(models.QuerySet):
    def current(self) -> ImportRunQuerySet:
        return self.filter(status=ImportStatus.COMPLETE)

    def for_force_month(self, kind: str, force: str, month: str) -> ImportRunQuerySet:
        return self.filter(kind=kind, force=force, month=month)


class ImportRun(models.Model):
    """One import of one force-month of one kind of police.uk data."""

    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    force = models.CharField(max_length=100, help_text="police.uk force slug, e.g. 'staffordshire'")
    source = models.CharField(max_length=60, blank=True, help_text="named data set, for count imports")
    month = models.CharField(max_length=7)
    file_name = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64, help_text="sha256 of the file(s) imported")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.COMPLETE)
    rows_read = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_replaced = models.PositiveIntegerField(default=0)
    rows_without_location = models.PositiveIntegerField(default=0)
    rows_outside_partnership = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(
        default=0, help_text="API records dropped as repeats of an id"
    )
    created_on = models.DateTimeField(auto_now_add=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "force", "month"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.force} {self.month}"


class PlacedRecord(models.Model):
    """Fields shared by every located police.uk record: as published, then as placed."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE)
    month = models.CharField(max_length=7)
    longitude = models.FloatField(null=True)
    latitude = models.FloatField(null=True)
    # Placement: the record's areas at each level, by code ('' where not placed).
    placement = models.CharField(max_length=14, choices=PlacementMethod.choices)
    lsoa_code = models.CharField(max_length=9, blank=True)
    ward_code = models.CharField(max_length=9, blank=True)
    town_code = models.CharField(max_length=40, blank=True)
    lad_code = models.CharField(max_length=9, blank=True)

    class Meta:
        abstract = True


class OutcomeRecordQuerySet(models.QuerySet):
    def for_crime(self, crime: CrimeRecord | str) -> OutcomeRecordQuerySet:
        """Outcomes of a crime (or Crime ID), oldest month first; none for ASB (no Crime ID)."""
        crime_id = crime if isinstance(crime, str) else crime.crime_id
        if not crime_id:
            return self.none()
        return self.filter(crime_id=crime_id).order_by("month", "pk")


class CrimeRecord(PlacedRecord):
    """A street-level crime or ASB incident, from a street CSV or the API."""

    crime_id = models.CharField(max_length=64, blank=True, help_text="police.uk Crime ID; empty for ASB")
    api_id = models.BigIntegerField(null=True, help_text="police.uk API 'id' (API imports only)")
    reported_by = models.CharField(max_length=100, blank=True)
    falls_within = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True)
    published_lsoa_code = models.CharField(max_length=9, blank=True)
    published_lsoa_name = models.CharField(max_length=100, blank=True)
    crime_type = models.CharField(max_length=60)
    last_outcome = models.CharField(max_length=120, blank=True)
    context = models.TextField(blank=True)

    class Meta:
        # Few indexes on purpose: each one slows every import, and profiles read MonthlyCount.
        # Point analyses select a local authority's months. Outcomes are found from a crime by
        # the index on OutcomeRecord.crime_id, so records need none of their own.
        indexes = [models.Index(fields=["lad_code", "month"])]

    def outcomes(self) -> OutcomeRecordQuerySet:
        """The outcomes police.uk published for this crime, joined by Crime ID."""
        return OutcomeRecord.objects.for_crime(self)


class OutcomeRecord(PlacedRecord):
    """An outcome recorded in a month for a crime (joined to crimes by Crime ID)."""

    crime_id = models.CharField(max_length=64, db_index=True)
    reported_by = models.CharField(max_length=100, blank=True)
    falls_within = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True)
    published_lsoa_code = models.CharField(max_length=9, blank=True)
    published_lsoa_name = models.CharField(max_length=100, blank=True)
    outcome_type = models.CharField(max_length=150)

    objects = OutcomeRecordQuerySet.as_manager()


class StopSearchRecord(PlacedRecord):
    """A stop and search, with police.uk's 15 published fields."""

    search_type = models.CharField(max_length=60)
    date = models.DateTimeField()
    part_of_policing_operation = models.BooleanField(null=True)
    policing_operation = models.CharField(max_length=200, blank=True)
    gender = models.CharField(max_length=30, blank=True)
    age_range = models.CharField(max_length=30, blank=True)
    self_defined_ethnicity = models.CharField(max_length=150, blank=True)
    officer_defined_ethnicity = models.CharField(max_length=60, blank=True)
    legislation = models.CharField(max_length=200, blank=True)
    object_of_search = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=150, blank=True)
    outcome_linked_to_object_of_search = models.BooleanField(null=True)
    removal_of_more_than_just_outer_clothing = models.BooleanField(null=True)


class MonthlyCount(models.Model):
    """How many records of a type an area had in a month, from one import.

    Filled from records (one row per placed area × month × type of a run) and, later, by count
    imports. Profiles sum these rows instead of scanning records.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="counts")
    source = models.CharField(max_length=40, help_text="the data set, e.g. 'police.uk street'")
    month = models.CharField(max_length=7)
    crime_type = models.CharField(max_length=60)
    lsoa_code = models.CharField(max_length=9, blank=True)
    ward_code = models.CharField(max_length=9, blank=True)
    town_code = models.CharField(max_length=40, blank=True)
    lad_code = models.CharField(max_length=9, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        # Two indexes serve every level: a town is read within its local authority, an LSOA
        # within its ward (see profiles.area_filter). Each extra index slows every import.
        indexes = [
            models.Index(fields=["lad_code", "month"]),
            models.Index(fields=["ward_code", "month"]),
        ]


class RunCoverage(models.Model):
    """The local authorities and months an import has counts for.

    A few rows per run: what coverage (see ``coverage.py``) reads to decide which source answers
    for an area-month, without scanning the count table.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="coverage")
    lad_code = models.CharField(max_length=9)
    month = models.CharField(max_length=7)
    # False when some of the run's records there were placed only down to ward (e.g. API JSON by
    # ward polygon): LSOA figures for that month would then be undercounts, so they are gaps.
    lsoa_complete = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["lad_code", "month"])]
