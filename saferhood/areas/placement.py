"""Place police.uk records in the geography: by published LSOA code, or by point in ward polygon.

Load an :class:`AreaIndex` once per import and ask it for many records. It holds the areas
above LSOA level (a few thousand rows); LSOAs are fetched a batch at a time as codes are asked
for, and ward polygons only when a point has to be placed, so placing a file of LSOA codes never
parses a boundary and a single point never loads the country's LSOAs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from saferhood.areas.models import Area, AreaLevel

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy
    import shapely

LSOAS_PER_QUERY = 900  # under SQLite's oldest limit on parameters per statement (999)


@dataclass(frozen=True)
class Placement:
    lsoa_code: str
    ward_code: str
    town_code: str
    lad_code: str  # '' where none


class AreaIndex:
    """The hierarchy in memory: LSOA → placement, and an STRtree of ward polygons."""

    def __init__(self, rows: list[tuple[int, str, str, int | None]]) -> None:
        """``rows``: (id, code, level, parent id) of at least every area above LSOA level."""
        self._by_id = {pk: (code, level, parent_id) for pk, code, level, parent_id in rows}
        self._ids = {code: pk for pk, code, _, _ in rows}
        self._lsoa: dict[str, Placement | None] = {}
        self._wards: tuple[list[str], shapely.STRtree] | None = None

    @classmethod
    def load(cls) -> AreaIndex:
        return cls(
            list(
                Area.objects.order_by()
                .exclude(level=AreaLevel.LSOA)
                .values_list("id", "code", "level", "parent_id")
            )
        )

    def _above(self, pk: int | None, lsoa_code: str) -> Placement:
        """Walk up from an area (by id), noting the ward, town and LAD it lies in."""
        found = {AreaLevel.WARD: "", AreaLevel.TOWN: "", AreaLevel.LAD: ""}
        for _ in range(10):  # the hierarchy is 6 deep; a guard against a cycle in bad data
            if pk is None or pk not in self._by_id:
                break
            code, level, pk = self._by_id[pk]
            if level in found and not found[level]:
                found[level] = code
        return Placement(lsoa_code, found[AreaLevel.WARD], found[AreaLevel.TOWN], found[AreaLevel.LAD])

    def by_lsoas(self, codes: Iterable[str]) -> list[Placement | None]:
        """Placement of each published LSOA code (2011 or 2021); None where it is not an LSOA
        of the geography. Codes not seen before are fetched in a few queries."""
        codes = list(codes)
        missing = [code for code in dict.fromkeys(codes) if code not in self._lsoa]
        for i in range(0, len(missing), LSOAS_PER_QUERY):
            chunk = missing[i : i + LSOAS_PER_QUERY]
            # By code alone (its unique index); filtering on level too lets SQLite scan every LSOA.
            found = Area.objects.order_by().filter(code__in=chunk)
            for code, level, parent_id in found.values_list("code", "level", "parent_id"):
                if level == AreaLevel.LSOA:
                    self._lsoa[code] = self._above(parent_id, code)
            for code in chunk:
                self._lsoa.setdefault(code, None)
        return [self._lsoa[code] for code in codes]

    def by_lsoa(self, code: str) -> Placement | None:
        """Placement of one published LSOA code; None if it is not an LSOA of the geography."""
        return self.by_lsoas([code])[0]

    def by_ward(self, code: str) -> Placement | None:
        """Placement of a ward code (lsoa_code ''); None if it is not a ward of the geography."""
        pk = self._ids.get(code)
        if pk is None or self._by_id[pk][1] != AreaLevel.WARD:
            return None
        return self._above(pk, "")

    def _ward_tree(self) -> tuple[list[str], shapely.STRtree]:
        import numpy
        import shapely

        if self._wards is None:
            wards = list(
                Area.objects.order_by("code")
                .filter(level=AreaLevel.WARD)
                .exclude(boundary="")
                .values_list("code", "boundary")
            )
            geoms = shapely.from_geojson([text for _, text in wards]) if wards else numpy.array([])
            self._wards = ([code for code, _ in wards], shapely.STRtree(geoms))
        return self._wards

    def by_points(self, lon: numpy.ndarray, lat: numpy.ndarray) -> list[Placement | None]:
        """The ward containing each point (lsoa_code ''); None where no ward polygon does.

        Only wards with a stored boundary can be found this way. A point on a shared edge
        goes to the first ward in code order, so results are repeatable.
        """
        import numpy
        import shapely

        lon = numpy.asarray(lon, dtype=float)
        lat = numpy.asarray(lat, dtype=float)
        out: list[Placement | None] = [None] * len(lon)
        if not len(lon):
            return out
        ward_codes, tree = self._ward_tree()
        if not ward_codes:
            return out
        points = shapely.points(lon, lat)  # NaN coordinates give empty points, which match nothing
        point_idx, ward_idx = tree.query(points, predicate="intersects")
        # query results are sorted by point; keep the first (lowest-index) ward per point.
        order = numpy.lexsort((ward_idx, point_idx))
        placements: dict[int, Placement | None] = {}
        for p, w in zip(point_idx[order], ward_idx[order], strict=True):
            if out[p] is None:
                if w not in placements:
                    placements[w] = self.by_ward(ward_codes[w])
                out[p] = placements[w]
        return out

    def is_in_partnership(self, placement: Placement | None) -> bool:
        return placement is not None and placement.lad_code in settings.SAFERHOOD_PARTNERSHIP_LADS
