"""Re-place stored rows after the geography changed (ADR 0005), from their LSOA code.

Rows stored before 2011-only LSOA codes hung under their current ward carry that code's old
ward (and perhaps town). This rewrites ward, town and local authority of every row placed by
LSOA code wherever the geography now says otherwise. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction

from saferhood.areas.placement import AreaIndex
from saferhood.crime.models import CrimeRecord, MonthlyCount, OutcomeRecord, StopSearchRecord

MODELS = (MonthlyCount, CrimeRecord, OutcomeRecord, StopSearchRecord)


def replace_areas(*, dry_run: bool = False) -> dict[str, int]:
    """Rows re-placed per table (model name → rows changed)."""
    index = AreaIndex.load()
    changed: dict[str, int] = {}
    with transaction.atomic():
        for model in MODELS:
            held = list(
                model.objects.exclude(lsoa_code="")
                .values_list("lsoa_code", "ward_code", "town_code", "lad_code")
                .distinct()
                .order_by()
            )
            placements = index.by_lsoas([row[0] for row in held])
            n = 0
            for (code, ward, town, lad), p in zip(held, placements, strict=True):
                if p is None or (p.ward_code, p.town_code, p.lad_code) == (ward, town, lad):
                    continue
                n += model.objects.filter(
                    lsoa_code=code, ward_code=ward, town_code=town, lad_code=lad
                ).update(ward_code=p.ward_code, town_code=p.town_code, lad_code=p.lad_code)
            changed[model.__name__] = n
        if dry_run:
            transaction.set_rollback(True)
    return changed
