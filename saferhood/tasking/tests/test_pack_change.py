"""The tasking pack's headline changes: ASB's change compares and tests ASB, per day.

The pack used to take ASB's change from a profile whose change compared crimes, so it always
read "0: not significant". The expected figures come from pandas and statsmodels on the bundled
counts (see crime/tests/test_profile_change.py), never from Saferhood's arithmetic.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client

from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SOURCE, count_files
from saferhood.evidence.tests.test_profile_change import expected_change, monthly  # noqa: F401 - fixture
from saferhood.tasking import services
from saferhood.tasking.pack import build_pack


@pytest.fixture
def meeting(db):
    import_counts(count_files("2025-07", "2026-03"), source=SOURCE, progress=False)
    chair = make_user("change-chair", "police", "tasking_chair")
    sandwell = Area.objects.get(code="E08000028")
    meeting = services.create_meeting(
        kind="borough", area=sandwell, on=datetime.date(2026, 4, 14), chairs="Chief Inspector", by=chair
    )
    return meeting, chair


def test_pack_asb_change_is_asbs_own(meeting, monthly, client: Client) -> None:  # noqa: F811
    meeting, chair = meeting
    assert (meeting.period_from, meeting.period_to) == ("2026-01", "2026-03")
    loaded = monthly[monthly.index >= "2025-07"]  # what this test imported
    asb = expected_change(loaded, "2026-01", "2026-03", ("2025-10", "2025-12"), "asb")
    crimes = expected_change(loaded, "2026-01", "2026-03", ("2025-10", "2025-12"), "crimes")
    assert (asb["current"], asb["previous"]) == (82 + 59 + 87, 166 + 104 + 85)  # SOURCE.md rows, ASB

    headline = build_pack(meeting)["headline"]
    for change, expected, measure in (
        (headline["asb_change"], asb, "asb"),
        (headline["change"], crimes, "crimes"),
    ):
        assert change["measure"] == measure
        assert (change["current"], change["previous"]) == (expected["current"], expected["previous"])
        assert change["absolute"] == expected["absolute"] and change["percent"] == expected["percent"]
        assert change["p_value"] == pytest.approx(expected["p"], rel=1e-6)
    assert headline["asb_change"]["absolute"] < 0

    client.force_login(chair)
    html = client.get(f"/tasking/meetings/{meeting.pk}/pack/").content.decode()
    cell = re.search(r'data-testid="pack-asb-change">(.*?)</td>', html, re.S).group(1)
    assert cell.startswith(f"−{abs(asb['absolute']):,} ({asb['percent']:+.1f}% per day)".replace("-", "−"))
    assert ("statistically significant" if asb["p"] < 0.05 else "not significant") in cell
    assert "90 days against 92" in cell
    assert "quasi-Poisson" in html
