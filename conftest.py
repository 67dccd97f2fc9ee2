"""Test set-up shared by every app.

The real bundled geography (demo/geography) is loaded once per test database: placement and
profiles are only meaningful against the real ONS lookups.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from django.conf import settings

os.environ.setdefault("SAFERHOOD_PROFILE", "dev")

# A file cache (SQLite's default) of the test run's own, not the one `make run`'s server uses:
# rate-limit buckets must not carry over between runs or leak into a running server.
if settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    _test_cache = tempfile.mkdtemp(prefix="saferhood-test-cache-")
    atexit.register(shutil.rmtree, _test_cache, True)
    settings.CACHES["default"]["LOCATION"] = _test_cache


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: F811 - extends pytest-django's fixture
    from saferhood.areas.importers import import_geography

    with django_db_blocker.unblock():
        import_geography(None)


@pytest.fixture(autouse=True)
def _generous_api_rates(settings):
    """Tests call the API far faster than anyone may: rate limits get their own tests (test_api_limits)."""
    settings.SAFERHOOD_API_RATES = {
        "api": ("100000/min", "100000/min"),
        "analysis": ("100000/min", "100000/min"),
    }
