"""Who reaches tasking and CCTV: a retired agency reads but never writes; a user with no agency
sees nothing; the closed part's API answers outsiders as its page does (404, audited) and audits
each case a member is shown.

Routes come from the URL patterns and the OpenAPI schema, so a new route is covered unasked.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from saferhood.accounts.models import Agency
from saferhood.accounts.tests.conftest import make_user
from saferhood.api import api
from saferhood.areas.models import Area
from saferhood.cctv import services as cctv
from saferhood.cctv import urls as cctv_urls
from saferhood.cctv.models import Camera, Deployment, DeploymentRequest
from saferhood.core.models import AuditEvent
from saferhood.tasking import services
from saferhood.tasking import urls as tasking_urls
from saferhood.tasking.models import (
    Action,
    ActionUpdate,
    ClosedCase,
    Escalation,
    Meeting,
    MinuteEntry,
    Problem,
)

APRIL = datetime.date(2026, 4, 14)
OWEN_STREET = (-2.0447, 52.5293)  # in Tipton


@pytest.fixture
def world(db) -> dict[str, Any]:
    """A Tipton meeting with a problem, an action, a closed case, and CCTV stock, requests and
    deployments; an officer of an active agency and one of a retired agency, both closed members."""
    retired = Agency.objects.create(slug="old-youth-team", name="Old Youth Team", active=False)
    chair = make_user("chair", "police", "tasking_chair")
    people = {
        "chair": chair,
        "officer": make_user("asb-officer", "council-asb", "officer"),
        "retired": make_user("retired-officer", retired, "officer", "tasking_chair"),
        "nobody": make_user("no-agency", None),
        "outsider": make_user("police-officer", "police", "officer"),
    }
    tipton = Area.objects.get(code="tipton")
    ward = Area.objects.filter(parent=tipton, level="ward").first()
    council = Agency.objects.get(slug="council-asb")
    meeting = services.create_meeting(
        kind="town", area=tipton, on=APRIL, chairs="Tipton ASB lead", by=chair,
        closed_members=[chair, people["officer"], people["retired"]],
    )  # fmt: skip
    problem = services.raise_problem(meeting, by=chair, title="Nuisance bikes", place="Towpath", area=ward,
                                     theme="asb", description="Evenings", lead_agency=council)  # fmt: skip
    action = services.add_action(problem, meeting, by=chair, description="Patrols", owner_name="PC Jones",
                                 owner_agency=council, due=datetime.date(2026, 5, 30))  # fmt: skip
    case = services.record_closed_case(
        meeting, by=chair, subject="Jane Doe", role="victim", summary="Harassed"
    )
    cameras = [cctv.add_camera(f"CAM-{i}", "", by=chair) for i in range(4)]
    requests = [
        cctv.request_deployment(
            place_name=f"Owen Street {i}",
            longitude=OWEN_STREET[0],
            latitude=OWEN_STREET[1],
            requesting_agency=council,
            reason="ASB",
            requested_on=APRIL,
            by=chair,
        )  # fmt: skip
        for i in range(2)
    ]
    deployments = [
        cctv.deploy_camera(
            cctv.Place(f"Park {i}", *OWEN_STREET),
            cameras[2 + i],
            datetime.date(2026, 1, 5),
            datetime.date(2026, 6, 1),
            chair,
        )  # fmt: skip
        for i in range(2)
    ]
    return {**people, "meeting": meeting, "problem": problem, "action": action, "case": case, "ward": ward,
            "council": council, "tipton": tipton, "cameras": cameras, "requests": requests,
            "deployments": deployments}  # fmt: skip


def page_urls(w: dict[str, Any]) -> list[str]:
    """Every tasking and CCTV page, from the URL patterns, with this world's ids."""
    ids = {"meetings": w["meeting"].pk, "problems": w["problem"].pk, "actions": w["action"].pk,
           "deployments": w["deployments"][0].pk}  # fmt: skip
    found = []
    for pattern in [*tasking_urls.urlpatterns, *cctv_urls.urlpatterns]:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        kwargs = {"pk": ids[route.split("/")[0]]} if "<int:pk>" in route else {}
        found.append(reverse(pattern.name, kwargs=kwargs))
    return found


def api_operations(w: dict[str, Any]) -> list[tuple[str, str]]:
    """Every tasking and CCTV API operation (method, path) from the OpenAPI schema, with real ids."""
    ids = {"meeting_id": w["meeting"].pk, "problem_id": w["problem"].pk, "action_id": w["action"].pk,
           "deployment_id": w["deployments"][0].pk, "request_id": w["requests"][0].pk}  # fmt: skip
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if not re.match(r"^/api/v1/(tasking|cctv)/", path):
            continue
        for method in operations:
            found.append((method.upper(), re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)))
    return found


