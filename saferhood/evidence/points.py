"""The located records behind an area's analyses (hotspots, repeat locations), and what is missing.

Points come only from months the coverage rule answers with records: a month answered by a
count source has no points, and a gap has nothing. Both are listed, so every analysis can say
plainly which months it could not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saferhood.analytics.grid import to_bng
from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area, AreaLevel
from saferhood.core.months import month_range
from saferhood.crime.models import ASB, CrimeRecord
from saferhood.evidence.coverage import coverage_for
from saferhood.evidence.profiles import TYPE_ALL, TYPE_ASB, TYPE_CRIME, area_filter

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import pandas as pd
    import shapely

RECORD_COLUMNS = [
    "longitude",
    "latitude",
    "month",
    "crime_type",
    "location",
    "lsoa_code",
    "ward_code",
    "lad_code",
]


@dataclass
class AreaPoints:
    """An area's located records for a period and type, in lon/lat and British National Grid."""

    records: pd.DataFrame  # columns: lon, lat, x, y, month, crime_type, location, lsoa_code, ward_code
    months_with_points: list[str]
    months_counts_only: list[str]
    months_missing: list[str]
    without_location: int
    boundary: shapely.Geometry | None  # BNG metres
    boundary_note: str

    @property
    def caveats(self) -> list[str]:
        notes = []
        if self.months_counts_only:
            notes.append(
                f"{len(self.months_counts_only)} month(s) of this period are loaded only as counts per area "
                f"({_spans(self.months_counts_only)}), which have no locations: they are not in this analysis."
            )
        if self.months_missing:
            notes.append(
                f"No data is loaded for {len(self.months_missing)} month(s) ({_spans(self.months_missing)})."
            )
        if self.without_location:
            notes.append(f"{self.without_location:,} record(s) without a location are left out.")
        return notes


def _spans(months: list[str]) -> str:
    from saferhood.core.months import spans

    return ", ".join(a if a == b else f"{a} to {b}" for a, b in spans(months))


def area_boundary(area: Area) -> tuple[shapely.Geometry | None, str]:
    """The area's boundary in BNG metres, or None with the reason (the grid then covers the points)."""
    import numpy as np
    import shapely
    from shapely.geometry import shape

    if not area.boundary:
        return None, (
            f"no boundary is loaded for {area.name}, so the grid covers the extent of its records "
            "(every cell of their bounding box is kept)"
        )
    geom = shape(json.loads(area.boundary))
    x, y = shapely.get_coordinates(geom).T
    bx, by = to_bng(x, y)
    projected = shapely.set_coordinates(geom, np.column_stack([bx, by]))
    return projected, f"the grid is clipped to {area.name}'s boundary ({area.boundary_source})"


def type_filter(queryset, type_key: str):
    """Narrow records to a type filter key (see profiles.resolve_type)."""
    if type_key == TYPE_ALL:
        return queryset
    if type_key == TYPE_CRIME:
        return queryset.exclude(crime_type=ASB)
    if type_key == TYPE_ASB:
        return queryset.filter(crime_type=ASB)
    return queryset.filter(crime_type=type_key)


def record_query(area: Area, start: str, end: str, type_key: str):
    """The area's records behind its points, and the months by records / counts only / missing.

    Shared with the analysis budget, which counts these records before any is read.
    """
    lads = lad_codes(area)
    cov = coverage_for(lads, need_lsoa=area.level == AreaLevel.LSOA)
    months = month_range(start, end)
    covered = cov.complete_months()
    by_records = [
        m for m in months if m in covered and all(cov.choice.get((lad, m)) == "records" for lad in lads)
    ]
    counts_only = [m for m in months if m in covered and m not in by_records]
    missing = [m for m in months if m not in covered]
    # In a month answered by records, every record placed in the area counts (coverage.py).
    # Only the winning source's runs: street and API records of one month are the same crimes.
    runs = cov.record_runs(by_records)
    records = type_filter(
        CrimeRecord.objects.filter(**area_filter(area), month__in=by_records, run_id__in=runs), type_key
    )
    return records, by_records, counts_only, missing


def area_points(area: Area, start: str, end: str, type_key: str) -> AreaPoints:
    """Every located record of the area in ``start``–``end`` matching the type filter."""
    import pandas as pd

    records, by_records, counts_only, missing = record_query(area, start, end, type_key)
    rows = records.values_list(*RECORD_COLUMNS).order_by()
    frame = pd.DataFrame.from_records(list(rows), columns=RECORD_COLUMNS)
    frame = frame.rename(columns={"longitude": "lon", "latitude": "lat"})
    located = frame.lon.notna() & frame.lat.notna()
    without = int((~located).sum())
    frame = frame[located].reset_index(drop=True)
    x, y = to_bng(frame.lon.to_numpy(dtype=float), frame.lat.to_numpy(dtype=float))
    frame["x"], frame["y"] = x, y
    boundary, note = area_boundary(area)
    return AreaPoints(
        records=frame,
        months_with_points=by_records,
        months_counts_only=counts_only,
        months_missing=missing,
        without_location=without,
        boundary=boundary,
        boundary_note=note,
    )


def months_with_records(area: Area) -> list[str]:
    """Every month in which records (not only counts) answer for all of the area's local authorities."""
    lads = lad_codes(area)
    cov = coverage_for(lads, need_lsoa=area.level == AreaLevel.LSOA)
    return sorted(
        m for m in cov.complete_months() if all(cov.choice.get((lad, m)) == "records" for lad in lads)
    )
