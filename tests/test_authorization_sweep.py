"""The authorization sweep: every route × every role × another agency's real ids.

Routes come from Django's URL resolver (the admin's and the API's included) and methods for the
API from its OpenAPI schema; nothing here lists them by hand except ``ROUTES``, which says what
kind of route each is. A route missing from ``ROUTES`` fails the sweep until someone decides
whether it is public, for signed-in users, for partners, for agency admins, or one of another
agency's records.

Agency A (council ASB team) has one user per role; agency B (housing) owns a note, a closed
meeting part A does not attend with a case about a person, a person, a CCTV request, a meeting,
a problem and an action. Every route is requested with B's ids by every role (GET, and POST where
the route takes one), and the sweep asserts what an attacker would notice:

- no answer is a server error;
- anonymous users get 2xx only from public and sign-in routes;
- nobody but a system admin gets 2xx on one of B's confidential records, and no 2xx answer to
  anyone of A (or of no agency, or a retired agency) carries B's personal values;
- a POST by a viewer, an analyst, a retired agency's user or a user with no agency is refused
  (4xx, or sent to sign in); partner routes refuse a user with no agency;
- every signed-in answer says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhood.accounts.models import Agency, ConfidentialNote, Membership
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.scoping import ConfidentialRecord, Sharing
from saferhood.accounts.services import create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.api import api
from saferhood.areas.models import Area
from saferhood.cctv import services as cctv
from saferhood.jobs.liveness import beat_file
from saferhood.jobs.models import Job
from saferhood.tasking import services as tasking

# --- the one hand-written part: what kind of route each is ---------------------------------------
PUBLIC = "public"  # anyone, signed in or not (area statistics, the API's own documentation)
SESSION = "session"  # signing in and out: anyone may reach them; they change only the session
SIGNED_IN = "signed-in"  # any signed-in user; what it shows is scoped to them
PARTNER = "partner"  # members of a partner agency only (tasking, CCTV); writes need CHANGE
AGENCY_ADMIN = "agency-admin"  # agency and system admins only (the audit trail, people)
RECORD = "record"  # one confidential record by id: no one but whom its sharing names gets 2xx
DJANGO_ADMIN = "django-admin"  # staff system admins only
OWN_ACCOUNT = "own-account"  # a signed-in user's own account (second factor): anyone signed in may change it
IMPORTER = "importer"  # loads data: analysts and system admins only (saferhood.accounts.roles.may_import)
READS = "reads"  # a page that only reads: a POST changes no row (checked), so there is nothing to refuse

ROUTES: dict[str, frozenset[str]] = {
    route: frozenset(kinds)
    for route, kinds in {
        "admin/*": {DJANGO_ADMIN},
        "admin/login/": {SESSION},
        "admin/logout/": {SESSION},
        "sign-in/": {SESSION},
        "sign-out/": {SESSION},
        "sign-in/code/": {SESSION},
        "account/two-factor/": {SIGNED_IN, OWN_ACCOUNT},
        "account/password/": {SIGNED_IN, OWN_ACCOUNT},
        "healthz": {PUBLIC},
        "readyz": {PUBLIC},
        "api/v1/": {PUBLIC},
        "api/v1/openapi.json": {PUBLIC},
        "api/v1/docs": {PUBLIC},
        "api/v1/areas/<code>": {PUBLIC},
        "api/v1/areas/<code>/profile": {PUBLIC},
        "api/v1/areas/<code>/history": {PUBLIC},
        "api/v1/areas/<code>/hotspots": {PUBLIC},
        "api/v1/areas/<code>/hotspot-change": {PUBLIC},
        "api/v1/areas/<code>/hotspot-classes": {PUBLIC},
        "api/v1/areas/<code>/repeat-locations": {PUBLIC},
        "api/v1/areas/<code>/alerts": {PUBLIC},
        "api/v1/notes": {SIGNED_IN},
        "api/v1/notes/<note_id>": {SIGNED_IN, RECORD},
        "api/v1/cctv/cameras": {PARTNER},
        "api/v1/cctv/requests": {PARTNER},
        "api/v1/cctv/deployments": {PARTNER},
        "api/v1/cctv/deployments/<deployment_id>": {PARTNER},
        "api/v1/cctv/requests/<request_id>/decision": {PARTNER},
        "api/v1/cctv/deployments/<deployment_id>/end": {PARTNER},
        "api/v1/tasking/meetings": {PARTNER},
        "api/v1/tasking/meetings/<meeting_id>": {PARTNER},
        "api/v1/tasking/meetings/<meeting_id>/pack": {PARTNER},
        "api/v1/tasking/meetings/<meeting_id>/problems": {PARTNER},
        "api/v1/tasking/meetings/<meeting_id>/closed-cases": {PARTNER, RECORD},
        "api/v1/tasking/problems/<problem_id>": {PARTNER},
        "api/v1/tasking/problems/<problem_id>/actions": {PARTNER},
        "api/v1/tasking/problems/<problem_id>/escalate": {PARTNER},
        "api/v1/tasking/actions/<action_id>/update": {PARTNER},
        "notes/": {SIGNED_IN, READS},
        "notes/<int:pk>/": {SIGNED_IN, RECORD},
        "audit/": {AGENCY_ADMIN},
        "audit/export.csv": {AGENCY_ADMIN},
        "agency/people/": {AGENCY_ADMIN},
        "agency/people/<int:pk>/": {AGENCY_ADMIN, RECORD},
        "agency/people/<int:pk>/password/": {AGENCY_ADMIN, RECORD},
        "cctv/": {PARTNER},
        "cctv/requests/": {PARTNER},
        "cctv/deployments/": {PARTNER},
        "cctv/deployments/<int:pk>/": {PARTNER},
        "cctv/deployments/<int:pk>/end/": {PARTNER},
        "tasking/": {PARTNER},
        "tasking/meetings/<int:pk>/": {PARTNER},
        "tasking/meetings/<int:pk>/minutes/": {PARTNER},
        "tasking/meetings/<int:pk>/minutes/add/": {PARTNER},
        "tasking/meetings/<int:pk>/closed/": {PARTNER, RECORD},
        "tasking/meetings/<int:pk>/pack/": {PARTNER},
        "tasking/meetings/<int:pk>/pack.pdf": {PARTNER},
        "tasking/problems/<int:pk>/": {PARTNER},
        "tasking/actions/<int:pk>/update/": {PARTNER},
        "data/upload/": {IMPORTER},
        "data/refresh/": {IMPORTER},
        # Jobs: analysts and admins (narrower than partners; the jobs tests check the roles).
        "jobs/": {PARTNER},
        "jobs/<int:pk>/": {PARTNER},
        "jobs/<int:pk>/retry/": {PARTNER},
        "": {SIGNED_IN, READS},
        "areas/<str:code>/": {SIGNED_IN, READS},
        "areas/<str:code>/download/<slug:name>.<str:fmt>": {SIGNED_IN, READS},
    }.items()
}
# Writes the design gives a role that otherwise only reads: analysts write the pack's commentary.
EXTRA_WRITERS = {
    "tasking/meetings/<int:pk>/pack/": {"analyst"},
    "jobs/<int:pk>/retry/": {"analyst"},
    "data/upload/": {"analyst"},
    "data/refresh/": {"analyst"},
}
# ---------------------------------------------------------------------------------------------------

ROLES = (
    "anonymous",
    "nobody",
    "viewer",
    "analyst",
    "officer",
    "chair",
    "agency_admin",
    "retired",
    "sysadmin",
)
READ_ONLY = {"nobody", "viewer", "analyst", "retired"}
OF_AGENCY_A = {"viewer", "analyst", "officer", "chair", "agency_admin"}
# B's personal values: none may reach anyone but B's people and system admins.
B_MARKERS = ("Quinn Bnotesubject", "BREF-7731", "BSECRET 14 Hidden Lane", "Rowan Bclosedsubject",
             "BCLOSED-REF-55", "BCLOSED harassment summary", "Bea", "Bpersonsurname", "bea@bperson.example")  # fmt: skip


def kinds_of(route: str) -> frozenset[str]:
    if route in ROUTES:
        return ROUTES[route]
    if route.startswith("admin/"):
        return ROUTES["admin/*"]
    raise KeyError(route)


def walk(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route of the URL resolver, as its pattern text (the admin's and the API's too)."""
    found: list[str] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += walk(entry, prefix + str(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            found.append(prefix + str(entry.pattern))
    return list(dict.fromkeys(found))


def api_methods() -> dict[str, set[str]]:
    """Route pattern text → the methods the OpenAPI schema documents for it."""
    methods: dict[str, set[str]] = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
        methods.setdefault(route, set()).update(m.upper() for m in operations)
    return methods


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, Any]
    admin_objects: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.SAFERHOOD_JOBS_DIR = tmp_path  # a job worker beats, so /readyz is ready (200)
    beat_file("sweep-worker", timezone.now())
    council, housing = Agency.objects.get(slug="council-asb"), Agency.objects.get(slug="housing")
    retired = Agency.objects.create(slug="old-youth-team", name="Old Youth Team", active=False)
    users: dict[str, Any] = {
        "nobody": make_user("sweep-nobody", None),
        "viewer": make_user("sweep-viewer", council, RoleCode.VIEWER),
        "analyst": make_user("sweep-analyst", council, RoleCode.ANALYST),
        "officer": make_user("sweep-officer", council, RoleCode.OFFICER),
        "chair": make_user("sweep-chair", council, RoleCode.TASKING_CHAIR),
        "agency_admin": make_user("sweep-agency-admin", council, RoleCode.AGENCY_ADMIN),
        "retired": make_user("sweep-retired", retired, RoleCode.OFFICER, RoleCode.TASKING_CHAIR),
        "sysadmin": make_user("sweep-sysadmin", "csp-team", RoleCode.SYSTEM_ADMIN),
    }
    get_user_model().objects.filter(pk=users["sysadmin"].pk).update(is_staff=True, is_superuser=True)
    users["sysadmin"].refresh_from_db()
    b_person = make_user("sweep-b-officer", housing, RoleCode.OFFICER, RoleCode.TASKING_CHAIR)
    get_user_model().objects.filter(pk=b_person.pk).update(
        first_name="Bea", last_name="Bpersonsurname", email="bea@bperson.example"
    )
    note = create_note(by_user=b_person, owner_agency=housing, subject_name="Quinn Bnotesubject",
                       subject_ref="BREF-7731", text="BSECRET 14 Hidden Lane")  # fmt: skip
    assert note.sharing == Sharing.OWN_AGENCY
    tipton = Area.objects.get(code="tipton")
    meeting = tasking.create_meeting(kind="town", area=tipton, on=datetime.date(2026, 4, 14),
                                     chairs="Housing lead", by=b_person, closed_members=[b_person])  # fmt: skip
    tasking.record_closed_case(meeting, by=b_person, subject="Rowan Bclosedsubject", subject_ref="BCLOSED-REF-55",
                               role="victim", summary="BCLOSED harassment summary")  # fmt: skip
    ward = Area.objects.filter(parent=tipton, level="ward").first()
    problem = tasking.raise_problem(meeting, by=b_person, title="Fly-tipping behind the flats", place="Alley",
                                    area=ward, theme="environmental", description="Bags", lead_agency=housing)  # fmt: skip
    action = tasking.add_action(problem, meeting, by=b_person, description="Clear the alley", owner_name="Housing",
                                owner_agency=housing, due=datetime.date(2026, 5, 30))  # fmt: skip
    camera = cctv.add_camera("SWEEP-CAM", "", by=b_person)
    request = cctv.request_deployment(place_name="Owen Street", longitude=-2.0447, latitude=52.5293,
                                      requesting_agency=housing, reason="ASB at night", by=b_person)  # fmt: skip
    deployment = cctv.deploy_camera(cctv.Place("Tipton park", -2.0447, 52.5293), camera,
                                    datetime.date(2026, 1, 5), datetime.date(2026, 3, 1), b_person)  # fmt: skip
    device = TOTPDevice.objects.create(user=b_person, name="B's phone", confirmed=True)
    ids = {
        "totpdevice": device.pk,
        "note": note.pk, "meeting": meeting.pk, "problem": problem.pk, "action": action.pk,
        "deployment": deployment.pk, "request": request.pk, "membership": Membership.objects.get(user=b_person).pk,
        "user": b_person.pk, "agency": housing.pk, "note_type": ContentType.objects.get_for_model(ConfidentialNote).pk,
        "job": Job.objects.create(kind="retention", label="Retention", state="failed").pk,
    }  # fmt: skip
    return World(users=users, ids=ids)


PK_BY_SEGMENT = {"totpdevice": "totpdevice", "notes": "note", "meetings": "meeting", "problems": "problem", "actions": "action",
                 "deployments": "deployment", "people": "membership", "requests": "request", "jobs": "job"}  # fmt: skip


def _admin_object_id(route: str, w: World) -> str:
    """For an admin route: B's record of that model (note, user, agency), else any row, else 1."""
    app_label, model_name = route.split("/")[1:3]
    if app_label == "r":  # view on site: <content type>/<object id>, the content type is the note's
        return str(w.ids["note"])
    special = {"confidentialnote": "note", "user": "user", "agency": "agency"}
    if model_name in special:
        return str(w.ids[special[model_name]])
    model = apps.get_model(app_label, model_name)
    rows = (
        model.objects.for_system("sweep") if issubclass(model, ConfidentialRecord) else model._default_manager
    )
    first = rows.order_by("pk").values_list("pk", flat=True).first()
    return str(first if first is not None else 1)


def concrete(route: str, w: World) -> str:
    """The route's path with B's ids in every parameter."""
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<app_label>([\w|]+)\)", lambda m: m.group(1).split("|")[0], path)
    path = re.sub(r"\(\?P<url>[^)]*\)", "no-such-page/", path)

    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        before = path[: match.start()].rstrip("/").split("/")[-1]
        if name == "pk" and before in PK_BY_SEGMENT:
            return str(w.ids[PK_BY_SEGMENT[before]])
        if name.endswith("_id") and name[:-3] in w.ids:
            return str(w.ids[name[:-3]])
        if name == "code":
            return "tipton"
        if name == "name":
            return "series"
        if name == "fmt":
            return "csv"
        if name == "content_type_id":
            return str(w.ids["note_type"])
        if name in ("object_id", "id", "pk") and path.startswith("admin/"):
            return _admin_object_id(route, w) if name != "id" else str(w.ids["user"])
        raise AssertionError(f"the sweep has no value for <{match.group(0)}> in {route!r}")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, path)


