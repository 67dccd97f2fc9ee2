"""One reporting period: the profile API, every analysis route and the area page read from, to and
compare by the same rule, with the same defaults and the same errors (issue 14 item 2).

The data is the real police.uk API JSON for every Sandwell ward, June 2018: the latest month with
data is 2018-06, so the default period is 2017-07 to 2018-06. Before this, ``?to=2018-03`` alone
was 200 on the profile (from = to − 11) but 422 on the analyses and 400 on the page (their from
defaulted to 2017-07 on its own, after 'to'). The Period's months, days and comparison are checked
against pandas' calendar.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from saferhood.crime.importers import import_police
from saferhood.evidence.period import Period, PeriodError

SANDWELL = "E08000028"
API_JSON = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
ROUTES = ["profile", "hotspots", "hotspot-change", "hotspot-classes", "repeat-locations", "alerts"]

# (query, the period every route and the page must resolve: (from, to), or the parameter a 422 names)
CASES = [
    ({}, ("2017-07", "2018-06")),
    ({"to": "2018-03"}, ("2017-04", "2018-03")),  # the old code: 200 on the profile, 422 elsewhere
    ({"from": "2018-01"}, ("2018-01", "2018-06")),
    ({"from": "2018-02", "to": "2018-06"}, ("2018-02", "2018-06")),
    ({"from": "", "to": ""}, ("2017-07", "2018-06")),  # a cleared form field is not given
    ({"from": "2018-06", "to": "2018-06", "compare": "year"}, ("2018-06", "2018-06")),
    ({"from": "2018-07", "to": "2018-06"}, "from"),  # reversed
    ({"from": "2018-07"}, "from"),  # after the latest month with data, the default 'to'
    ({"from": "2018-13", "to": "2018-06"}, "from"),
    ({"from": "2018-01", "to": "June"}, "to"),
    ({"from": "2008-06", "to": "2018-06"}, "from"),  # eleven years
    ({"to": "2018-06", "compare": "last-week"}, "compare"),
]


@pytest.fixture
def loaded(db) -> None:
    import_police([API_JSON], progress=False)


@pytest.fixture
def signed_in(client: Client, db) -> Client:
    client.force_login(get_user_model().objects.create_user("analyst-period", password="a-long-password-1"))
    return client


def api_answer(client: Client, route: str, query: dict) -> tuple[str, str] | str:
    """The period a route resolved ((from, to) as it echoes them), or the parameter its 422 names."""
    path = f"/api/v1/areas/{SANDWELL}" + ("/profile" if route == "profile" else f"/{route}")
    response = client.get(path, query)
    if response.status_code == 422:
        match = re.match(r"'(\w+)': ", response.json()["detail"])
        assert match, response.json()
        return match.group(1)
    assert response.status_code == 200, (route, response.content[:300])
    body = response.json()
    if route == "profile":
        echoed = body["period"]
    elif route == "hotspot-change":
        echoed = body["parameters"]["after"]
    else:
        echoed = body["parameters"]
    return echoed["from"], echoed["to"]


def page_answer(client: Client, query: dict) -> tuple[str, str] | str:
    """The period the area page shows, or the field its error summary links to."""
    response = client.get(f"/areas/{SANDWELL}/", query)
    html = response.content.decode()
    if response.status_code == 400:
        summary = html.split('data-testid="error-summary"', 1)[1].split("</ul>", 1)[0]
        (field,) = re.findall(r'<a href="#(\w+)">', summary)
        assert f'id="{field}"' in html  # the link lands on the field
        return field
    assert response.status_code == 200, response.content[:300]
    start, end = re.search(r'data-testid="period">(\S+) to (\S+) \(', html).groups()
    return start, end


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_every_route_and_the_page_resolve_the_same_period(
    signed_in: Client, loaded, query: dict, expected
) -> None:
    answers = {route: api_answer(signed_in, route, query) for route in ROUTES}
    answers["page"] = page_answer(signed_in, query)
    assert answers == {name: expected for name in answers}


def test_the_comparison_is_the_same_on_the_profile_and_the_hotspot_change(client: Client, loaded) -> None:
    query = {"from": "2018-03", "to": "2018-06", "compare": "year"}
    profile = client.get(f"/api/v1/areas/{SANDWELL}/profile", query).json()
    change = client.get(f"/api/v1/areas/{SANDWELL}/hotspot-change", query).json()
    year_earlier = {"from": "2017-03", "to": "2017-06"}
    assert profile["compare"]["key"] == "year"
    assert {k: profile["previous"]["period"][k] for k in ("from", "to")} == year_earlier
    assert change["parameters"]["before"] == year_earlier
    # The default comparison is the months just before, on both.
    profile = client.get(f"/api/v1/areas/{SANDWELL}/profile", {"to": "2018-06"}).json()
    change = client.get(f"/api/v1/areas/{SANDWELL}/hotspot-change", {"to": "2018-06"}).json()
    assert {k: profile["previous"]["period"][k] for k in ("from", "to")} == {
        "from": "2016-07",
        "to": "2017-06",
    }
    assert change["parameters"]["before"] == {"from": "2016-07", "to": "2017-06"}


def test_a_bad_before_period_names_its_own_parameter(client: Client, loaded) -> None:
    route = f"/api/v1/areas/{SANDWELL}/hotspot-change"
    reversed_before = {"to": "2018-06", "before_from": "2017-06", "before_to": "2017-01"}
    response = client.get(route, reversed_before)
    assert response.status_code == 422 and response.json()["detail"].startswith("'before_from': ")
    assert "'before_to' (2017-01)" in response.json()["detail"]


def test_the_profile_states_the_days_of_its_months(client: Client, loaded) -> None:
    body = client.get(f"/api/v1/areas/{SANDWELL}/profile", {"from": "2016-01", "to": "2016-12"}).json()
    assert body["period"]["days"] == 366 and body["period"]["months"] == 12
    assert body["previous"]["period"]["days"] == 365  # 2015


def test_the_rule_is_written_in_the_api_and_on_the_page(signed_in: Client, loaded) -> None:
    schema = signed_in.get("/api/v1/openapi.json").json()
    for route in ROUTES:
        operation = schema["paths"][f"/api/v1/areas/{{code}}/{route}"]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert "eleven months before 'to'" in params["from"]["description"], route
        assert "latest month with data" in params["to"]["description"], route
        assert "year" in params["compare"]["description"], route
        assert "'to' defaults to the latest month with data" in operation["description"], route
    html = signed_in.get(f"/areas/{SANDWELL}/").content.decode()
    assert re.search(r'id="from-hint">[^<]*eleven months before To', html)
    assert re.search(r'id="to-hint">[^<]*latest month with data', html)


def test_the_page_error_names_the_field_and_the_fix(signed_in: Client, loaded) -> None:
    html = signed_in.get(f"/areas/{SANDWELL}/", {"from": "2018-07"}).content.decode()
    assert (
        '<a href="#from">From month must be the same as or before the latest month with data (2018-06), '
        "not 2018-07: the period is reversed</a>"
    ) in html
    assert 'class="govuk-input govuk-input--width-5 govuk-input--error" id="from"' in html


# --- the Period itself, against pandas' calendar ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("2018-06", "2018-06"), ("2023-02", "2024-01"), ("2024-01", "2024-03"), ("2011-01", "2020-12")],
)
@pytest.mark.parametrize("compare", ["previous", "year"])
def test_months_days_and_comparison_match_the_calendar(start: str, end: str, compare: str) -> None:
    period = Period(start, end, compare)
    months = pd.period_range(start, end, freq="M")
    assert period.months == [str(m) for m in months]
    assert period.days == int(sum(m.days_in_month for m in months))
    assert period.days == sum(calendar.monthrange(m.year, m.month)[1] for m in months)
    shift = 12 if compare == "year" else len(months)
    expected = pd.period_range(months[0] - shift, months[-1] - shift, freq="M")
    assert period.comparison.months == [str(m) for m in expected]
    assert (period.comparison.start, period.comparison.end) == (str(expected[0]), str(expected[-1]))


@pytest.mark.parametrize(
    ("start", "end", "compare", "parameter"),
    [
        ("2018-13", "2018-06", "previous", "from"),
        ("2018-01", "18-06", "previous", "to"),
        ("2018-07", "2018-06", "previous", "from"),
        ("2008-06", "2018-06", "previous", "from"),
        ("2018-01", "2018-06", "weekly", "compare"),
    ],
)
def test_a_bad_period_cannot_be_made(start: str, end: str, compare: str, parameter: str) -> None:
    with pytest.raises(PeriodError) as error:
        Period(start, end, compare)
    assert error.value.parameter == parameter and str(error.value).startswith(f"'{parameter}': ")


def test_ten_years_is_the_longest_period() -> None:
    assert len(Period("2008-07", "2018-06")) == 120


def test_the_earliest_period_still_has_its_comparison_and_alert_history(client: Client, db) -> None:
    period = Period("1910-01", "1919-12")
    assert (period.comparison.start, period.comparison.end) == ("1900-01", "1909-12")
    assert (
        client.get(f"/api/v1/areas/{SANDWELL}/profile", {"from": "1910-01", "to": "1919-12"}).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/areas/{SANDWELL}/alerts", {"from": "1910-01", "to": "1910-01"}).status_code
        == 200
    )
    early = client.get(f"/api/v1/areas/{SANDWELL}/profile", {"from": "1909-12", "to": "1910-06"})
    assert early.status_code == 422 and early.json()["detail"].startswith("'from': must be 1910-01 or later")
