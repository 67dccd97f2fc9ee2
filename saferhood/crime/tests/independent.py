"""Figures computed without Saferhood's code, for tests to compare pages and the API against.

pandas reads the bundled count files and places each LSOA 2021 with the ONS-derived lookups
(LSOA21 → ward 2025, ward → town) straight from demo/.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from django.conf import settings

from saferhood.core.months import month_range

DEMO = Path(settings.SAFERHOOD_DEMO_DIR)
COUNTS = DEMO / "police-uk-api-wm-lsoa21-monthly-counts-2023-2026" / "birmingham"
GEO = DEMO / "geography"
# The bundled 2022 street files (Staffordshire, Warwickshire, BTP) and the LSOA 2011 → ward lookup.
STREET_2022 = DEMO / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
LSOA11_WARD_LOOKUP = GEO / "ons-lookup-lsoa11-ward-lad" / "LSOA11_WD21_LAD21_EW_LU.csv"
SOURCE = "police.uk API counts (UK Crime Explorer)"
SANDWELL = "E08000028"
ASB = "Anti-social behaviour"


def count_files(start: str, end: str) -> list[Path]:
    return [COUNTS / f"{m}.csv" for m in month_range(start, end) if (COUNTS / f"{m}.csv").exists()]


def sandwell_counts(start: str, end: str) -> pd.DataFrame:
    """Sandwell's count rows for the months, each with its ward (wd25cd) and town."""
    frame = pd.concat(
        [pd.read_csv(p, dtype={"lsoa_code": str, "crime_count": int}) for p in count_files(start, end)],
        ignore_index=True,
    )
    frame["period"] = frame.year.astype(str) + "-" + frame.month.map("{:02d}".format)
    lookup = pd.read_excel(GEO / "bcc-phm-lsoa21-ward25-imd25" / "lsoa21-lookup.xlsx", dtype=str)
    towns = pd.read_csv(GEO / "sandwell-six-towns" / "sandwell_ward_to_town_DERIVED.csv", dtype=str)
    frame = frame.merge(lookup[["lsoa21cd", "wd25cd", "lad25cd"]], left_on="lsoa_code", right_on="lsoa21cd")
    frame = frame[frame.lad25cd == SANDWELL].copy()
    frame["town"] = frame.wd25cd.map(dict(zip(towns.ward_code, towns.town, strict=True)))
    assert frame.town.notna().all()
    return frame


def crimes_and_asb(frame: pd.DataFrame) -> tuple[int, int]:
    asb = int(frame.loc[frame.category == ASB, "crime_count"].sum())
    return int(frame.crime_count.sum()) - asb, asb


def sandwell_populations() -> pd.DataFrame:
    """Mid-2022 residents per Sandwell LSOA 2021, with its ward and town."""
    pops = pd.read_csv(
        GEO / "ons-lookup-lsoa11-lsoa21-population" / "lsoa_population.csv",
        dtype={"lsoacd": str},
        encoding="utf-8-sig",
    )
    lookup = pd.read_excel(GEO / "bcc-phm-lsoa21-ward25-imd25" / "lsoa21-lookup.xlsx", dtype=str)
    towns = pd.read_csv(GEO / "sandwell-six-towns" / "sandwell_ward_to_town_DERIVED.csv", dtype=str)
    frame = lookup[lookup.lad25cd == SANDWELL][["lsoa21cd", "wd25cd"]].merge(
        pops, left_on="lsoa21cd", right_on="lsoacd"
    )
    frame["town"] = frame.wd25cd.map(dict(zip(towns.ward_code, towns.town, strict=True)))
    return frame
