"""The tasking pack with every section filled by real objects: a CCTV deployment due for review,
problems with open and overdue actions, an escalation, alerts, hotspots and repeat locations.

A pack that only ever met empty sections hid a 500 (it read ``Deployment.place``, which does not
exist) until the first deployment came due; so each section here has at least one real row, for a
Town and a Borough meeting, through the page, the PDF and the API.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from saferhood.accounts.models import Agency
from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.cctv import services as cctv
from saferhood.crime.importers import import_police
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SOURCE, count_files
from saferhood.tasking import services
from saferhood.tasking.pack import build_pack

APRIL = datetime.date(2026, 4, 14)
CAMERA_PLACE = "Owen Street, Tipton"
SANDWELL_JSON = Path(settings.SAFERHOOD_DEMO_DIR) / "police-uk" / "police-uk-api-sandwell-wards-2018-06"
# Every list the pack shows, and where a row for it comes from in this test.
SECTIONS = ("by_type", "alerts", "hot_cells", "repeat_locations", "impact_areas", "problems",
            "open_actions", "overdue_actions", "cctv_due")  # fmt: skip


@pytest.fixture
def world(db) -> dict:
    """2025-07..2026-03 counts (alerts), June 2018 points (hotspots), and tasking with CCTV in Tipton."""
    import_counts(count_files("2025-07", "2026-03"), source=SOURCE, progress=False)
    import_police([SANDWELL_JSON], progress=False)
    chair = make_user("pack-chair", "police", "tasking_chair")
    tipton = Area.objects.get(code="tipton")
    town = services.create_meeting(kind="town", area=tipton, on=APRIL, chairs="Tipton ASB lead", by=chair)
    borough = services.create_meeting(
        kind="borough", area=Area.objects.get(code="E08000028"), on=APRIL, chairs="Chief Inspector", by=chair
    )
    ward = Area.objects.filter(parent=tipton, level="ward").first()
    council = Agency.objects.get(slug="council-asb")
    for title, level in (("Nuisance bikes on the towpath", "town"), ("County lines in Tipton", "borough")):
        problem = services.raise_problem(
            town, by=chair, title=title, place="Tipton Green canal towpath", area=ward, theme="asb",
            description="Every evening", lead_agency=council,
        )  # fmt: skip
        services.add_action(problem, town, by=chair, description=f"Patrols: {title}", owner_name="PC Jones",
                            owner_agency=council, due=datetime.date(2026, 3, 31))  # fmt: skip
        services.add_action(problem, town, by=chair, description=f"Letters: {title}", owner_name="A Khan",
                            owner_agency=council, due=datetime.date(2026, 5, 30))  # fmt: skip
        if level == "borough":
            services.escalate_problem(problem, to_level="borough", reason="Crosses three towns",
                                      at_meeting=town, by=chair)  # fmt: skip
    camera = cctv.add_camera("CAM-TIP-1", "Deployable dome", by=chair)
    deployment = cctv.deploy_camera(
        cctv.Place(CAMERA_PLACE, -2.0447, 52.5293), camera, datetime.date(2026, 1, 5),
        datetime.date(2026, 4, 1), chair,
    )  # fmt: skip
    assert (deployment.town_code, deployment.lad_code) == ("tipton", "E08000028")
    return {"chair": chair, "town": town, "borough": borough, "deployment": deployment}


def test_pack_with_a_deployment_due_shows_it_as_page_pdf_and_api(client: Client, world) -> None:
    client.force_login(world["chair"])
    for meeting in (world["town"], world["borough"]):
        page = client.get(f"/tasking/meetings/{meeting.pk}/pack/")
        assert page.status_code == 200, meeting
        assert f"CAM-TIP-1 at {CAMERA_PLACE}" in page.content.decode()
        pdf = client.get(f"/tasking/meetings/{meeting.pk}/pack.pdf")
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
        api = client.get(f"/api/v1/tasking/meetings/{meeting.pk}/pack")
        assert api.status_code == 200
        assert [(d["camera"], d["place"], d["review_due"]) for d in api.json()["cctv_due"]] == [
            ("CAM-TIP-1", CAMERA_PLACE, "2026-04-01")
        ]
        # Issued, the frozen pack shows the same deployment.
        client.post(f"/tasking/meetings/{meeting.pk}/pack/", {"do": "issue"})
        assert (
            f"CAM-TIP-1 at {CAMERA_PLACE}"
            in client.get(f"/tasking/meetings/{meeting.pk}/pack/").content.decode()
        )


def test_every_pack_section_is_built_from_real_rows(world) -> None:
    """Alerts come from the 2026 counts, hotspots from the 2018 points: between the two periods,
    every section of both meetings' packs has at least one row, and the whole pack is JSON."""
    for meeting in (world["town"], world["borough"]):
        filled: set[str] = set()
        for period in ((meeting.period_from, meeting.period_to), ("2018-04", "2018-06")):
            meeting.period_from, meeting.period_to = period
            data = build_pack(meeting)
            json.dumps(data)  # what is frozen when the pack is issued
            filled |= {name for name in SECTIONS if data[name]}
            if meeting.kind == "borough":
                assert [e["problem"] for e in data["escalated"]] == ["County lines in Tipton"]
        assert filled == set(SECTIONS), meeting
