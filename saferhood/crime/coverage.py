"""Which data answers for an area in a month, so that nothing is counted twice or read as zero.

A local authority's month is *covered by records* when its own force's street file for that
month is loaded (or a police.uk API import placed records in it): then all records placed there
count, from every force (British Transport Police crimes at stations included). Otherwise, if a
count source has the month, the counts answer instead — never both. Otherwise the month is a
*gap*: the odd cross-border record (a BTP crime at a station, a neighbouring force's crime
placed over the boundary) does not make a month of data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.text import slugify

from saferhood.areas.models import Area, AreaLevel
from saferhood.crime.models import RecordKind, RunCoverage

# ONS police force area names whose police.uk slug is not simply the slugified name.
FORCE_SLUG_OVERRIDES = {
    "Metropolitan Police": "metropolitan",
    "London, City of": "city-of-london",
    "Devon & Cornwall": "devon-and-cornwall",
}
COUNTS_KIND = RecordKind.COUNTS
SOURCE_NAMES = {RecordKind.STREET: "police.uk street", RecordKind.API: "police.uk API"}


def force_slug(pfa_name: str) -> str:
    """The police.uk force slug for an ONS police force area name."""
    return FORCE_SLUG_OVERRIDES.get(pfa_name, slugify(pfa_name))


def home_forces(lad_codes: list[str]) -> dict[str, str]:
    """Each local authority's own police force (slug), from LAD → CSP → PFA."""
    rows = Area.objects.filter(code__in=lad_codes).values_list(
        "code", "parent__level", "parent__name", "parent__parent__level", "parent__parent__name"
    )
    forces = {}
    for code, p_level, p_name, pp_level, pp_name in rows:
        if p_level == AreaLevel.PFA:
            forces[code] = force_slug(p_name)
        elif pp_level == AreaLevel.PFA:
            forces[code] = force_slug(pp_name)
    return forces


@dataclass
class Coverage:
    """For each local authority and month: 'records', 'counts', or absent (a gap)."""

    lad_codes: list[str]
    choice: dict[tuple[str, str], str] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def uses(self, lad: str, month: str, kind: str) -> bool:
        chosen = self.choice.get((lad, month))
        if chosen is None:
            return False
        return (kind == COUNTS_KIND) == (chosen == "counts")

    def complete_months(self) -> set[str]:
        """Months covered in every one of the area's local authorities."""
        months: dict[str, int] = defaultdict(int)
        for _, month in self.choice:
            months[month] += 1
        return {m for m, n in months.items() if n == len(self.lad_codes)}


def coverage_for(lad_codes: list[str], *, need_lsoa: bool = False) -> Coverage:
    """Decide, for each of these local authorities' months, which kind of source answers.

    With ``need_lsoa`` (an LSOA's profile) a month counts as covered only if the covering source
    placed its records by LSOA: API records placed by ward polygon say nothing about an LSOA.
    """
    forces = home_forces(lad_codes)
    rows = [
        (lad, month, kind, force, source or SOURCE_NAMES.get(kind, kind), lsoa_complete)
        for lad, month, kind, force, source, lsoa_complete in RunCoverage.objects.filter(
            lad_code__in=lad_codes
        )
        .values_list("lad_code", "month", "run__kind", "run__force", "run__source", "lsoa_complete")
        .distinct()
    ]
    by_records: set[tuple[str, str]] = set()
    by_counts: set[tuple[str, str]] = set()
    for lad, month, kind, force, _source, lsoa_complete in rows:
        if need_lsoa and not lsoa_complete:
            continue
        if kind == COUNTS_KIND:
            by_counts.add((lad, month))
        elif kind == RecordKind.API or (kind == RecordKind.STREET and force == forces.get(lad)):
            by_records.add((lad, month))
    cov = Coverage(lad_codes=list(lad_codes))
    for key in by_records | by_counts:
        cov.choice[key] = "records" if key in by_records else "counts"
    # Name every source that contributed to a chosen month (records from several forces included).
    for lad, month, kind, _force, source, _ in rows:
        if cov.uses(lad, month, kind):
            cov.sources[month].add(source)
    return cov
