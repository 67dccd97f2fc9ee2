"""Stafford's 2022 police.uk records, loaded and read independently, and users with roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.conf import settings
from pyproj import Transformer

from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.crime.importers import import_police

STREET = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
STAFFORD = "E07000197"

# Real places in Stafford (lon, lat): the town centre is busiest, Weston Road less so, a
# residential street in Rowley Park least.
SITES = {
    "Market Square, Stafford": (-2.1168, 52.8066),
    "Weston Road, Stafford": (-2.0803, 52.8130),
    "Rowley Park, Stafford": (-2.1245, 52.7995),
}


def street_files() -> list[Path]:
    return sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv"))


@pytest.fixture(scope="session")
def records() -> pd.DataFrame:
    """Every located row of the Staffordshire files, with British National Grid x, y (pyproj)."""
    frame = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in street_files()], ignore_index=True
    )
    frame = frame[frame.Longitude != ""].copy()
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    frame["x"], frame["y"] = to_bng.transform(
        frame.Longitude.astype(float).to_numpy(), frame.Latitude.astype(float).to_numpy()
    )
    return frame.reset_index(drop=True)


def near(records: pd.DataFrame, lon: float, lat: float, radius: float = 200) -> pd.DataFrame:
    """The rows within ``radius`` metres of a point, by plain Euclidean distance in BNG."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    return records[(records.x - x) ** 2 + (records.y - y) ** 2 <= radius**2]


@pytest.fixture
def loaded(db) -> None:
    import_police(street_files(), progress=False)


@pytest.fixture
def stafford(db) -> Area:
    return Area.objects.get(code=STAFFORD)


@pytest.fixture
def officer(db) -> Any:
    return make_user("cctv-officer", "council-asb", "officer", password="officer-password-2026")


@pytest.fixture
def viewer(db) -> Any:
    return make_user("cctv-viewer", "housing", "viewer", password="viewer-password-2026")
