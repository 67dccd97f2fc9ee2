"""Town and Borough Tasking as its users meet it: the pack's figures, problems and actions carried
between meetings, escalation with its history, minutes, and a closed part only its members see."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from saferhood.accounts.models import Agency
from saferhood.accounts.tests.conftest import make_user
from saferhood.areas.models import Area
from saferhood.core.models import AuditEvent
from saferhood.crime.importers.counts import import_counts
from saferhood.crime.tests.independent import SOURCE, count_files, crimes_and_asb, sandwell_counts
from saferhood.tasking import services
from saferhood.tasking.models import ClosedCase, Meeting, Problem, ProblemStatus

MARCH = datetime.date(2026, 3, 10)
APRIL = datetime.date(2026, 4, 14)


@pytest.fixture
def people(db) -> dict:
    return {
        "chair": make_user("sergeant", "police", "tasking_chair"),
        "officer": make_user("asb-officer", "council-asb", "officer"),
        "viewer": make_user("housing-viewer", "housing", "viewer"),
        "analyst": make_user("csp-analyst", "csp-team", "analyst"),
        "outsider": make_user("police-officer", "police", "officer"),
        "admin": make_user("sysadmin", "csp-team", "system_admin"),
    }


@pytest.fixture
def tipton(db) -> Area:
    return Area.objects.get(code="tipton")


def town_meeting(people, tipton, on=APRIL) -> Meeting:
    return services.create_meeting(
        kind="town", area=tipton, on=on, chairs="Tipton ASB lead and PS Smith",
        agencies=Agency.objects.filter(slug__in=["police", "council-asb"]),
        closed_members=[people["chair"], people["officer"]], by=people["chair"],
    )  # fmt: skip


def raise_problem(meeting, people, **extra) -> Problem:
    ward = Area.objects.filter(parent=meeting.area if meeting.kind == "town" else None, level="ward").first()
    fields = dict(
        title="Nuisance bikes on the canal towpath", place="Tipton Green canal towpath", area=ward,
        theme="nuisance-bikes", description="Off-road bikes every evening", evidence="ASB alert 2026-03",
        lead_agency=Agency.objects.get(slug="council-asb"),
    )  # fmt: skip
    fields.update(extra)
    return services.raise_problem(meeting, by=people["chair"], **fields)


def test_pack_figures_equal_the_files(client: Client, people, tipton) -> None:
    import_counts(count_files("2025-07", "2026-03"), source=SOURCE, progress=False)
    meeting = town_meeting(people, tipton)
    assert (meeting.period_from, meeting.period_to) == ("2026-01", "2026-03")  # the latest three months
    client.force_login(people["analyst"])
    html = client.get(f"/tasking/meetings/{meeting.pk}/pack/").content.decode()

    files = sandwell_counts("2025-10", "2026-03")
    tipton_rows = files[files.town == "Tipton"]
    now = tipton_rows[tipton_rows.period >= "2026-01"]
    before = tipton_rows[tipton_rows.period < "2026-01"]
    crimes, asb = crimes_and_asb(now)
    assert re.search(rf'data-testid="pack-crimes">{crimes:,}<', html)
    assert re.search(rf'data-testid="pack-asb">{asb:,}<', html)
    body = client.get(f"/api/v1/tasking/meetings/{meeting.pk}/pack").json()
    assert body["headline"]["previous_crimes"] == crimes_and_asb(before)[0]
    # Alerts are the analyses API's for the last month; counts have no points, and the pack says so.
    api = client.get("/api/v1/areas/tipton/alerts", {"from": "2026-03", "to": "2026-03"}).json()
    assert [a["sentence"] for a in body["alerts"]] == [a["sentence"] for a in api["alerts"]]
    assert 'data-testid="pack-no-hotspots"' in html and "no locations" in html
    assert "does not mark hate crimes" in html

    # The analyst comments and issues it; the issued pack no longer moves with the data.
    client.post(
        f"/tasking/meetings/{meeting.pk}/pack/",
        {"do": "commentary", "commentary": "Drugs up in Tipton Green."},
    )
    client.post(f"/tasking/meetings/{meeting.pk}/pack/", {"do": "issue"})
    meeting.refresh_from_db()
    assert meeting.pack_snapshot["headline"]["crimes"] == crimes
    assert meeting.pack_snapshot["commentary"] == "Drugs up in Tipton Green."
    pdf = client.get(f"/tasking/meetings/{meeting.pk}/pack.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert len(pdf.content) > 20_000
    assert AuditEvent.objects.filter(action="download", object_id=str(meeting.pk)).exists()


def test_problems_and_actions_roll_over_until_closed(client: Client, people, tipton) -> None:
    march = town_meeting(people, tipton, on=MARCH)
    problem = raise_problem(march, people)
    late = services.add_action(
        problem, march, by=people["chair"], description="Patrols at dusk", owner_name="PC Jones",
        owner_agency=Agency.objects.get(slug="police"), due=datetime.date(2026, 3, 31),
    )  # fmt: skip
    services.add_action(
        problem, march, by=people["chair"], description="Barriers at the towpath entrances", owner_name="J Patel",
        owner_agency=Agency.objects.get(slug="council-asb"), due=datetime.date(2026, 5, 30),
    )  # fmt: skip
    april = town_meeting(people, tipton, on=APRIL)
    agenda = services.agenda(april)
    assert [p.pk for p in agenda["problems"]] == [problem.pk]  # carried from March
    assert [a.pk for a in agenda["overdue_actions"]] == [late.pk]
    client.force_login(people["officer"])
    html = client.get(f"/tasking/meetings/{april.pk}/").content.decode()
    assert "Nuisance bikes on the canal towpath" in html and "Overdue" in html

    # Closing needs an outcome: refused without one, nothing changed.
    with pytest.raises(ValidationError):
        services.set_problem_status(problem, status=ProblemStatus.CLOSED, by=people["chair"])
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN
    response = client.post(
        f"/tasking/problems/{problem.pk}/", {"do": "status", "status-status": "closed", "status-outcome": ""}
    )
    assert response.status_code == 400 and 'data-testid="error-summary"' in response.content.decode()
    client.post(f"/tasking/problems/{problem.pk}/",
                {"do": "status", "status-status": "closed", "status-outcome": "Barriers fitted; no reports since"})  # fmt: skip
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED and problem.outcome.startswith("Barriers")
    may = town_meeting(people, tipton, on=datetime.date(2026, 5, 12))
    assert services.agenda(may)["problems"] == []
    change = AuditEvent.objects.filter(action="change", object_id=str(problem.pk)).last()
    assert change.changes["status"] == ["open", "closed"]


def test_escalation_to_borough_and_back_keeps_its_history(client: Client, people, tipton) -> None:
    town = town_meeting(people, tipton)
    problem = raise_problem(town, people, title="County lines drug dealing", theme="drug-dealing")
    borough = services.create_meeting(kind="borough", area=Area.objects.get(code="E08000028"), on=APRIL,
                                      chairs="Chief Inspector", by=people["chair"])  # fmt: skip
    client.force_login(people["chair"])
    client.post(
        f"/tasking/problems/{problem.pk}/", {"do": "escalate", "escalate-reason": "Crosses three towns"}
    )
    problem.refresh_from_db()
    assert problem.level == "borough"
    assert services.agenda(town)["problems"] == []
    html = client.get(f"/tasking/meetings/{borough.pk}/").content.decode()
    assert "County lines drug dealing" in html and "Crosses three towns" in html
    api = client.get(f"/api/v1/tasking/meetings/{borough.pk}").json()
    assert api["escalated"][0]["reason"] == "Crosses three towns" and api["escalated"][0]["town"] == "tipton"

    client.post(f"/api/v1/tasking/problems/{problem.pk}/escalate",
                {"to_level": "town", "reason": "Warrants executed; local follow-up"}, content_type="application/json")  # fmt: skip
    problem.refresh_from_db()
    assert problem.level == "town" and [p.pk for p in services.agenda(town)["problems"]] == [problem.pk]
    assert [(e.from_level, e.to_level) for e in problem.escalations.all()] == [
        ("town", "borough"),
        ("borough", "town"),
    ]


def test_closed_part_is_for_its_members_only(client: Client, people, tipton) -> None:
    meeting = town_meeting(people, tipton)
    case = services.record_closed_case(meeting, by=people["officer"], subject="Jane Doe", subject_ref="ASB-1234",
                                       role="victim", summary="Repeat victim of harassment")  # fmt: skip
    client.force_login(people["officer"])
    assert "Jane Doe" in client.get(f"/tasking/meetings/{meeting.pk}/closed/").content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()

    # A police officer who does not attend the closed part: page, API and open minutes show nothing.
    client.force_login(people["outsider"])
    assert client.get(f"/tasking/meetings/{meeting.pk}/closed/").status_code == 404
    assert client.get(f"/api/v1/tasking/meetings/{meeting.pk}/closed-cases").status_code == 404
    assert "Jane Doe" not in client.get(f"/tasking/meetings/{meeting.pk}/minutes/").content.decode()
    assert "Jane Doe" not in client.get(f"/api/v1/tasking/meetings/{meeting.pk}/pack").content.decode()
    denied = AuditEvent.objects.filter(action="denied", username="police-officer")
    assert denied.exists()
    # Unscoped reads are impossible: the model has no manager that skips the check.
    assert ClosedCase.objects.restrict(people["outsider"], "view").count() == 0
    assert ClosedCase.objects.restrict(people["admin"], "view").count() == 1


def test_only_roles_that_change_can_raise_problems(client: Client, people, tipton) -> None:
    meeting = town_meeting(people, tipton)
    client.force_login(people["viewer"])
    ward = Area.objects.filter(parent=tipton, level="ward").first()
    payload = {"title": "Fly-tipping", "place": "Alley", "area": ward.code, "theme": "environmental",
               "description": "x", "lead_agency": "council-asb"}  # fmt: skip
    response = client.post(
        f"/api/v1/tasking/meetings/{meeting.pk}/problems", payload, content_type="application/json"
    )
    assert response.status_code == 403 and Problem.objects.count() == 0
    html = client.get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert 'data-testid="problem-form"' not in html
    client.force_login(people["officer"])
    response = client.post(f"/api/v1/tasking/meetings/{meeting.pk}/problems", {**payload, "lead_agency": "nobody"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and "'lead_agency'" in response.json()["detail"]
    response = client.post(
        f"/api/v1/tasking/meetings/{meeting.pk}/problems", payload, content_type="application/json"
    )
    assert response.status_code == 201 and Problem.objects.get().raised_at == meeting


def test_bad_problem_form_keeps_what_was_typed(client: Client, people, tipton) -> None:
    meeting = town_meeting(people, tipton)
    client.force_login(people["officer"])
    response = client.post(f"/tasking/meetings/{meeting.pk}/", {"problem-title": "", "problem-place": "Owen Street",
                                                                "problem-description": "Street drinking"})  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="error-summary"' in html
    assert 'value="Owen Street"' in html and "Street drinking" in html and Problem.objects.count() == 0


def test_minutes_record_decisions_actions_and_carry_forward(client: Client, people, tipton) -> None:
    meeting = town_meeting(people, tipton)
    problem = raise_problem(meeting, people)
    services.record_minute(meeting, text="Agreed a joint operation with housing", by=people["chair"])
    services.add_action(problem, meeting, by=people["chair"], description="Letters to residents", owner_name="A Khan",
                        owner_agency=Agency.objects.get(slug="housing"), due=datetime.date(2026, 4, 30))  # fmt: skip
    client.force_login(people["viewer"])
    html = client.get(f"/tasking/meetings/{meeting.pk}/minutes/").content.decode()
    assert "Agreed a joint operation with housing" in html
    assert "Letters to residents" in html and "Nuisance bikes on the canal towpath" in html