def everything(w: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every row the writes could touch (closed cases read as a system job would)."""
    tables = [Meeting.objects, Problem.objects, Action.objects, ActionUpdate.objects, Escalation.objects,
              MinuteEntry.objects, ClosedCase.objects.for_system("test: nothing changed"), Camera.objects,
              DeploymentRequest.objects, Deployment.objects]  # fmt: skip
    return [list(t.order_by("pk").values()) for t in tables]


def test_no_agency_user_is_refused_every_tasking_and_cctv_page_and_api_route(client: Client, world) -> None:
    client.force_login(world["nobody"])
    for url in page_urls(world):
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == 403, url
            html = response.content.decode()
            assert 'data-testid="refusal"' in html and "partner agency" in html, url  # the styled page
            assert "Jane Doe" not in html and "Nuisance bikes" not in html
    for method, path in api_operations(world):
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 403, (method, path)
        assert "partner agency" in response.json()["detail"]
    refused = AuditEvent.objects.filter(action="denied", username="no-agency")
    assert refused.count() == 2 * len(page_urls(world)) + len(api_operations(world))


def test_retired_agency_officer_reads_but_every_write_is_refused(client: Client, world) -> None:
    client.force_login(world["retired"])
    before = everything(world)
    # Read-only: the open part still shows, with no form to change it; nothing confidential shows.
    html = client.get(f"/tasking/meetings/{world['meeting'].pk}/").content.decode()
    assert "Nuisance bikes" in html and 'data-testid="problem-form"' not in html
    assert "Jane Doe" not in client.get(f"/tasking/meetings/{world['meeting'].pk}/closed/").content.decode()
    for url in page_urls(world):
        response = client.post(url, {"do": "commentary", "commentary": "retired"})
        assert response.status_code == 403 and 'data-testid="refusal"' in response.content.decode(), url
        assert "Old Youth Team is retired from the partnership" in response.content.decode()
    writes = [(m, p) for m, p in api_operations(world) if m != "GET"]
    assert len(writes) == 9  # every POST in the tasking and CCTV API
    for method, path in writes:
        response = client.generic(method, path, "{}", content_type="application/json")
        assert response.status_code == 403, path  # refused before the body is even read
        assert "retired" in response.json()["detail"]
    assert everything(world) == before


def write_requests(w: dict[str, Any]) -> list[tuple[str, Callable[[], dict[str, Any]], bool]]:
    """Each tasking and CCTV write with a valid body: (url, body, is JSON)."""
    m, p, a = w["meeting"].pk, w["problem"].pk, w["action"].pk
    council, ward = w["council"].pk, w["ward"].pk
    cam, req, dep = w["cameras"], w["requests"], w["deployments"]
    lon, lat = OWEN_STREET

    def other_level() -> dict[str, Any]:
        w["problem"].refresh_from_db()
        return {"to_level": "town" if w["problem"].level == "borough" else "borough", "reason": "Moves"}

    return [
        ("/tasking/", lambda: {"kind": "town", "area": w["tipton"].pk, "date": "2026-05-12", "chairs": "ASB lead"},
         False),
        (f"/tasking/meetings/{m}/", lambda: {"problem-title": "Fly-tipping", "problem-place": "Alley",
                                             "problem-area": ward, "problem-theme": "environmental",
                                             "problem-description": "Bags", "problem-lead_agency": council}, False),
        (f"/tasking/meetings/{m}/minutes/add/", lambda: {"minute-kind": "decision", "minute-text": "Agreed"}, False),
        (f"/tasking/meetings/{m}/closed/", lambda: {"subject": "John Roe", "role": "other", "summary": "x"}, False),
        (f"/tasking/meetings/{m}/pack/", lambda: {"do": "commentary", "commentary": "Up in Tipton"}, False),
        (f"/tasking/problems/{p}/", lambda: {"do": "action", "action-description": "Letters",
                                             "action-owner_agency": council, "action-owner_name": "A Khan",
                                             "action-due": "2026-06-01"}, False),
        (f"/tasking/problems/{p}/", lambda: {"do": "status", "status-status": "monitoring"}, False),
        (f"/tasking/problems/{p}/", lambda: {"do": "escalate", "escalate-reason": "Crosses towns"}, False),
        (f"/tasking/actions/{a}/update/", lambda: {"note": "Done twice", "status": "open"}, False),
        (f"/api/v1/tasking/meetings/{m}/problems", lambda: {"title": "Graffiti", "place": "Subway",
                                                            "area": w["ward"].code, "theme": "environmental",
                                                            "description": "Tags", "lead_agency": "council-asb"},
         True),
        (f"/api/v1/tasking/problems/{p}/actions", lambda: {"description": "Clean", "owner_agency": "council-asb",
                                                           "owner_name": "B Lee", "due": "2026-06-01"}, True),
        (f"/api/v1/tasking/actions/{a}/update", lambda: {"note": "Chased"}, True),
        (f"/api/v1/tasking/problems/{p}/escalate", other_level, True),
        ("/cctv/requests/?area=tipton", lambda: {"place_name": "Owen Street", "longitude": lon, "latitude": lat,
                                                 "requesting_agency": council, "reason": "ASB",
                                                 "requested_on": "2026-04-01"}, False),
        ("/cctv/deployments/?area=tipton", lambda: {"deploy_request": req[0].pk, "camera": cam[0].pk,
                                                    "start": "2026-04-20", "review_due": "2026-07-20"}, False),
        (f"/cctv/deployments/{dep[0].pk}/end/", lambda: {"end": "2026-04-10"}, False),
        ("/api/v1/cctv/cameras", lambda: {"asset_tag": "CAM-NEW"}, True),
        ("/api/v1/cctv/requests", lambda: {"place_name": "Park", "longitude": lon, "latitude": lat,
                                           "requesting_agency": "council-asb", "reason": "ASB"}, True),
        (f"/api/v1/cctv/requests/{req[1].pk}/decision", lambda: {"status": "approved"}, True),
        ("/api/v1/cctv/deployments", lambda: {"camera": cam[1].asset_tag, "request_id": req[1].pk,
                                              "start": "2026-04-20", "review_due": "2026-07-20"}, True),
        (f"/api/v1/cctv/deployments/{dep[1].pk}/end", lambda: {"end": "2026-04-10"}, True),
    ]  # fmt: skip


def test_each_write_a_retired_officer_is_refused_succeeds_for_an_active_officer(world) -> None:
    """The same valid bodies: 403 and nothing stored for the retired agency's officer (whatever
    roles they held there), done for an active agency's officer — so the refusal is the rule."""
    retired, active = Client(), Client()
    retired.force_login(world["retired"])
    active.force_login(world["officer"])
    writes = write_requests(world)
    api_posts = {p for m, p in api_operations(world) if m == "POST"}
    assert {re.sub(r"\d+", "N", u) for u, _, j in writes if j} == {re.sub(r"\d+", "N", p) for p in api_posts}
    for url, body, is_json in writes:
        data = body()
        kwargs: dict[str, Any] = {"content_type": "application/json"} if is_json else {}
        before = everything(world)
        refused = retired.post(url, data, **kwargs)
        assert refused.status_code == 403, url
        assert everything(world) == before, url
        done = active.post(url, data, **kwargs)
        assert done.status_code in (200, 201, 302), (url, done.status_code, done.content[:300])
        assert everything(world) != before, url


