"""Which data answers for an area in a month, so that nothing is counted twice or read as zero.

For each local authority and month exactly one source answers, by this precedence:

1. **Records** (police.uk): the local authority's own force's street file for the month, with
   every other force's street file placed there (British Transport Police crimes at stations
   are part of the same publication); else police.uk API records placed there. Never both: the
   API returns every force's crimes in its polygon, so street and API records are the same crimes.
2. **Counts**, where no records answer: of the count sources covering the month, the first named
   in ``SAFERHOOD_COUNT_SOURCE_ORDER``; a source not named ranks after those named, and among
   them the latest import wins.

Everything else covering the month is *set aside* (listed, with why, never added). A month no
source answers is a *gap*: the odd cross-border record (a BTP crime at a station, a neighbouring
force's crime placed over the boundary) does not make a month of data. A month whose answering
source holds only part of the usual records (see ``partial_months``) is a gap too, with its reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from saferhood.areas.models import Area
from saferhood.crime.models import RecordKind, RunCoverage

# Force slugs live beside the police.uk refresh, which asks the same question (kept importable here).
from saferhood.crime.policeuk.forces import FORCE_SLUG_OVERRIDES, force_slug, home_forces  # noqa: F401
from saferhood.evidence.partial_months import partial_months, partial_reason, run_totals

COUNTS_KIND = RecordKind.COUNTS
SOURCE_NAMES = {RecordKind.STREET: "police.uk street", RecordKind.API: "police.uk API"}
RECORDS, COUNTS = "records", "counts"


@dataclass(frozen=True)
class SetAside:
    """A source that covered a local authority-month but did not answer it."""

    lad: str
    month: str
    source: str
    reason: str


@dataclass
class Coverage:
    """For each local authority and month: the kind that answers ('records' or 'counts'), the
    winning source's name and its import runs; absent where nothing answers (a gap)."""

    lad_codes: list[str]
    choice: dict[tuple[str, str], str] = field(default_factory=dict)
    winner: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    set_aside: list[SetAside] = field(default_factory=list)
    # Local authority-months answered by a source holding only part of the usual records: gaps.
    partial: dict[tuple[str, str], float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def gap_reason(self, month: str, lads: list[str] | None = None) -> str:
        """Why a month is a gap for these local authorities (default: all of the area's)."""
        lads = self.lad_codes if lads is None else lads
        partial = [(lad, self.partial[(lad, month)]) for lad in lads if (lad, month) in self.partial]
        missing = [
            lad for lad in lads if (lad, month) not in self.choice and (lad, month) not in self.partial
        ]
        if partial and not missing:
            if len(lads) == 1:
                return partial_reason(partial[0][1])
            return "; ".join(
                f"{partial_reason(share)} in {self.names.get(lad, lad)}" for lad, share in partial
            )
        if len(lads) > 1 and len(missing) < len(lads):
            where = ", ".join(self.names.get(lad, lad) for lad in missing)
            reasons = [f"no data loaded for {month} in {where}"]
            reasons += [f"{partial_reason(share)} in {self.names.get(lad, lad)}" for lad, share in partial]
            return "; ".join(reasons)
        return f"no data loaded for {month}"

    def months_for(self, lads: list[str]) -> set[str]:
        """Months covered in every one of these local authorities (a child's own coverage)."""
        if not lads:
            return set()
        months: dict[str, int] = defaultdict(int)
        wanted = set(lads)
        for lad, month in self.choice:
            if lad in wanted:
                months[month] += 1
        return {m for m, n in months.items() if n == len(wanted)}

    def uses(self, lad: str, month: str, run_id: int) -> bool:
        """Whether rows of this import run count for this local authority-month."""
        return run_id in self.runs.get((lad, month), ())

    def record_runs(self, months: list[str]) -> set[int]:
        """The runs whose records answer any of these months (for reading points)."""
        return {
            run
            for (_lad, month), kind in self.choice.items()
            if kind == RECORDS and month in months
            for run in self.runs[(_lad, month)]
        }

    def complete_months(self) -> set[str]:
        """Months covered in every one of the area's local authorities."""
        months: dict[str, int] = defaultdict(int)
        for _, month in self.choice:
            months[month] += 1
        return {m for m, n in months.items() if n == len(self.lad_codes)}


@dataclass
class _Candidate:
    source: str
    runs: set[int]
    latest: datetime

    def rank(self, order: list[str]) -> tuple[int, float, int]:
        """Sort key among count sources: configured position first, then the latest import."""
        position = order.index(self.source) if self.source in order else len(order)
        return position, -self.latest.timestamp(), -max(self.runs)


STREET_NAME, API_NAME = SOURCE_NAMES[RecordKind.STREET], SOURCE_NAMES[RecordKind.API]
WHY_NOT_API = "the street files answer these months: the API returns the same crimes"
WHY_NOT_STREET = "the API records answer these months: they hold every force's crimes in the area"
WHY_NOT_OTHER_FORCE = "only the local authority's own force's street file makes a month of records"
WHY_NOT_COUNTS = "police.uk records answer these months: counts are used only without them"


def _why_not_counts(winner: str, order: list[str]) -> str:
    if winner in order:
        return (
            f"{winner} answers these months first (SAFERHOOD_COUNT_SOURCE_ORDER): counts are never added up"
        )
    return f"{winner} answers these months as the latest import: counts are never added up"


def coverage_for(lad_codes: list[str], *, need_lsoa: bool = False) -> Coverage:
    """Decide, for each of these local authorities' months, which one source answers.

    With ``need_lsoa`` (an LSOA's profile) a month counts as covered only if the covering source
    placed its records by LSOA: API records placed by ward polygon say nothing about an LSOA.
    """
    forces = home_forces(lad_codes)
    order = list(getattr(settings, "SAFERHOOD_COUNT_SOURCE_ORDER", []))
    rows = RunCoverage.objects.filter(lad_code__in=lad_codes).values_list(
        "lad_code",
        "month",
        "run_id",
        "run__kind",
        "run__force",
        "run__source",
        "run__created_on",
        "lsoa_complete",
    )
    street: dict[tuple[str, str], set[int]] = defaultdict(set)
    home_street: set[tuple[str, str]] = set()
    api: dict[tuple[str, str], set[int]] = defaultdict(set)
    counts: dict[tuple[str, str], dict[str, _Candidate]] = defaultdict(dict)
    created_of: dict[int, datetime] = {}
    for lad, month, run_id, kind, force, source, created, lsoa_complete in rows:
        if need_lsoa and not lsoa_complete:
            continue
        created_of[run_id] = created
        key = (lad, month)
        if kind == COUNTS_KIND:
            name = source or force
            held = counts[key].setdefault(name, _Candidate(name, set(), created))
            held.runs.add(run_id)
            held.latest = max(held.latest, created)
        elif kind == RecordKind.API:
            api[key].add(run_id)
        elif kind == RecordKind.STREET:
            street[key].add(run_id)
            if force == forces.get(lad):
                home_street.add(key)

    cov = Coverage(lad_codes=list(lad_codes))

    def answer(
        key: tuple[str, str], kind: str, name: str, runs: set[int], aside: list[tuple[str, str]]
    ) -> None:
        cov.choice[key], cov.winner[key], cov.runs[key] = kind, name, frozenset(runs)
        cov.sources[key[1]].add(name)
        cov.set_aside.extend(SetAside(key[0], key[1], source, why) for source, why in aside)

    for key in set(street) | set(api) | set(counts):
        ranked = sorted(counts.get(key, {}).values(), key=lambda c: c.rank(order))
        not_counts = [(c.source, WHY_NOT_COUNTS) for c in ranked]
        if key in home_street:
            answer(
                key, RECORDS, STREET_NAME, street[key], [(API_NAME, WHY_NOT_API)] * (key in api) + not_counts
            )
        elif key in api:
            aside = [(STREET_NAME, WHY_NOT_STREET)] * (key in street) + not_counts
            answer(key, RECORDS, API_NAME, api[key], aside)
        elif ranked:
            best = ranked[0]
            aside = [(STREET_NAME, WHY_NOT_OTHER_FORCE)] * (key in street)
            aside += [(c.source, _why_not_counts(best.source, order)) for c in ranked[1:]]
            answer(key, COUNTS, best.source, best.runs, aside)
        # else: only another force's street file — not a month of data (a gap), nothing set aside.
    _set_partial_months_aside(cov, created_of)
    return cov


def _set_partial_months_aside(cov: Coverage, created_of: dict[int, datetime]) -> None:
    """Make each partial local authority-month a gap (it stays listed, with its share)."""
    keys = {(run, created_of[run], lad) for (lad, _), runs in cov.runs.items() for run in runs}
    held = run_totals(keys)
    totals = {
        (lad, month): sum(held[(run, created_of[run], lad)].get(month, 0) for run in runs)
        for (lad, month), runs in cov.runs.items()
    }
    cov.partial = partial_months(totals)
    if len(cov.lad_codes) > 1 or cov.partial:
        cov.names = dict(Area.objects.filter(code__in=cov.lad_codes).values_list("code", "name"))
    if not cov.partial:
        return
    for key in cov.partial:
        del cov.choice[key], cov.winner[key], cov.runs[key]
    cov.sources = defaultdict(set)
    for (_, month), name in cov.winner.items():
        cov.sources[month].add(name)
