"""Areas to ask police.uk about, as ``poly`` strings, and how to cut one that holds too much.

A piece's key names where it came from: an area code (``E05001260``), then one ``-i`` per split
(``E05001260-2-0``: the first part of the third quadrant). Keys are stable for the same
boundary, so a resumed fetch knows which pieces it already holds.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shapely.geometry import Polygon

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Piece:
    key: str
    area: str  # the ward (or local authority) code the records are imported under
    polygon: Polygon
    depth: int = 0

    def poly(self) -> str:
        """The API's ``poly``: ``lat,lng:lat,lng:…`` round the outer ring (police.uk closes it).

        Six decimals are about 0.1 m: far finer than police.uk's snap points are apart. Holes
        cannot be sent; records in one are fetched too and belong to whichever area holds them.
        """
        coords = list(self.polygon.exterior.coords)[:-1]
        return ":".join(f"{lat:.6f},{lon:.6f}" for lon, lat in coords)

    def size_metres(self) -> float:
        """The longer side of the piece's bounding box, in metres (near enough at UK latitudes)."""
        minx, miny, maxx, maxy = self.polygon.bounds
        mid = math.radians((miny + maxy) / 2)
        return max(
            (maxx - minx) * METRES_PER_DEGREE_LAT * math.cos(mid), (maxy - miny) * METRES_PER_DEGREE_LAT
        )

    def split(self) -> list[Piece]:
        """The piece cut into the quadrants of its bounding box (each part of each quadrant a piece)."""
        import shapely

        minx, miny, maxx, maxy = self.polygon.bounds
        midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
        quadrants = [
            shapely.box(minx, miny, midx, midy),
            shapely.box(midx, miny, maxx, midy),
            shapely.box(minx, midy, midx, maxy),
            shapely.box(midx, midy, maxx, maxy),
        ]
        pieces = []
        for q, quadrant in enumerate(quadrants):
            parts = polygon_parts(self.polygon.intersection(quadrant))
            for p, part in enumerate(parts):
                key = f"{self.key}-{q}" if len(parts) == 1 else f"{self.key}-{q}.{p}"
                pieces.append(Piece(key, self.area, part, self.depth + 1))
        return pieces


def polygon_parts(geometry) -> list[Polygon]:
    """The polygons with area in a geometry (a cut can leave lines and points along the edges)."""
    import shapely

    parts = shapely.get_parts(geometry)
    out = []
    for part in parts:
        if part.geom_type == "Polygon" and part.area > 0:
            out.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            out += polygon_parts(part)
    return out


def area_pieces(code: str, boundary: str) -> list[Piece]:
    """One piece per polygon of an area's stored boundary (GeoJSON, lon/lat)."""
    import shapely

    parts = polygon_parts(shapely.from_geojson(boundary))
    if len(parts) == 1:
        return [Piece(code, code, parts[0])]
    return [Piece(f"{code}-p{i}", code, part) for i, part in enumerate(parts)]


def boundaries_digest(boundaries: dict[str, str]) -> str:
    """One digest of every area and boundary: a fetch is resumed only for the same polygons."""
    digest = hashlib.sha256()
    for code, text in sorted(boundaries.items()):
        digest.update(code.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()