def body_of(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", "replace")


def rows_everywhere() -> int:
    """Rows in every table but the audit trail and sessions (reads append to the one, sign-ins the other)."""
    total = 0
    for model in apps.get_models():
        if model._meta.label in ("core.AuditEvent", "sessions.Session"):
            continue
        manager = model.objects if issubclass(model, ConfidentialRecord) else model._default_manager
        total += (manager.for_system("sweep") if issubclass(model, ConfidentialRecord) else manager).count()
    return total


def refused(response: Any) -> bool:
    """A 4xx, or a redirect to sign in."""
    if 400 <= response.status_code < 500:
        return True
    location = response.get("Location", "")
    return response.status_code in (301, 302) and ("sign-in" in location or "login" in location)


def test_every_route_is_classified(db) -> None:
    routes = walk(get_resolver())
    unclassified = []
    for route in routes:
        try:
            kinds_of(route)
        except KeyError:
            unclassified.append(route)
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    stale = [r for r in ROUTES if r != "admin/*" and r not in routes]
    assert not stale, f"ROUTES lists routes that no longer exist: {stale}"
    assert set(api_methods()) <= set(routes)  # every documented API path is swept


def judge(route: str, kinds: frozenset[str], role: str, method: str, response: Any, body: str) -> list[str]:
    """What is wrong with this answer to this role (empty: nothing)."""
    ok = 200 <= response.status_code < 300
    rules = [
        (response.status_code >= 500, "server error"),
        (ok and role == "anonymous" and not kinds & {PUBLIC, SESSION}, "anonymous 2xx"),
        (ok and RECORD in kinds and role != "sysadmin", "another agency's record"),
        (ok and role != "anonymous" and "no-store" not in response.get("Cache-Control", ""), "no Cache-Control: no-store"),
        (ok and AGENCY_ADMIN in kinds and role not in ("agency_admin", "sysadmin"), "admin page for a non-admin"),
        (ok and DJANGO_ADMIN in kinds and role != "sysadmin", "Django admin for a non-admin"),
        (ok and IMPORTER in kinds and role not in ("analyst", "sysadmin"), "data upload for a role that may not import"),
        (PARTNER in kinds and role == "nobody" and response.status_code != 403, "partner content with no agency"),
    ]  # fmt: skip
    found = [what for broken, what in rules if broken]
    if ok and role not in ("sysadmin", "anonymous"):
        leaked = [m for m in B_MARKERS if re.search(rf"\b{re.escape(m)}\b", body)]
        if leaked:
            found.append(f"B's personal values {leaked}")
    may_write = kinds & {PUBLIC, SESSION, OWN_ACCOUNT, READS} or role in EXTRA_WRITERS.get(route, ())
    if method != "GET" and role in READ_ONLY and not may_write and not refused(response):
        found.append("a read-only user's write was not refused")
    return found


def test_every_route_by_every_role_with_another_agencys_ids(world: World) -> None:
    started = time.monotonic()
    methods = api_methods()
    clients: dict[str, Client] = {}
    for role in ROLES:
        clients[role] = Client(raise_request_exception=False)
        if role != "anonymous":
            clients[role].force_login(world.users[role])
    problems: list[str] = []
    requests = 0
    reached: set[str] = set()  # routes a system admin got 2xx from: the ids are real, the pages work
    seen: set[str] = set()  # B's values a system admin was shown: the markers are really in the answers
    for route in walk(get_resolver()):
        kinds = kinds_of(route)
        path = concrete(route, world)
        for role in ROLES:
            client = clients[role]
            for method in sorted(methods.get(route, {"GET", "POST"})):
                rows_before = rows_everywhere() if READS in kinds and method != "GET" else None
                if method == "GET":
                    response = client.get(path)
                elif route.startswith("api/"):
                    response = client.generic(method, path, "{}", content_type="application/json")
                else:
                    response = client.post(path, {})
                requests += 1
                body = body_of(response)
                where = f"{method} {path} as {role} ({response.status_code})"
                problems += [f"{what}: {where}" for what in judge(route, kinds, role, method, response, body)]
                if rows_before is not None and rows_everywhere() != rows_before:
                    problems.append(f"a POST to a page that only reads changed rows: {where}")
                if role == "sysadmin" and method == "GET" and 200 <= response.status_code < 300:
                    reached.add(route)
                    seen |= {m for m in B_MARKERS if m in body}
                if SESSION in kinds and role != "anonymous":
                    client.force_login(
                        world.users[role]
                    )  # signing in or out must not end the sweep's session
    elapsed = time.monotonic() - started
    gets = {r for r in walk(get_resolver()) if "GET" in methods.get(r, {"GET"}) and RECORD in kinds_of(r)}
    # People pages are POST only, or reached by a system admin with ?agency= (accounts tests)
    assert gets - {"agency/people/<int:pk>/", "agency/people/<int:pk>/password/"} <= reached, gets - reached
    assert {"Quinn Bnotesubject", "Rowan Bclosedsubject", "BSECRET 14 Hidden Lane"} <= seen
    assert not problems, f"{len(problems)} problems in {requests} requests:\n" + "\n".join(problems)
    assert requests > 1000, requests
    print(f"authorization sweep: {requests} requests in {elapsed:.0f} s")  # about 70 s on 2 cores
