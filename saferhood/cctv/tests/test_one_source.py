"""A month loaded both as street files and as API JSON counts its incidents once near a camera.

police.uk publishes the same crimes twice over: the monthly street files and the API. An analyst
who loads both for a month must not see every incident within 200 m counted twice, and the
ranking that decides where a camera goes must not double the evidence of that month.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from saferhood.areas.models import Area
from saferhood.cctv import services
from saferhood.cctv.tests.conftest import SITES, STREET, near
from saferhood.cctv.tests.test_services import LATEST_SIX, make_requests
from saferhood.crime.importers import import_police
from saferhood.crime.models import CRIME_TYPES, CrimeRecord

MONTH = "2022-09"  # one of the six months the ranking reads


def api_json_of_the_street_file(folder: Path) -> Path:
    """The Staffordshire street file of MONTH rewritten as the API's crimes-street JSON (same crimes)."""
    rows = pd.read_csv(STREET / MONTH / f"{MONTH}-staffordshire-street.csv", dtype=str, keep_default_na=False)
    slug = {name: key for key, name in CRIME_TYPES.items()}
    records = [
        {
            "category": slug[row["Crime type"]],
            "location_type": "Force",
            "location": {
                "latitude": row["Latitude"],
                "longitude": row["Longitude"],
                "street": {"id": i, "name": row["Location"]},
            },
            "context": row["Context"],
            "outcome_status": {"category": row["Last outcome category"], "date": MONTH},
            "persistent_id": row["Crime ID"],
            "id": 10_000_000 + i,
            "location_subtype": "",
            "month": MONTH,
        }
        for i, row in enumerate(rows.to_dict("records"), start=1)
        if row["Longitude"]
    ]
    path = folder / f"output_month_{MONTH.replace('-', '_')}_area_E07000197_0.json"
    path.write_text(json.dumps(records))
    return path


def test_incidents_near_a_request_count_once_when_both_sources_are_loaded(
    loaded: None, stafford: Area, officer: Any, records: pd.DataFrame, tmp_path: Path
) -> None:
    make_requests(officer, stafford)
    import_police([api_json_of_the_street_file(tmp_path)], progress=False)
    in_month = CrimeRecord.objects.filter(month=MONTH)
    located_street = in_month.filter(run__kind="street", run__force="staffordshire", longitude__isnull=False)
    assert in_month.filter(run__kind="api").count() == located_street.count() > 0  # the same crimes twice

    ranking = services.rank_requests(stafford)
    assert ranking.months_used == LATEST_SIX and MONTH in ranking.months_used
    recent = records[records.Month.isin(LATEST_SIX)]
    want = {name: len(near(recent, lon, lat)) for name, (lon, lat) in SITES.items()}
    assert want["Market Square, Stafford"] > 0 and len(
        near(recent[recent.Month == MONTH], *SITES["Market Square, Stafford"])
    )
    assert {r.request.place_name: r.incidents for r in ranking.ranked} == want
