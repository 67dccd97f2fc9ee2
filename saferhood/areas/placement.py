"""Place police.uk records in the geography: by published LSOA code, or by point in ward polygon.

Load an :class:`AreaIndex` once per import (one query for the hierarchy, one for the ward
polygons) and ask it for many records; nothing here queries the database per record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy
import shapely
from django.conf import settings

from saferhood.areas.models import Area, AreaLevel


@dataclass(frozen=True)
class Placement:
    lsoa_code: str
    ward_code: str
    town_code: str
    lad_code: str  # '' where none


class AreaIndex:
    """The hierarchy in memory: LSOA → placement, and an STRtree of ward polygons."""

    def __init__(self, rows: list[tuple[int, str, str, int | None]], wards: list[tuple[str, str]]) -> None:
        self._by_id = {pk: (code, level, parent_id) for pk, code, level, parent_id in rows}
        self._ids = {code: pk for pk, code, _, _ in rows}
        self._lsoa: dict[str, Placement | None] = {}
        self._ward_codes = [code for code, _ in wards]
        geoms = shapely.from_geojson([text for _, text in wards]) if wards else numpy.array([])
        self._tree = shapely.STRtree(geoms)
        self._ward_placement = {code: self._above(code, "") for code in self._ward_codes}

    @classmethod
    def load(cls) -> AreaIndex:
        rows = list(Area.objects.order_by().values_list("id", "code", "level", "parent_id"))
        wards = list(
            Area.objects.order_by("code")
            .filter(level=AreaLevel.WARD)
            .exclude(boundary="")
            .values_list("code", "boundary")
        )
        return cls(rows, wards)

    def _above(self, code: str, lsoa_code: str) -> Placement:
        """Walk up from an area, noting the ward, town and LAD it lies in."""
        found = {AreaLevel.WARD: "", AreaLevel.TOWN: "", AreaLevel.LAD: ""}
        pk = self._ids.get(code)
        for _ in range(10):  # the hierarchy is 6 deep; a guard against a cycle in bad data
            if pk is None:
                break
            code, level, pk = self._by_id[pk]
            if level in found and not found[level]:
                found[level] = code
        return Placement(lsoa_code, found[AreaLevel.WARD], found[AreaLevel.TOWN], found[AreaLevel.LAD])

    def by_lsoa(self, code: str) -> Placement | None:
        """Placement of a published LSOA code (2011 or 2021); None if it is not in the geography."""
        if code not in self._lsoa:
            pk = self._ids.get(code)
            if pk is None or self._by_id[pk][1] != AreaLevel.LSOA:
                self._lsoa[code] = None
            else:
                self._lsoa[code] = self._above(code, code)
        return self._lsoa[code]

    def by_points(self, lon: numpy.ndarray, lat: numpy.ndarray) -> list[Placement | None]:
        """The ward containing each point (lsoa_code ''); None where no ward polygon does.

        Only wards with a stored boundary can be found this way. A point on a shared edge
        goes to the first ward in code order, so results are repeatable.
        """
        lon = numpy.asarray(lon, dtype=float)
        lat = numpy.asarray(lat, dtype=float)
        out: list[Placement | None] = [None] * len(lon)
        if not len(lon) or not self._ward_codes:
            return out
        points = shapely.points(lon, lat)  # NaN coordinates give empty points, which match nothing
        point_idx, ward_idx = self._tree.query(points, predicate="intersects")
        # query results are sorted by point; keep the first (lowest-index) ward per point.
        order = numpy.lexsort((ward_idx, point_idx))
        for p, w in zip(point_idx[order], ward_idx[order], strict=True):
            if out[p] is None:
                out[p] = self._ward_placement[self._ward_codes[w]]
        return out

    def is_in_partnership(self, placement: Placement | None) -> bool:
        return placement is not None and placement.lad_code in settings.SAFERHOOD_PARTNERSHIP_LADS