def test_closed_cases_api_answers_outsiders_404_and_audits_each_case_a_member_sees(
    client: Client, world
) -> None:
    meeting = world["meeting"]
    second = services.record_closed_case(meeting, by=world["chair"], subject="John Roe", role="perpetrator",
                                         summary="Threats")  # fmt: skip
    url = f"/api/v1/tasking/meetings/{meeting.pk}/closed-cases"
    client.force_login(world["outsider"])
    response = client.get(url)
    assert response.status_code == 404 and "Jane Doe" not in response.content.decode()
    assert (
        AuditEvent.objects.filter(
            action="denied", username="police-officer", object_id=str(meeting.pk)
        ).count()
        == 1
    )

    client.force_login(world["officer"])
    response = client.get(url)
    assert response.status_code == 200
    assert sorted(c["subject"] for c in response.json()) == ["Jane Doe", "John Roe"]
    viewed = AuditEvent.objects.filter(
        action="view", username="asb-officer", object_type="tasking.closedcase"
    )
    assert sorted(viewed.values_list("object_id", flat=True)) == sorted(
        [str(world["case"].pk), str(second.pk)]
    )


def test_a_retired_agencys_admins_keep_no_admin_power(client: Client, db) -> None:
    """Roles held in a retired agency act as a viewer's: no audit trail, no people, no records."""
    from saferhood.accounts.models import ConfidentialNote
    from saferhood.accounts.roles import allowed_actions, is_agency_admin, is_system_admin
    from saferhood.accounts.services import create_note

    retired = Agency.objects.create(slug="old-youth-team", name="Old Youth Team", active=False)
    admin = make_user("retired-admin", retired, "agency_admin", "system_admin")
    create_note(by_user=admin, owner_agency=retired, subject_name="Sam Victim", text="x")
    assert allowed_actions(admin) == {"view"}
    assert not is_system_admin(admin) and not is_agency_admin(admin)
    assert ConfidentialNote.objects.restrict(admin, "view").count() == 0
    client.force_login(admin)
    assert client.get("/audit/").status_code == 403 and client.get("/agency/people/").status_code == 403
    assert client.get("/tasking/").status_code == 200  # the open part still reads
