"""Issue 13, done-when: schemathesis over the whole API finds no 5xx.

Requests generated from /api/v1/openapi.json are sent in-process through the WSGI application
(every middleware included), for every operation, as an anonymous client and as a signed-in
user (session cookie and CSRF token), on real police.uk records. Bounded and derandomised, so a
run is reproducible and takes about a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from saferhood.accounts.models import Role
from saferhood.accounts.tests.conftest import make_user
from saferhood.crime.importers import import_police

EXAMPLES = 12  # per operation and identity
CSRF = "k" * 32  # any well-formed token: the check compares the cookie with the header


# Real areas (force, borough, town, ward, LSOA) as well as generated codes: most generated codes are
# simply unknown (404), and the analyses need real areas with records to do any work.
AREAS = ["E23000014", "E08000028", "tipton", "E05001279", "E01009993", "E23000015", None]
IDS = st.tuples(st.sampled_from(AREAS), st.sampled_from([1, 2, None]))


def _signed_in() -> dict[str, dict[str, str]]:
    """A police officer holding every role, so requests get past permission checks into the work."""
    user = make_user("fuzz-officer", "police", *Role.objects.values_list("code", flat=True))
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "headers": {"X-CSRFToken": CSRF},
        "cookies": {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF},
    }


def _with_real_ids(pair):
    """Point some cases at real areas and at the first objects, as well as at generated ones."""
    case, (code, object_id) = pair
    for name in case.path_parameters or {}:
        if name == "code" and code is not None:
            case.path_parameters[name] = code
        elif name.endswith("_id") and object_id is not None:
            case.path_parameters[name] = object_id
    return case


def _fuzz(operation, identity: dict[str, dict[str, str]]) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.tuples(operation.as_strategy(), IDS).map(_with_real_ids))
    def run(case) -> None:
        response = case.call(**identity)
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: requests must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_request_the_schema_allows_gets_a_server_error(keep_test_connection) -> None:
    import_police(
        [Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"],
        progress=False,
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    identities = {"anonymous": {}, "signed in": _signed_in()}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        for who, identity in identities.items():
            try:
                _fuzz(operation, identity)
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{who} {operation.method.upper()} {operation.path}: {exc}")
    assert failures == [], "\n\n".join(failures)
