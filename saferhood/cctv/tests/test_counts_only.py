"""Months loaded only as counts per area have no points: the ranking leaves them out and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.test import Client
from pyproj import Transformer

from saferhood.accounts.models import Agency
from saferhood.areas.models import Area
from saferhood.cctv import services
from saferhood.crime.importers import import_police
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SOURCE, count_files

API_JSON = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
OWEN_STREET = (-2.0446, 52.5290)  # Tipton town centre


def api_records() -> pd.DataFrame:
    rows = [
        (r["id"], float(r["location"]["longitude"]), float(r["location"]["latitude"]), r["month"])
        for path in sorted(API_JSON.glob("*.json"))
        for r in json.loads(path.read_text())
        if r.get("location")
    ]
    # A record near a ward edge comes back for both wards: one incident per police.uk id.
    frame = pd.DataFrame(rows, columns=["id", "lon", "lat", "month"]).drop_duplicates("id")
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    frame["x"], frame["y"] = to_bng.transform(frame.lon.to_numpy(), frame.lat.to_numpy())
    return frame


def test_counts_only_months_are_named_and_not_scored(db, officer) -> None:
    import_police(sorted(API_JSON.glob("*.json")), progress=False)
    import_counts(count_files("2025-07", "2025-09"), source=SOURCE, progress=False)
    services.request_deployment(
        place_name="Owen Street, Tipton",
        longitude=OWEN_STREET[0],
        latitude=OWEN_STREET[1],
        requesting_agency=Agency.objects.get(slug="council-asb"),
        reason="Nuisance bikes",
        by=officer,
    )
    ranking = services.rank_requests(Area.objects.get(code="tipton"))
    frame = api_records()
    assert ranking.months_used == sorted(frame.month.unique()) == ["2018-06"]
    assert ranking.months_counts_only == ["2025-07", "2025-08", "2025-09"]
    assert ranking.months_missing[0] == "2018-07" and ranking.months_missing[-1] == "2025-06"
    caveat = " ".join(ranking.caveats)
    assert "only as counts per area (2025-07 to 2025-09)" in caveat and "2018-07 to 2025-06" in caveat

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(*OWEN_STREET)
    want = int(((frame.x - x) ** 2 + (frame.y - y) ** 2 <= 200**2).sum())
    assert ranking.ranked[0].incidents == want > 0

    client = Client()
    client.force_login(officer)
    html = client.get("/cctv/", {"area": "tipton"}).content.decode()
    assert "only as counts per area (2025-07 to 2025-09)" in html


@pytest.fixture
def officer(db):
    from saferhood.accounts.tests.conftest import make_user

    return make_user("tipton-officer", "council-asb", "officer")
