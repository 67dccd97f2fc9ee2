"""Regular square grids in British National Grid (EPSG:27700) metres (pure: no Django).

A grid is an origin (lower-left corner), a cell size, a shape and a mask of the cells kept.
Arrays over a grid have shape ``(ny, nx)``: row ``j`` runs north from ``y0``, column ``i``
east from ``x0``. Cell ``(j, i)`` covers ``[x0 + i*s, x0 + (i+1)*s) x [y0 + j*s, y0 + (j+1)*s)``.

Grids are clipped to an area the way sfhotspot clips them: a cell is kept when any part of it
intersects the boundary (not only when its centre is inside), so points near the edge of the
area are never dropped from the counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import numpy as np
    import shapely
    from pyproj import Transformer

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
DEFAULT_CELLS_ON_SHORTER_SIDE = 50


@lru_cache(maxsize=2)
def _transformer(src: str, dst: str) -> Transformer:
    # Building a Transformer costs ~10 ms; API requests build many grids.
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude to British National Grid easting/northing (metres).

    Parameters
    ----------
    lon, lat : array_like
        Degrees; any shape, broadcast together.

    Returns
    -------
    x, y : numpy.ndarray
        Easting and northing in metres (float64).
    """
    import numpy as np

    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_bng`: BNG metres to WGS84 longitude/latitude degrees."""
    import numpy as np

    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


@dataclass(frozen=True, eq=False)
class Grid:
    """A regular square grid in BNG metres.

    Attributes
    ----------
    x0, y0 : float
        Lower-left corner of cell ``(0, 0)``.
    cell_size : float
        Side of each square cell, metres.
    nx, ny : int
        Number of columns (east) and rows (north).
    mask : numpy.ndarray of bool, shape (ny, nx)
        Cells kept: those sharing some area with the boundary (all cells when there is none).
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int
    mask: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        """Number of cells kept by the mask."""
        return int(self.mask.sum())

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two ``(ny, nx)`` arrays (x, y)."""
        import numpy as np

        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell_size
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell_size
        return np.meshgrid(xs, ys)

    def cell_of(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of each point, and whether it falls inside the grid's rectangle."""
        import numpy as np

        fx = (np.asarray(x, dtype=float) - self.x0) / self.cell_size
        fy = (np.asarray(y, dtype=float) - self.y0) / self.cell_size
        finite = np.isfinite(fx) & np.isfinite(fy)
        # Points without coordinates go to cell -1, outside the grid.
        col = np.floor(np.where(finite, fx, -1.0)).astype(np.int64)
        row = np.floor(np.where(finite, fy, -1.0)).astype(np.int64)
        inside = finite & (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return row, col, inside


def default_cell_size(width: float, height: float) -> float:
    """sfhotspot's automatic cell size: 1/50 of the shorter side, rounded down to a round number.

    Rule (sfhotspot ``set_cell_size``, extended for small areas): ``c = min(width, height) / 50``;
    if ``c >= 100`` m it is rounded down to a multiple of 100 m (sfhotspot's rule, so there are at
    least 50 cells on the shorter side); if ``10 <= c < 100`` rounded down to a multiple of 10 m
    (sfhotspot leaves it unrounded there); below 10 m rounded down to a whole metre, minimum 1 m.
    """
    c = min(width, height) / DEFAULT_CELLS_ON_SHORTER_SIDE
    for step in (100.0, 10.0, 1.0):
        if c >= step:
            return math.floor(c / step) * step
    return 1.0


def grid_dimensions(
    extent: tuple[float, float, float, float], cell_size: float | None, *, bounded: bool
) -> tuple[float, float, float, int, int]:
    """Cell size, origin and shape of the grid :func:`make_grid` builds over an extent.

    Arithmetic only, so a caller can know a grid's size before building it (the analysis budget).

    Parameters
    ----------
    extent : (xmin, ymin, xmax, ymax)
        BNG metres: a boundary's bounds, or the points' bounding box.
    cell_size : float, optional
        Metres; default :func:`default_cell_size` of the extent.
    bounded : bool
        True when the extent is a boundary's; False for points, where a point exactly on the far
        edge still needs a cell.

    Returns
    -------
    cell_size, x0, y0 : float
    nx, ny : int
    """
    xmin, ymin, xmax, ymax = extent
    if cell_size is None:
        cell_size = default_cell_size(xmax - xmin, ymax - ymin)
    if not (cell_size > 0 and math.isfinite(cell_size)):
        raise ValueError("cell_size must be a positive number of metres")
    x0 = math.floor(xmin / cell_size) * cell_size
    y0 = math.floor(ymin / cell_size) * cell_size
    if bounded:
        nx = max(1, math.ceil((xmax - x0) / cell_size))
        ny = max(1, math.ceil((ymax - y0) / cell_size))
    else:
        nx = max(1, math.floor((xmax - x0) / cell_size) + 1)
        ny = max(1, math.floor((ymax - y0) / cell_size) + 1)
    return float(cell_size), float(x0), float(y0), nx, ny


def make_grid(
    boundary_bng: shapely.Geometry | None = None,
    points_xy: tuple[Any, Any] | None = None,
    cell_size: float | None = None,
) -> Grid:
    """A grid covering an area's boundary (or, without one, the points' bounding box).

    Parameters
    ----------
    boundary_bng : shapely geometry, optional
        The area in BNG metres. Cells whose interiors intersect it are kept (``Grid.mask``);
        the grid covers its bounding box.
    points_xy : (x, y) arrays, optional
        BNG points; used for the extent only when there is no boundary, and then every cell of
        their bounding box is kept.
    cell_size : float, optional
        Metres. Default :func:`default_cell_size` of the extent.

    Returns
    -------
    Grid
        Origin snapped down to a multiple of the cell size, so grids of the same cell size line
        up with each other and with the national grid. Points-only grids have enough cells that
        a point exactly on the far edge falls in the last cell.
    """
    import numpy as np
    import shapely

    if boundary_bng is not None:
        if boundary_bng.is_empty:
            raise ValueError("boundary is empty")
        xmin, ymin, xmax, ymax = boundary_bng.bounds
    elif points_xy is not None:
        x = np.asarray(points_xy[0], dtype=float)
        y = np.asarray(points_xy[1], dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            raise ValueError("no points with coordinates to make a grid from")
        xmin, xmax = float(x[ok].min()), float(x[ok].max())
        ymin, ymax = float(y[ok].min()), float(y[ok].max())
    else:
        raise ValueError("give a boundary or points")
    cell_size, x0, y0, nx, ny = grid_dimensions(
        (xmin, ymin, xmax, ymax), cell_size, bounded=boundary_bng is not None
    )
    if boundary_bng is None:
        mask = np.ones((ny, nx), dtype=bool)
    else:
        xs = x0 + np.arange(nx) * cell_size
        ys = y0 + np.arange(ny) * cell_size
        gx, gy = np.meshgrid(xs, ys)
        boxes = shapely.box(gx, gy, gx + cell_size, gy + cell_size)
        shapely.prepare(boundary_bng)
        # A cell that only shares an edge or corner with the area is not in it.
        mask = shapely.intersects(boundary_bng, boxes) & ~shapely.touches(boundary_bng, boxes)
    return Grid(x0=float(x0), y0=float(y0), cell_size=float(cell_size), nx=nx, ny=ny, mask=mask)


def count_points(grid: Grid, x: Any, y: Any, weights: Any | None = None) -> np.ndarray:
    """Points (or their weights) per cell.

    Parameters
    ----------
    grid : Grid
    x, y : array_like
        BNG metres. Points outside the grid's rectangle or without coordinates are ignored.
    weights : array_like, optional
        One per point; default 1.

    Returns
    -------
    numpy.ndarray, shape (ny, nx), float64
        Counts for every cell of the rectangle; cells outside ``grid.mask`` are set to 0,
        because the analyses treat them as outside the area.
    """
    import numpy as np

    row, col, inside = grid.cell_of(x, y)
    w = None if weights is None else np.asarray(weights, dtype=float)[inside]
    flat = row[inside] * grid.nx + col[inside]
    counts = np.bincount(flat, weights=w, minlength=grid.nx * grid.ny).astype(float)
    counts = counts.reshape(grid.shape)
    counts[~grid.mask] = 0.0
    return counts


def cell_polygons_lonlat(grid: Grid, *, only_mask: bool = True, decimals: int = 6) -> dict[str, np.ndarray]:
    """Each kept cell's corners in longitude/latitude, for GeoJSON.

    Parameters
    ----------
    grid : Grid
    only_mask : bool
        Only the cells in ``grid.mask`` (default) or every cell of the rectangle.
    decimals : int
        Rounding of the degrees (6 decimals is ~0.1 m).

    Returns
    -------
    dict
        ``row`` and ``col`` (int arrays, length m) and ``rings``: float array (m, 5, 2) of closed
        rings (SW, SE, NE, NW, SW) as [lon, lat]; each corner is projected, so the cells are
        the true BNG squares drawn in WGS84.
    """
    import numpy as np

    rows, cols = np.nonzero(grid.mask) if only_mask else np.indices(grid.shape).reshape(2, -1)
    s = grid.cell_size
    x = grid.x0 + cols * s
    y = grid.y0 + rows * s
    cx = np.stack([x, x + s, x + s, x, x], axis=1)
    cy = np.stack([y, y, y + s, y + s, y], axis=1)
    lon, lat = to_lonlat(cx, cy)
    rings = np.round(np.stack([lon, lat], axis=2), decimals)
    return {"row": rows.astype(int), "col": cols.astype(int), "rings": rings}


def grid_features(
    grid: Grid, properties: dict[str, np.ndarray], *, only_mask: bool = True
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts, one per kept cell, with per-cell properties.

    Parameters
    ----------
    grid : Grid
    properties : dict of name -> array of shape (ny, nx)
        Values per cell. Floats that are NaN become ``None`` (JSON has no NaN); numpy scalars
        become Python ones.
    only_mask : bool
        Only cells in ``grid.mask`` (default).

    Returns
    -------
    list of dict
        ``{"type": "Feature", "geometry": Polygon, "properties": {"row", "col", **values}}``.
    """
    import numpy as np

    cells = cell_polygons_lonlat(grid, only_mask=only_mask)
    rows, cols = cells["row"], cells["col"]
    # Whole columns to Python values at once (tolist), not cell by cell: a 50,000-cell grid is
    # the analysis budget's largest, and per-value conversion was most of its answer time.
    names = ["row", "col", *properties]
    columns = [rows.tolist(), cols.tolist()]
    for values in properties.values():
        column = np.asarray(values)[rows, cols]
        converted = column.tolist()
        if column.dtype.kind == "f":
            for k in np.flatnonzero(~np.isfinite(column)).tolist():
                converted[k] = None  # JSON has no NaN or infinity
        elif column.dtype.kind == "O":
            converted = [None if isinstance(v, float) and not math.isfinite(v) else v for v in converted]
        columns.append(converted)
    rings = cells["rings"].tolist()
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": dict(zip(names, values, strict=True)),
        }
        for ring, *values in zip(rings, *columns, strict=True)
    ]
