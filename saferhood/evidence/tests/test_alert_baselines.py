"""Alerts state their baseline and show the recent months beside "expected" (Sandwell counts, 2025-04 … 2025-10).

Every figure is recomputed with pandas from the bundled count files and the ONS-derived lookups:
a town's count of a type in each of the three months before the tested one, and their mean.
Smethwick's shoplifting in 2025-10 (75) is an alert under both baselines: against the mean of the
six earlier months (33.2) and against the previous three (34, 47, 34: 38.3).
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape

from saferhood.analytics.alerts import BASELINES
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SANDWELL, SOURCE, count_files, sandwell_counts

MONTH = "2025-10"
PREVIOUS = ["2025-07", "2025-08", "2025-09"]
HISTORY = ["2025-04", "2025-05", "2025-06", *PREVIOUS]
ALERTS = f"/api/v1/areas/{SANDWELL}/alerts"


@pytest.fixture(scope="module")
def files() -> pd.DataFrame:
    frame = sandwell_counts("2025-04", MONTH)
    frame["slug"] = frame.town.str.lower().str.replace(" ", "-")
    return frame


@pytest.fixture
def loaded(db) -> None:
    import_counts(count_files("2025-04", MONTH), source=SOURCE, progress=False)


def town_months(files: pd.DataFrame, town: str, crime_type: str, months: list[str] = PREVIOUS) -> list[dict]:
    """The town's count of the type in each of the months, from the files."""
    sub = files[(files.slug == town) & (files.category == crime_type)]
    per_month = sub.groupby("period").crime_count.sum().reindex(months, fill_value=0)
    return [{"month": m, "observed": int(n)} for m, n in per_month.items()]


def assert_never_zero(alert: dict) -> None:
    assert alert["probability"] > 0 and alert["p_adj"] > 0
    for text in (alert["p_value_text"], alert["p_adj_text"]):
        assert text == "< 0.001" or float(text) > 0


def test_recent_baseline_expects_the_mean_of_the_previous_three_months(
    client: Client, loaded, files: pd.DataFrame
) -> None:
    body = client.get(ALERTS, {"from": MONTH, "to": MONTH, "baseline": "recent"}).json()
    assert body["parameters"]["baseline"] == "recent" and body["baseline"] == BASELINES["recent"]
    assert body["alerts"], "no alert under the recent-months baseline"
    for alert in body["alerts"]:
        recent = town_months(files, alert["area"]["code"], alert["crime_type"])
        assert alert["recent_months"] == recent
        mean = sum(r["observed"] for r in recent) / 3
        assert alert["expected"] == pytest.approx(mean, abs=0.005)
        assert alert["baseline"] == "the mean of the previous 3 published months (2025-07, 2025-08, 2025-09)"
        assert alert["baseline"] in alert["sentence"] and "3 published months" in body["method"]
        assert_never_zero(alert)


def test_seasonal_alerts_show_the_recent_months_beside_expected(
    client: Client, loaded, files: pd.DataFrame
) -> None:
    body = client.get(ALERTS, {"from": MONTH, "to": MONTH}).json()
    assert body["parameters"]["baseline"] == "seasonal" and body["baseline"] == BASELINES["seasonal"]
    assert body["alerts"]
    for alert in body["alerts"]:
        recent = town_months(files, alert["area"]["code"], alert["crime_type"])
        assert alert["recent_months"] == recent
        # Six months of history: too few for the seasonal model, so their mean, said so.
        assert alert["baseline"] == "the mean of the previous 6 published months"
        history = town_months(files, alert["area"]["code"], alert["crime_type"], HISTORY)
        assert alert["expected"] == pytest.approx(sum(r["observed"] for r in history) / 6, abs=0.005)
        said = ", ".join(f"{r['observed']:,} ({r['month']})" for r in recent[:2])
        assert (
            f"the previous published months had {said} and {recent[2]['observed']:,} (2025-09)"
            in alert["sentence"]
        )
        assert_never_zero(alert)


