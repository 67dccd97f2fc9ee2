"""Reading the located police.uk records around candidate sites, for scoring and evaluation.

Records are read by a box around the sites, whatever area they were placed in: a camera near a
ward or borough edge sees both sides of it. Only months the coverage rule answers with records
are read — a month loaded only as counts per area has no points — and the months left out are
named so the pages can say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from saferhood.analytics.grid import to_bng
from saferhood.areas.lookup import lad_codes
from saferhood.areas.models import Area
from saferhood.core.months import month_range, spans
from saferhood.crime.models import CrimeRecord, ImportRun
from saferhood.evidence.coverage import coverage_for
from saferhood.evidence.points import months_with_records

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["lon", "lat", "month", "crime_type"]
SNAP_CAVEAT = (
    "Police.uk moves each record to an anonymous snap point ('On or near ...'), so a record counted "
    "within the radius may have happened up to a street away, and one just outside may be inside."
)


def records_near(
    lon: Sequence[float], lat: Sequence[float], months: Sequence[str], radius: float, area: Area
) -> pd.DataFrame:
    """Every located record in ``months`` within a box around the sites, with BNG ``x``, ``y``.

    The box is padded by half as much again as the radius, so every record within the radius
    of a site is in it (the exact circle is tested in BNG by ``analytics.cctv``). Each month is
    read from the one kind of record (street files or API JSON) that coverage chose for ``area``.
    """
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(columns=[*COLUMNS, "x", "y"])
    if not len(lon) or not months:
        return frame
    lat_pad = 1.5 * radius / 111_000
    lon_pad = 1.5 * radius / (111_000 * math.cos(math.radians(max(abs(v) for v in lat))))
    rows = (
        CrimeRecord.objects.filter(
            month__in=list(months),
            longitude__gte=min(lon) - lon_pad,
            longitude__lte=max(lon) + lon_pad,
            latitude__gte=min(lat) - lat_pad,
            latitude__lte=max(lat) + lat_pad,
        )
        .order_by()
        .values_list("longitude", "latitude", "month", "crime_type", "run__kind")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=[*COLUMNS, "kind"])
    frame = _one_source(frame, list(months), area)[COLUMNS].reset_index(drop=True)
    x, y = to_bng(frame.lon.to_numpy(dtype=float), frame.lat.to_numpy(dtype=float))
    frame["x"], frame["y"] = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return frame


def _one_source(frame: pd.DataFrame, months: list[str], area: Area) -> pd.DataFrame:
    """Keep each month's records of the kind coverage chose for the area (street over API JSON).

    Street files and API JSON of one month hold the same crimes: read both and every incident near
    a camera would count twice. The choice is by kind, not run, so records of a neighbouring force
    (BTP beside a county force) and records placed in no area still count once each.
    """
    cov = coverage_for(lad_codes(area))
    winners = cov.record_runs(months)
    kinds = ImportRun.objects.filter(pk__in=winners).values_list("month", "kind").distinct()
    chosen = {(month, kind) for month, kind in kinds}
    if not chosen:
        return frame
    keep = [(m, k) in chosen for m, k in zip(frame.month, frame.kind, strict=True)]
    return frame[keep]


def spans_text(months: Sequence[str]) -> str:
    """['2022-01', '2022-02', '2022-05'] → '2022-01 to 2022-02, 2022-05'."""
    return ", ".join(a if a == b else f"{a} to {b}" for a, b in spans(list(months)))


def site_xy(lon: float, lat: float) -> tuple[float, float]:
    import numpy as np

    x, y = to_bng(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


def record_months(area: Area) -> list[str]:
    """Months answered by located records in every one of the area's local authorities."""
    return months_with_records(area)


def months_not_seen(area: Area, start: str, end: str, used: Sequence[str]) -> tuple[list[str], list[str]]:
    """Months from ``start`` to ``end`` not read: (loaded only as counts, not loaded at all)."""
    cov = coverage_for(lad_codes(area))
    complete = cov.complete_months()
    skipped = [m for m in month_range(start, end) if m not in set(used)]
    return [m for m in skipped if m in complete], [m for m in skipped if m not in complete]
