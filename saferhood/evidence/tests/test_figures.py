"""The charts, maps, tables and downloads of an area page, checked against pandas on the bundled files.

Every figure a user can read off a chart (a point's value, a bar, a shaded area), a table or a
download is compared with the same figure computed independently from demo/ by pandas.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.core.months import month_range
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import (
    SANDWELL,
    SOURCE,
    count_files,
    crimes_and_asb,
    sandwell_counts,
    sandwell_populations,
)

SVG = "{http://www.w3.org/2000/svg}"
PERIOD = month_range("2025-04", "2026-03")


@pytest.fixture(scope="module")
def files() -> pd.DataFrame:
    return sandwell_counts("2025-01", "2026-03")


@pytest.fixture
def signed_in(client: Client, db) -> Client:
    client.force_login(get_user_model().objects.create_user("analyst-figures", password="x-long-password-1"))
    return client


@pytest.fixture
def loaded(db) -> None:
    import_counts(count_files("2025-01", "2026-03"), source=SOURCE, progress=False)


def svg_of(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id!r} on the page"
    return ET.fromstring(match.group(0))


def points(svg: ET.Element, series: str) -> dict[str, int]:
    group = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == f"series-{series}")
    return {c.get("data-month"): int(c.get("data-value")) for c in group.iter(f"{SVG}circle")}


def gaps_drawn(svg: ET.Element) -> list[str]:
    return [r.get("data-month") for r in svg.iter(f"{SVG}rect") if r.get("class") == "gap"]


def rate(n: int, population: int) -> float:
    return round(1000.0 * n / population, 2)


def by_month(frame: pd.DataFrame, key: int) -> dict[str, int]:
    return {m: crimes_and_asb(g)[key] for m, g in frame.groupby("period")}


def test_overview_charts_map_and_tables_equal_the_files(signed_in: Client, loaded, files) -> None:
    html = signed_in.get(f"/areas/{SANDWELL}/").content.decode()
    now = files[files.period.isin(PERIOD)]
    crimes, asb = crimes_and_asb(now)
    assert re.search(rf'data-testid="crimes">{crimes:,}<', html)
    assert re.search(rf'data-testid="asb">{asb:,}<', html)

    # Trend: this period's points, and a year earlier only where the files have months (2025-01…03).
    trend = svg_of(html, "trend-chart")
    assert points(trend, "current") == by_month(now, 0)
    assert points(trend, "before") == by_month(files[files.period < "2025-04"], 0)
    assert gaps_drawn(trend) == []  # the period itself is complete

    # Every month with data: 2025-01 … 2026-03, none missing.
    history = svg_of(html, "history-chart")
    assert points(history, "current") == by_month(files, 0)

    # By type: one bar per type, the value the files give.
    bars = {
        g.get("data-label"): int(g.get("data-value"))
        for g in svg_of(html, "by-type-chart").iter(f"{SVG}g")
        if g.get("class") == "bar"
    }
    assert bars == now.groupby("category").crime_count.sum().astype(int).to_dict()

    # Map of towns shaded by crimes per 1,000 residents (mid-2022).
    pops = sandwell_populations().groupby("town").population.sum()
    expected_rates = {
        town: rate(crimes_and_asb(group)[0], int(pops[town])) for town, group in now.groupby("town")
    }
    shaded = {
        p.get("data-code"): float(p.get("data-value"))
        for p in svg_of(html, "children-map").iter(f"{SVG}path")
    }
    assert shaded == {town.lower().replace(" ", "-"): r for town, r in expected_rates.items()}
    table_rates = dict(re.findall(r'data-code="([a-z-]+)".*?data-testid="child-rate">([\d.,]+)<', html, re.S))
    assert {k: float(v) for k, v in table_rates.items()} == shaded


def test_downloads_carry_the_same_figures(signed_in: Client, loaded, files) -> None:
    now = files[files.period.isin(PERIOD)]
    query = {"from": "2025-04", "to": "2026-03"}
    base = f"/areas/{SANDWELL}/download"

    response = signed_in.get(f"{base}/by-type.csv", query)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["crime_type"]: int(r["count_2025-04_to_2026-03"]) for r in rows} == (
        now.groupby("category").crime_count.sum().astype(int).to_dict()
    )

    rows = list(csv.DictReader(io.StringIO(signed_in.get(f"{base}/series.csv", query).content.decode())))
    assert [r["month"] for r in rows] == PERIOD
    assert {r["month"]: int(r["asb"]) for r in rows} == by_month(now, 1)
    earlier = {r["month_a_year_earlier"]: r["crimes_a_year_earlier"] for r in rows}
    assert earlier["2024-04"] == ""  # not loaded: empty, not 0
    assert int(earlier["2025-02"]) == by_month(files, 0)["2025-02"]

    collection = json.loads(signed_in.get(f"{base}/children.geojson", query).content)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 6
    by_town = {f["properties"]["name"]: f["properties"] for f in collection["features"]}
    for town, group in now.groupby("town"):
        assert (by_town[town]["crimes"], by_town[town]["asb"]) == crimes_and_asb(group), town
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in collection["features"])

    page = signed_in.get(f"/areas/{SANDWELL}/", query).content.decode()
    svg = signed_in.get(f"{base}/trend.svg", query).content.decode()
    assert ET.tostring(ET.fromstring(svg)) == ET.tostring(svg_of(page, "trend-chart"))
    png = signed_in.get(f"{base}/children-map.png", query)
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.content) > 10_000  # a real drawing, not an empty canvas


def test_type_and_comparison_filters(signed_in: Client, loaded, files) -> None:
    now = files[files.period.isin(PERIOD)]
    html = signed_in.get(f"/areas/{SANDWELL}/", {"type": "asb"}).content.decode()
    assert re.search(rf'data-testid="asb">{crimes_and_asb(now)[1]:,}<', html)
    assert re.search(r'data-testid="crimes">0<', html)
    assert points(svg_of(html, "trend-chart"), "current") == by_month(now, 1)
    pops = sandwell_populations().groupby("town").population.sum()
    shaded = {
        p.get("data-code"): float(p.get("data-value"))
        for p in svg_of(html, "children-map").iter(f"{SVG}path")
    }
    assert shaded == {
        t.lower().replace(" ", "-"): rate(crimes_and_asb(g)[1], int(pops[t])) for t, g in now.groupby("town")
    }

    # One police.uk type, named or as an API slug; the town table follows the filter.
    burglary = int(now.loc[now.category == "Burglary", "crime_count"].sum())
    for value in ("Burglary", "burglary"):
        body = signed_in.get(f"/api/v1/areas/{SANDWELL}/profile", {"type": value}).json()
        assert body["crimes"] == burglary and body["asb"] == 0 and list(body["by_type"]) == ["Burglary"]
    html = signed_in.get("/areas/tipton/", {"type": "Burglary"}).content.decode()
    tipton = now[(now.town == "Tipton") & (now.category == "Burglary")]
    assert re.search(rf'data-testid="crimes">{int(tipton.crime_count.sum()):,}<', html)

    # Compared with the same months a year earlier: 2024-04 … 2025-03, of which only 2025-01…03 are loaded.
    body = signed_in.get(
        f"/api/v1/areas/{SANDWELL}/profile", {"compare": "year", "from": "2025-04", "to": "2025-06"}
    ).json()
    assert (body["previous"]["period"]["from"], body["previous"]["period"]["to"]) == ("2024-04", "2024-06")
    assert body["previous"]["crimes"] is None and body["change"]["significant"] is None
    body = signed_in.get(
        f"/api/v1/areas/{SANDWELL}/profile", {"compare": "year", "from": "2026-01", "to": "2026-03"}
    ).json()
    a_year_earlier = files[files.period.isin(month_range("2025-01", "2025-03"))]
    assert body["previous"]["crimes"] == crimes_and_asb(a_year_earlier)[0]
    assert body["change"]["significant"] is not None


def test_missing_months_are_drawn_as_gaps(signed_in: Client, db) -> None:
    import_counts(count_files("2024-08", "2024-10"), source=SOURCE, progress=False)  # 2024-09 is absent
    html = signed_in.get(f"/areas/{SANDWELL}/", {"from": "2024-08", "to": "2024-10"}).content.decode()
    trend = svg_of(html, "trend-chart")
    assert gaps_drawn(trend) == ["2024-09"]
    assert set(points(trend, "current")) == {"2024-08", "2024-10"}
    history = svg_of(html, "history-chart")
    assert gaps_drawn(history) == ["2024-09"] and "2024-09" not in points(history, "current")
    assert 'data-testid="gap">No data: no data loaded for 2024-09<' in html
    frame = sandwell_counts("2024-08", "2024-10")
    assert points(trend, "current") == by_month(frame, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"type": "Shoplifting and burglary"}, "type"), ({"compare": "last-week"}, "compare")],
)
def test_bad_filters_are_named(signed_in: Client, loaded, query, field) -> None:
    page = signed_in.get(f"/areas/{SANDWELL}/", query)
    assert page.status_code == 400
    assert f'href="#{field}"' in page.content.decode()
    api = signed_in.get(f"/api/v1/areas/{SANDWELL}/profile", query)
    assert api.status_code == 422 and f"'{field}'" in api.json()["detail"]


def test_downloads_need_sign_in_and_a_known_name(client: Client, signed_in: Client, loaded) -> None:
    assert signed_in.get(f"/areas/{SANDWELL}/download/nothing.csv").status_code == 404
    assert signed_in.get(f"/areas/{SANDWELL}/download/trend.csv").status_code == 404
    client.logout()
    response = client.get(f"/areas/{SANDWELL}/download/by-type.csv")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_analyses_on_the_page_are_the_apis(signed_in: Client, db) -> None:
    """Sandwell, June 2018 (the police.uk API records): hotspot cells, repeat locations, alerts."""
    from django.conf import settings

    from saferhood.crime.importers import import_police

    import_police(
        [settings.SAFERHOOD_DEMO_DIR / "police-uk" / "police-uk-api-sandwell-wards-2018-06"], progress=False
    )
    query = {"from": "2018-06", "to": "2018-06"}
    html = signed_in.get(f"/areas/{SANDWELL}/", query).content.decode()

    hotspots = signed_in.get(f"/api/v1/areas/{SANDWELL}/hotspots", query).json()
    by_cell = {
        (f["properties"]["row"], f["properties"]["col"]): f["properties"] for f in hotspots["features"]
    }
    shown_cells = re.findall(
        r'data-row="(\d+)" data-col="(\d+)">.*?data-testid="hot-cell-records">([\d,]+)<', html, re.S
    )
    assert shown_cells, "no hot cells listed"
    for row, col, records in shown_cells:
        cell = by_cell[(int(row), int(col))]
        assert cell["class"] == "hot" and int(records.replace(",", "")) == cell["count"]
    outlined = {(int(r.get("data-row")), int(r.get("data-col"))) for r in svg_of(html, "hotspot-map").iter(f"{SVG}rect")
                if r.get("class") == "hot"}  # fmt: skip
    assert outlined == {k for k, v in by_cell.items() if v["class"] == "hot"}

    repeat = signed_in.get(f"/api/v1/areas/{SANDWELL}/repeat-locations", {**query, "top": 10}).json()
    counts = [int(n.replace(",", "")) for n in re.findall(r'data-testid="repeat-count">([\d,]+)<', html)]
    assert counts == [loc["count"] for loc in repeat["locations"]] and counts

    # 2018-06 has no history loaded before it: the page says alerts were not tested.
    assert 'data-testid="no-alerts"' in html and "Not tested" in html

    # The default period (no records, counts not loaded here) offers the month with records.
    page = signed_in.get(f"/areas/{SANDWELL}/", {"from": "2019-01", "to": "2019-12"}).content.decode()
    assert 'data-testid="no-hotspots"' in page and "?from=2018-06&amp;to=2018-06" in page


def test_alerts_on_the_overview_are_the_apis(signed_in: Client, db) -> None:
    import_counts(count_files("2025-04", "2026-03"), source=SOURCE, progress=False)
    html = signed_in.get(f"/areas/{SANDWELL}/").content.decode()
    api = signed_in.get(f"/api/v1/areas/{SANDWELL}/alerts", {"from": "2026-03", "to": "2026-03"}).json()
    shown = re.findall(r'data-area="([^"]+)" data-type="([^"]+)" data-observed="(\d+)"', html)
    assert shown == [(a["area"]["code"], a["crime_type"], str(a["observed"])) for a in api["alerts"][:10]]
    # Observed counts are the files' own: the town's count of that type in 2026-03.
    frame = sandwell_counts("2026-03", "2026-03")
    for alert in api["alerts"]:
        town = frame[(frame.town.str.lower().str.replace(" ", "-") == alert["area"]["code"])]
        assert alert["observed"] == int(town.loc[town.category == alert["crime_type"], "crime_count"].sum())