@pytest.mark.parametrize("value", ["yearly", "Recent", ""])
def test_a_bad_baseline_is_a_422_naming_it(client: Client, db, value: str) -> None:
    response = client.get(ALERTS, {"to": MONTH, "baseline": value})
    assert response.status_code == 422, response.content
    assert "'baseline'" in response.json()["detail"]


def test_the_baseline_choices_are_in_the_schema(client: Client, db) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    params = schema["paths"]["/api/v1/areas/{code}/alerts"]["get"]["parameters"]
    (baseline,) = [p for p in params if p["name"] == "baseline"]
    assert baseline["schema"]["enum"] == list(BASELINES) and baseline["schema"]["default"] == "seasonal"
    assert "previous 3 published months" in baseline["description"]


@pytest.fixture
def signed_in(client: Client, db) -> Client:
    client.force_login(
        get_user_model().objects.create_user("analyst-baselines", password="x-long-password-1")
    )
    return client


def test_the_page_states_the_baseline_and_the_recent_months(
    signed_in: Client, loaded, files: pd.DataFrame
) -> None:
    html = signed_in.get(
        f"/areas/{SANDWELL}/", {"from": "2025-04", "to": MONTH, "baseline": "recent"}
    ).content.decode()
    assert '<option value="recent" selected>' in html
    assert f'data-testid="alerts-baseline">{BASELINES["recent"]}<' in html
    rows = re.findall(
        r'data-area="([^"]+)" data-type="([^"]+)" data-observed="(\d+)" data-expected="([\d.]+)">(.*?)</tr>',
        html,
        re.S,
    )
    assert rows, "no alerts on the page"
    for town, crime_type, _observed, expected, row in rows:
        crime_type = crime_type.replace("&#x27;", "'")
        recent = town_months(files, town, crime_type)
        shown = re.findall(r'data-month="([\d-]+)" data-observed="(\d+)"', row)
        assert shown == [(r["month"], str(r["observed"])) for r in recent]
        assert float(expected) == pytest.approx(sum(r["observed"] for r in recent) / 3, abs=0.005)
        assert "from the mean of the previous 3 published months (2025-07, 2025-08, 2025-09)" in row
        p = re.search(r'data-testid="alert-p">p (= |)([^<]+)<', row).group(2)
        assert p == "< 0.001" or float(p) > 0
    # The download carries the same baseline and recent months.
    csv_text = signed_in.get(
        f"/areas/{SANDWELL}/download/alerts.csv", {"baseline": "recent"}
    ).content.decode()
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["area_code"], r["crime_type"]) for r in table][: len(rows)] == [(t, c) for t, c, *_ in rows]
    first = table[0]
    recent = town_months(files, first["area_code"], first["crime_type"])
    assert first["previous_months"] == " | ".join(f"{r['month']}: {r['observed']}" for r in recent)
    assert float(first["probability"]) > 0 and float(first["p_adjusted"]) > 0


def test_a_bad_baseline_on_the_page_names_the_field(signed_in: Client, db) -> None:
    response = signed_in.get(f"/areas/{SANDWELL}/", {"baseline": "yearly"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#baseline"' in html and "must be seasonal or recent" in html


def test_the_tasking_pack_states_the_baseline_and_the_recent_months(
    client: Client, loaded, files: pd.DataFrame
) -> None:
    import datetime

    from saferhood.accounts.tests.conftest import make_user
    from saferhood.areas.models import Area
    from saferhood.tasking import services

    chair = make_user("pack-chair-baselines", "police", "tasking_chair")
    meeting = services.create_meeting(
        kind="borough",
        area=Area.objects.get(code=SANDWELL),
        on=datetime.date(2025, 12, 1),
        chairs="CI",
        by=chair,
    )
    assert meeting.period_to == MONTH
    client.force_login(chair)
    html = client.get(f"/tasking/meetings/{meeting.pk}/pack/").content.decode()
    assert escape(f"Each month is judged against {BASELINES['seasonal']}") in html
    recent = town_months(files, "smethwick", "Shoplifting")
    said = ", ".join(f"{r['observed']} ({r['month']})" for r in recent[:2])
    assert f"Shoplifting in Smethwick in {MONTH}: 75 recorded" in html
    assert f"the previous published months had {said} and {recent[2]['observed']} (2025-09)" in html
