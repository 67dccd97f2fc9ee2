"""The request log's fields, and the set-up steps a second ``make run`` repeats being no-ops.

The log line itself, as gunicorn writes it, is checked in tests/test_serve.py; here the fields an
operator reads (user, request id, no query values) on Django's test client.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import call_command

LOGGER = "saferhood.request"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def request_lines():
    handler = _Lines()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_a_signed_in_request_is_logged_with_the_user_id_and_no_query_values(
    db, client, django_user_model, request_lines
) -> None:
    user = django_user_model.objects.create_user("logged", password="a-long-password-2026")
    client.force_login(user)
    response = client.get("/areas/E08000028/?from=2018-06&to=2018-06&q=Jane+Smith")
    (line,) = [entry for entry in request_lines if entry["path"] == "/areas/E08000028/"]
    assert line["user"] == user.pk and line["status"] == response.status_code
    assert line["query_keys"] == ["from", "q", "to"]
    assert "Jane" not in json.dumps(line)
    assert response["X-Request-ID"] == line["request_id"]


def test_a_trusted_proxys_request_id_is_kept_and_any_other_replaced(
    db, client, settings, request_lines
) -> None:
    settings.SAFERHOOD_TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = {"REMOTE_ADDR": "10.0.0.7"}
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"}, **proxy)
    assert kept["X-Request-ID"] == "lb-7f3a9c21-0001"
    forged = client.get("/healthz", headers={"X-Request-ID": 'x", "user": 1, "y": "'}, **proxy)
    assert forged["X-Request-ID"] != 'x", "user": 1, "y": "' and len(forged["X-Request-ID"]) == 32
    # The same id straight from a client (not through the proxy) is not believed.
    direct = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"}, REMOTE_ADDR="192.0.2.9")
    assert direct["X-Request-ID"] != "lb-7f3a9c21-0001"
    assert [line["request_id"] for line in request_lines] == [
        kept["X-Request-ID"],
        forged["X-Request-ID"],
        direct["X-Request-ID"],
    ]
    assert all(line["user"] == "anonymous" for line in request_lines)


def test_a_repeated_demo_user_keeps_its_password_hash_unless_the_password_changed(
    db, django_user_model
) -> None:
    """make run sets the demo passwords every time: hashing costs most of a second each, by design."""
    call_command("create_demo_user", "--password", "demo-password-2026")
    first = django_user_model.objects.get(username="analyst").password
    call_command("create_demo_user", "--password", "demo-password-2026")
    assert django_user_model.objects.get(username="analyst").password == first  # not hashed again

    user = django_user_model.objects.get(username="analyst")
    user.set_password("changed-by-the-user-2026")  # e.g. on the change-password page
    user.save()
    call_command("create_demo_user", "--password", "demo-password-2026")
    user.refresh_from_db()
    assert user.check_password("demo-password-2026")

    call_command("create_demo_user", "--password", "another-demo-password-2026")
    user.refresh_from_db()
    assert user.check_password("another-demo-password-2026")
