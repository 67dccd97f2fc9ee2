"""Import ONS geography: LSOA → ward → town → LAD → CSP → PFA, populations, boundaries, towns.

``import_geography(None)`` loads the bundled ``demo/geography`` (it runs at the start of every
test session and ``make run``, so it writes only what changed: a re-run is a no-op). Files are
recognised by header, so a user's own downloads of the same ONS products, or a folder of
them, work too. Everything happens in one transaction: a malformed file raises
:class:`~saferhood.core.errors.ImportFileError` and nothing is stored.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from saferhood.areas.models import AreaLevel

from . import boundaries, build, readers, store

__all__ = ["GeographySummary", "import_geography"]


@dataclass
class GeographySummary:
    dry_run: bool = False
    levels: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    populations: dict[str, tuple[int, int]] = field(default_factory=dict)  # vintage → (LSOA21s, people)
    population_rows_written: int = 0
    boundaries: dict[str, int] = field(default_factory=dict)  # level → areas with a boundary
    towns: list[tuple[str, str, int, int | None]] = field(default_factory=list)  # name, code, wards, mid-2022
    lsoa_changes_written: int = 0
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        lines = [
            ("Dry run: nothing stored. " if self.dry_run else "")
            + f"Geography imported in {self.seconds:.1f} s."
        ]
        lines.append(f"Files read: {len(self.files)}")
        lines += [f"  {f}" for f in self.files]
        lines.append("Areas by level:")
        for level in reversed(build.LEVEL_ORDER):
            lines.append(f"  {AreaLevel(level).label:<30} {self.levels.get(level, 0):>7,}")
        lines.append(f"  ({self.created:,} created, {self.updated:,} updated)")
        lines.append("Populations (LSOA 2021 totals, summed up every level):")
        for vintage, (n, people) in sorted(self.populations.items()):
            lines.append(f"  {vintage:<12} {n:>7,} LSOAs  {people:>12,} people")
        lines.append(f"  ({self.population_rows_written:,} population rows written)")
        lines.append(
            "Boundaries: " + (", ".join(f"{n} {lvl}" for lvl, n in self.boundaries.items()) or "none")
        )
        if self.towns:
            lines.append("Towns:")
            for name, code, wards, people in self.towns:
                pop = f"{people:,} people (mid-2022)" if people is not None else "no population"
                lines.append(f"  {name} ({code}): {wards} wards, {pop}")
        if self.lsoa_changes_written:
            lines.append(f"LSOA 2011 → 2021 changes written: {self.lsoa_changes_written:,}")
        if self.skipped:
            lines.append("Skipped:")
            lines += [f"  {s}" for s in self.skipped]
        return "\n".join(lines)


def _label(path: Path) -> str:
    """A boundary's source as 'folder/file' (the bundled folders are named after the source)."""
    return f"{path.parent.name}/{path.name}"


def import_geography(
    paths: list[Path] | None, *, towns_csv: Path | None = None, dry_run: bool = False
) -> GeographySummary:
    """Load ONS lookups, populations, boundaries and a ward → town table; see the module docstring.

    ``paths=None`` means the bundled ``SAFERHOOD_DEMO_DIR/geography`` (whose Sandwell
    ward → town table is then the default towns configuration).
    """
    started = time.perf_counter()
    if paths is None:
        paths = [Path(settings.SAFERHOOD_DEMO_DIR) / "geography"]
    # Read and check every file before touching the database.
    found = readers.recognise(readers.expand([Path(p) for p in paths]), towns_csv)
    summary = GeographySummary(dry_run=dry_run)
    with transaction.atomic():
        nodes, keys, ids = store.load_nodes()
        geo = build.Geography.from_existing(nodes)
        geo.skipped += found.skipped
        geo.changes = store.stored_changes()  # replaced if this run reads an exact-fit lookup
        build.apply(geo, found)
        lad_unions = {}
        for path, doc in found.ward_boundaries:
            lad_unions.update(boundaries.add_ward_boundaries(geo, path, doc, _label(path)))
        towns_done: set[str] = set()
        for path, doc in found.town_boundaries:
            towns_done |= boundaries.add_town_boundaries(geo, path, doc, _label(path))
        boundaries.union_boundaries(geo, towns_done, lad_unions)

        summary.created, summary.updated = store.store_areas(geo, keys, ids)
        wanted, base = store.populations(geo)
        summary.population_rows_written = store.store_populations(wanted, ids)
        summary.lsoa_changes_written = store.store_changes(geo.changes)
        if dry_run:
            transaction.set_rollback(True)

    summary.levels = dict(Counter(n.level for n in geo.nodes.values()))
    summary.populations = {v: (len(c), sum(c.values())) for v, c in base.items()}
    summary.boundaries = dict(Counter(n.level for n in geo.nodes.values() if n.boundary))
    for slug, wards in sorted(geo.towns.items()):
        summary.towns.append((geo.nodes[slug].name, slug, len(wards), wanted.get((slug, "mid-2022"))))
    summary.files = geo.used + [str(p) for p, _ in found.ward_boundaries + found.town_boundaries]
    summary.skipped = geo.skipped
    summary.seconds = time.perf_counter() - started
    return summary
