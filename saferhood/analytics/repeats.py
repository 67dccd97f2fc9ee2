"""Repeat locations: police.uk snap points ranked by count (pure: no Django).

Police.uk does not publish where a crime happened: each record is moved to the nearest of a
set of anonymous map points (a street centre, a public place, a venue), named "On or near …".
A snap point gathers every address near it, so a "repeat location" here is a snap point, which
may stand for several premises or a stretch of street, not a single premises. The output
carries that caveat on every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The numerical libraries are imported inside the functions that use them, so that importing
# this module (every command and the URLconf do) stays cheap: tests/test_startup_imports.py.
if TYPE_CHECKING:
    import pandas as pd

SNAP_POINT_CAVEAT = (
    "Police.uk moves each record to an anonymous map point ('On or near ...') that gathers several "
    "addresses, so a repeat location is a snap point, not necessarily one premises."
)


def repeat_locations(
    records: pd.DataFrame,
    *,
    location: str = "location",
    lon: str = "lon",
    lat: str = "lat",
    month: str = "month",
    decimals: int = 6,
    top: int | None = None,
) -> pd.DataFrame:
    """Snap points ranked by how many of the records fall on them.

    A snap point is the published point (its coordinates), not its label: police.uk sometimes
    labels one point two ways ("On or near Parking Area" and "On or near"; a station by two
    names), and those records are one place, so they are counted together and every label is kept.

    Parameters
    ----------
    records : pandas.DataFrame
        The area's records for one crime type and period (the caller filters), one row each.
    location, lon, lat, month : str
        Column names: location text ("On or near Foo Street"), WGS84 degrees, "YYYY-MM".
    decimals : int
        Coordinates are rounded to this many decimals to form the snap point. police.uk publishes
        6 (about 10 cm), so the default keys on the published point exactly and reports it as
        published; the rounding only absorbs float noise.
    top : int, optional
        Keep only this many rows.

    Returns
    -------
    pandas.DataFrame
        One row per snap point = (rounded lon, rounded lat), sorted by count (ties by label):
        ``rank`` (ties share the lower rank), ``location`` (the label most of its records carry,
        ties alphabetical; '' when none has a label), ``labels`` (every non-empty label given to
        the point, most records first), ``lon``, ``lat``, ``count``, ``share`` (of all the
        records passed, including those without a location, so shares sum to at most 1),
        ``months_active`` (distinct months with a record), ``first_month``, ``last_month``,
        ``snap_point`` (always True) and ``caveat``.
    """
    import numpy as np
    import pandas as pd

    total = len(records)
    columns = [
        "rank",
        "location",
        "labels",
        "lon",
        "lat",
        "count",
        "share",
        "months_active",
        "first_month",
        "last_month",
        "snap_point",
        "caveat",
    ]
    # Months as sorted integer codes: grouping on numbers, not strings, keeps this fast.
    month_codes, month_names = pd.factorize(records[month].astype(str), sort=True)
    df = pd.DataFrame(
        {
            "location": records[location]
            .astype(object)
            .where(records[location].notna(), "")
            .astype(str)
            .str.strip(),
            "lon": pd.to_numeric(records[lon], errors="coerce").round(decimals),
            "lat": pd.to_numeric(records[lat], errors="coerce").round(decimals),
            "month": month_codes,
        }
    )
    # Records without a point cannot be a repeat location, but still count in the area total.
    df = df.dropna(subset=["lon", "lat"])
    if df.empty:
        return pd.DataFrame(columns=columns)
    out = (
        df.groupby(["lon", "lat"], sort=False)
        .agg(
            count=("month", "size"),
            months_active=("month", "nunique"),
            first_month=("month", "min"),
            last_month=("month", "max"),
        )
        .reset_index()
    )
    out = out.merge(_labels(df), on=["lon", "lat"], how="left")
    out["labels"] = out["labels"].map(lambda v: v if isinstance(v, list) else [])
    out["location"] = out["labels"].map(lambda v: v[0] if v else "")
    names = np.asarray(month_names, dtype=object)
    out["first_month"] = names[out["first_month"].to_numpy()]
    out["last_month"] = names[out["last_month"].to_numpy()]
    out = out.sort_values(["count", "location", "lon", "lat"], ascending=[False, True, True, True])
    out["rank"] = out["count"].rank(method="min", ascending=False).astype(int)
    out["share"] = out["count"] / total
    out["snap_point"] = True
    out["caveat"] = SNAP_POINT_CAVEAT
    out = out[columns].reset_index(drop=True)
    out["count"] = out["count"].astype(int)
    out["months_active"] = out["months_active"].astype(int)
    return out.head(top) if top is not None else out


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    """Each point's non-empty labels, the one most of its records carry first (ties alphabetical)."""
    named = df[df["location"] != ""]
    per_label = named.groupby(["lon", "lat", "location"], sort=False).size().rename("n").reset_index()
    per_label = per_label.sort_values(["lon", "lat", "n", "location"], ascending=[True, True, False, True])
    return per_label.groupby(["lon", "lat"], sort=False)["location"].agg(list).rename("labels").reset_index()
