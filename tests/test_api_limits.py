"""Issue 13 item 3: rate limits on the public API, per client address, and larger per signed-in user.

Anonymous requests share a bucket per address (the configured trusted proxy decides what the
address is, so a forged X-Forwarded-For buys nothing); signed-in users have their own, larger one;
the analyses have a second, smaller bucket on top of the API's.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import make_user

AREA = "/api/v1/areas/E08000028"  # Sandwell: public open data, no sign-in needed


@pytest.fixture
def rates(settings):
    cache.clear()

    def set_rates(api=("3/min", "6/min"), analysis=("1000/min", "1000/min")) -> None:
        settings.SAFERHOOD_API_RATES = {"api": api, "analysis": analysis}

    yield set_rates
    cache.clear()


def test_the_next_anonymous_request_in_the_window_gets_429_with_retry_after(db, rates) -> None:
    rates(api=("3/min", "6/min"))
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert [client.get(AREA).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(AREA)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 20  # one token back at 3 a minute: 20 s at most
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["detail"].startswith("Too many requests from this client: try again in ")

    # Another address has its own bucket; a forged X-Forwarded-For is not another address.
    assert Client(REMOTE_ADDR="203.0.113.6").get(AREA).status_code == 200
    forged = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1").get(AREA)
    assert forged.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(db, rates, settings) -> None:
    rates(api=("1/min", "6/min"))
    settings.SAFERHOOD_TRUSTED_PROXIES = ["10.0.0.1"]
    proxy = "10.0.0.1"
    assert Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").get(AREA).status_code == 200
    assert Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").get(AREA).status_code == 200
    assert Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").get(AREA).status_code == 429


def test_a_signed_in_user_is_limited_separately_and_more_generously(db, rates) -> None:
    rates(api=("3/min", "6/min"))
    anonymous = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        anonymous.get(AREA)
    assert anonymous.get(AREA).status_code == 429

    signed_in = Client(REMOTE_ADDR="203.0.113.7")  # the same address as the exhausted anonymous one
    signed_in.force_login(
        get_user_model().objects.create_user("limits-user", password="a-long-test-password-1")
    )
    assert [signed_in.get(AREA).status_code for _ in range(6)] == [200] * 6
    assert signed_in.get(AREA).status_code == 429


def test_analyses_have_their_own_smaller_limit(db, rates) -> None:
    rates(api=("100/min", "100/min"), analysis=("2/min", "4/min"))
    client = Client(REMOTE_ADDR="203.0.113.8")
    query = {"from": "2018-06", "to": "2018-06"}
    assert [client.get(f"{AREA}/repeat-locations", query).status_code for _ in range(2)] == [200, 200]
    assert client.get(f"{AREA}/hotspots", query).status_code == 429  # one bucket for every analysis
    assert client.get(AREA).status_code == 200  # the rest of the API is still open to this client


def test_routes_behind_sign_in_are_limited_too(db, rates) -> None:
    rates(api=("3/min", "2/min"))
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(make_user("limits-user-2", "council-asb", RoleCode.VIEWER))  # a partner
    codes = [client.get("/api/v1/tasking/meetings").status_code for _ in range(3)]
    assert 429 not in codes[:2] and codes[2] == 429  # whatever the user may see, the third is refused
