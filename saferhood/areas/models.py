"""Geography: the areas a partnership reports on, and who lives in them.

The hierarchy is LSOA → electoral ward → town → local authority (LAD) → community safety
partnership (CSP) → police force area (PFA). LSOAs exist in two vintages (2011 codes, used by
police.uk until May 2023, and 2021 codes after); an unchanged LSOA keeps its code, so one row
serves both and ``vintages`` says which it belongs to. Towns are named groups of wards
configured per partnership; their code is a slug (``tipton``).
"""

from __future__ import annotations

from django.db import models


class AreaLevel(models.TextChoices):
    LSOA = "lsoa", "LSOA"
    WARD = "ward", "Ward"
    TOWN = "town", "Town"
    LAD = "lad", "Local authority"
    CSP = "csp", "Community safety partnership"
    PFA = "pfa", "Police force area"


class AreaQuerySet(models.QuerySet):
    def at_level(self, level: str) -> AreaQuerySet:
        return self.filter(level=level)

    def lsoas_of(self, vintage: str) -> AreaQuerySet:
        return self.filter(level=AreaLevel.LSOA, vintages__contains=vintage)


class Area(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text="ONS GSS code, or a slug for a town")
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=8, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Space-separated vintages this code belongs to, e.g. "LSOA11 LSOA21" or "WD21 WD25".
    vintages = models.CharField(max_length=100, blank=True)
    # Boundary as a GeoJSON geometry in WGS84 (lon/lat), where we have one.
    boundary = models.TextField(blank=True)
    boundary_source = models.CharField(max_length=200, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestors(self) -> list[Area]:
        """Parents up to the top, nearest first."""
        chain: list[Area] = []
        node = self.parent
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = node.parent
        return chain


class Population(models.Model):
    """Residents of an area according to one estimate (its vintage)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="populations")
    vintage = models.CharField(max_length=40, help_text="e.g. 'mid-2022' (ONS estimate) or 'census-2021'")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "vintage"], name="one_population_per_vintage")]


class LsoaChange(models.Model):
    """One row of the ONS LSOA 2011 → 2021 exact-fit lookup."""

    class Change(models.TextChoices):
        UNCHANGED = "U", "Unchanged"
        SPLIT = "S", "Split"
        MERGED = "M", "Merged"
        COMPLEX = "X", "Complex (redrawn)"

    lsoa11 = models.CharField(max_length=9, db_index=True)
    lsoa21 = models.CharField(max_length=9, db_index=True)
    change = models.CharField(max_length=1, choices=Change.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lsoa11", "lsoa21"], name="unique_lsoa_change")]
