"""No data is not zero: a period or area without loaded data gives null figures and says why.

On the profile API, the area page, the CSV downloads and the tasking pack; and a force area's
partnerships carry their own figures (they read 0 under a headline of 301,501). Expected figures
come from pandas on the bundled count files.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.core.months import month_range
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SANDWELL, SOURCE, count_files
from saferhood.crime.tests.independent_partial import loaded_totals, partial_shares
from saferhood.evidence.tests.test_partial_months import lad_month_totals
from saferhood.tasking import services
from saferhood.tasking.pack import build_pack

WEST_MIDLANDS = "E23000014"
NO_MONTH = "no data loaded for 2024-09"


@pytest.fixture
def signed_in(client: Client, db) -> Client:
    client.force_login(get_user_model().objects.create_user("analyst-no-data", password="x-long-password-1"))
    return client


def profile(client: Client, code: str, start: str, end: str) -> dict:
    response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
    assert response.status_code == 200, response.content
    return response.json()


def csv_rows(client: Client, name: str, query: dict) -> list[dict]:
    response = client.get(f"/areas/{SANDWELL}/download/{name}.csv", query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_month_without_data_is_null_with_its_reason_everywhere(signed_in: Client, db) -> None:
    import_counts(count_files("2024-08", "2024-10"), source=SOURCE, progress=False)
    # The 2024-09 file holds no Sandwell row at all (SOURCE.md): nothing is loaded for Sandwell then.
    frame = pd.read_csv(count_files("2024-09", "2024-09")[0])
    assert (frame.borough == "Sandwell").sum() == 0
    query = {"from": "2024-09", "to": "2024-09"}

    body = profile(signed_in, SANDWELL, "2024-09", "2024-09")
    assert (body["crimes"], body["asb"], body["rate_per_1000"]) == (None, None, None)
    assert body["no_data_reason"] == NO_MONTH
    assert body["gap_reasons"] == [{"month": "2024-09", "reason": NO_MONTH}]
    assert body["children"] and all(
        (c["crimes"], c["asb"], c["rate_per_1000"], c["no_data_reason"]) == (None, None, None, NO_MONTH)
        for c in body["children"]
    )

    html = signed_in.get(f"/areas/{SANDWELL}/", query).content.decode()
    for key in ("crimes", "asb", "rate"):
        assert re.search(rf'data-testid="{key}">No data<', html), key
    assert f"No data: {NO_MONTH}." in html
    assert html.count('data-testid="child-no-data"') == len(body["children"])
    assert 'data-testid="child-crimes">0<' not in html

    children = csv_rows(signed_in, "children", query)
    assert children and all(
        (r["crimes"], r["asb"], r["crimes_per_1000"], r["no_data_reason"]) == ("", "", "", NO_MONTH)
        for r in children
    )
    [month] = csv_rows(signed_in, "series", query)
    assert (month["crimes"], month["asb"], month["gap_reason"]) == ("", "", NO_MONTH)


def test_a_period_with_no_data_at_all_says_so(client: Client, db) -> None:
    import_counts(count_files("2025-01", "2025-02"), source=SOURCE, progress=False)
    body = profile(client, SANDWELL, "2019-01", "2019-12")
    assert body["crimes"] is None and body["asb"] is None and body["by_type"] == {}
    assert body["no_data_reason"] == "this area has no data for any month of the period (2019-01 to 2019-12)"
    assert body["previous"]["crimes"] is None
    assert body["previous"]["no_data_reason"].startswith("this area has no data for any month")
    assert [g["month"] for g in body["gap_reasons"]] == month_range("2019-01", "2019-12")


def test_the_tasking_pack_says_no_data_not_zero(client: Client, db) -> None:
    # Loaded: 2024-09 (no Sandwell rows) and 2024-10; the pack covers 2024-07 … 2024-09.
    import_counts(count_files("2024-09", "2024-10"), source=SOURCE, progress=False)
    chair = make_user("no-data-chair", "police", "tasking_chair")
    meeting = services.create_meeting(
        kind="borough",
        area=Area.objects.get(code=SANDWELL),
        on=datetime.date(2024, 10, 14),
        chairs="Chief Inspector",
        by=chair,
    )
    services.set_pack_period(meeting, "2024-07", "2024-09", by=chair)
    pack = build_pack(meeting)
    reason = "this area has no data for any month of the period (2024-07 to 2024-09)"
    assert (pack["headline"]["crimes"], pack["headline"]["asb"]) == (None, None)
    assert pack["headline"]["no_data_reason"] == reason
    assert pack["asb_demand"]["count"] is None
    assert all(c["crimes"] is None for c in pack["impact_areas"])

    client.force_login(chair)
    html = client.get(f"/tasking/meetings/{meeting.pk}/pack/").content.decode()
    assert f"No data: {reason}." in html
    assert re.search(r'data-testid="pack-crimes">No data<', html)
    assert re.search(r'data-testid="pack-asb">No data<', html)


def test_force_area_partnerships_are_counted_over_the_headlines_months(client: Client, db) -> None:
    import_counts(count_files("2024-09", "2025-09"), source=SOURCE, progress=False)
    totals = loaded_totals(lad_month_totals("2024-09", "2025-09"))
    partial = partial_shares(totals)
    period = month_range("2024-10", "2025-09")
    lads = sorted(totals.index.get_level_values(0).unique())
    assert len(lads) == 7
    # The headline's months: those loaded, and not partial, in every one of the seven boroughs.
    covered = [m for m in period if all((lad, m) in totals.index and (lad, m) not in partial for lad in lads)]
    assert covered == [m for m in period if m not in ("2024-10", "2025-03")]

    body = profile(client, WEST_MIDLANDS, "2024-10", "2025-09")
    assert body["gaps"] == ["2024-10", "2025-03"]
    why = {g["month"]: g["reason"] for g in body["gap_reasons"]}
    assert "no data loaded for 2025-03 in Coventry" in why["2025-03"]
    assert "partial month: 36% of the usual in Birmingham" in why["2025-03"]
    in_covered = totals[totals.index.get_level_values(1).isin(covered)]
    assert body["crimes"] + body["asb"] == int(in_covered.sum())

    # Each partnership (one borough each here) over the same months: never 0, and they add up.
    children = {c["code"]: c for c in body["children"]}
    assert len(children) == 7
    csp_of = dict(Area.objects.filter(parent__code=WEST_MIDLANDS).values_list("code", "name"))
    by_lad = in_covered.groupby(level=0).sum()
    lad_names = dict(Area.objects.filter(code__in=lads).values_list("code", "name"))
    for code, child in children.items():
        lad = next(lad for lad in lads if lad_names[lad] == csp_of[code])
        assert child["crimes"] + child["asb"] == int(by_lad[lad]), child["name"]
        assert child["crimes"] > 0 and child["rate_per_1000"] > 0
    assert sum(c["crimes"] for c in children.values()) == body["crimes"]
    assert sum(c["asb"] for c in children.values()) == body["asb"]
