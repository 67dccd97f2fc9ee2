"""Issue 13 item 12: OpenAPI documents every status and constraint the code enforces.

Walks /api/v1/openapi.json: every operation documents its error answers in one shape
({"detail": str}), routes behind sign-in document 401/403, routes with an id document 404, and the
limits the code enforces appear as schema constraints. A few documented statuses are then
provoked, to show the document describes what a client really gets.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from saferhood.accounts.roles import RoleCode
from saferhood.accounts.tests.conftest import make_user

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client: Client, db) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_every_operation_documents_its_errors_in_one_shape(schema: dict) -> None:
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert schema["components"]["schemas"]["ErrorOut"]["properties"]["detail"]["type"] == "string"
    ops = list(operations(schema))
    assert len(ops) >= 25  # areas, analyses, notes, cctv, tasking
    missing = []
    for path, method, op in ops:
        expected = {"422", "429"}
        if op.get("security"):
            expected |= {"401", "403"}
        if re.search(r"\{\w+_id\}|\{code\}", path):
            expected.add("404")
        if "requestBody" in op:
            expected.add("400")  # an unreadable JSON body
        documented = set(op["responses"])
        if not expected <= documented:
            missing.append(f"{method.upper()} {path}: {sorted(expected - documented)}")
        for status, answer in op["responses"].items():
            if status.startswith("4"):
                assert answer["content"]["application/json"]["schema"] == error, (path, status)
        assert any(s.startswith("2") for s in documented), path
    assert missing == []


def test_only_the_area_routes_are_open_without_sign_in(schema: dict, client: Client) -> None:
    # docs/adr/0004-public-area-data.md: area data (police.uk and ONS open data) is public; the rest is not.
    public = {f"{method.upper()} {path}" for path, method, op in operations(schema) if not op.get("security")}
    assert public and all(p.startswith("GET /api/v1/areas/{code}") for p in public), public
    signed_out = {
        path: client.get(re.sub(r"\{\w+_id\}", "1", path)).status_code
        for path, method, op in operations(schema)
        if op.get("security") and method == "get"
    }
    assert set(signed_out.values()) == {401}, signed_out


def _param(schema: dict, path: str, name: str) -> dict:
    op = schema["paths"][path]["get"]
    (param,) = [p for p in op["parameters"] if p["name"] == name]
    s = param["schema"]
    return next((alt for alt in s.get("anyOf", []) if alt.get("type") != "null"), s)


@pytest.mark.parametrize(
    ("path", "name", "constraints"),
    [
        ("/api/v1/areas/{code}/hotspots", "cell", {"minimum": 25, "maximum": 5000}),
        ("/api/v1/areas/{code}/hotspots", "bandwidth", {"minimum": 10, "maximum": 20000}),
        ("/api/v1/areas/{code}/hotspots", "distance", {"minimum": 10, "maximum": 10000}),
        ("/api/v1/areas/{code}/hotspots", "alpha", {"exclusiveMinimum": 0, "exclusiveMaximum": 0.5}),
        ("/api/v1/areas/{code}/hotspots", "from", {"pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
        ("/api/v1/areas/{code}/hotspot-change", "split", {"pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
        ("/api/v1/areas/{code}/hotspot-classes", "period_months", {"minimum": 1, "maximum": 12}),
        ("/api/v1/areas/{code}/repeat-locations", "top", {"minimum": 1, "maximum": 500}),
        ("/api/v1/areas/{code}/alerts", "level", {"pattern": "^(lsoa|ward|town|lad)$"}),
        ("/api/v1/areas/{code}/profile", "to", {"pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
        ("/api/v1/areas/{code}/profile", "compare", {"pattern": "^(previous|year)$"}),
        ("/api/v1/areas/{code}", "code", {"pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$"}),
    ],
)
def test_the_limits_the_code_enforces_are_in_the_schema(
    schema: dict, path: str, name: str, constraints: dict
) -> None:
    got = _param(schema, path, name)
    assert {k: got.get(k) for k in constraints} == constraints


def test_documented_errors_are_what_a_client_gets(client: Client, db) -> None:
    def detail(response, status: int) -> str:
        assert response.status_code == status, response.content
        body = response.json()
        assert set(body) == {"detail"} and isinstance(body["detail"], str)
        return body["detail"]

    assert detail(client.get("/api/v1/notes", {"q": "Smith"}), 401)
    assert "no area with code" in detail(client.get("/api/v1/areas/E99999999"), 404)
    assert detail(client.get("/api/v1/areas/E08000028/profile", {"from": "2024-13"}), 422).startswith(
        "'from': "
    )
    assert detail(client.get("/api/v1/areas/E08000028/hotspots", {"cell": "1"}), 422).startswith("'cell': ")
    assert detail(client.get("/api/v1/tasking/problems/not-a-number"), 401)  # sign-in comes first

    user = make_user("contract-user", "council-asb", RoleCode.OFFICER)  # a partner: tasking and CCTV open
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert detail(strict.post("/api/v1/cctv/cameras", {}, content_type="application/json"), 403)
    signed_in = Client()
    signed_in.force_login(user)
    assert detail(signed_in.get("/api/v1/tasking/problems/not-a-number"), 422).startswith("'problem_id': ")
    assert detail(signed_in.get("/api/v1/cctv/deployments/999999"), 404)


def test_nul_characters_are_refused_not_a_server_error(db) -> None:
    # PostgreSQL cannot hold NUL in text: a search for "a\x00b" used to be a 500 (the audit row failed).
    client = Client()
    client.force_login(make_user("nul-user", "police", "officer"))
    refused = client.get("/api/v1/notes", {"q": "a\x00b"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("'q': text may not contain NUL")
    assert client.get("/api/v1/areas/E08000028/profile", {"type": "asb\x00"}).status_code == 422
    body = client.post("/api/v1/cctv/cameras", {"asset_tag": "CAM\x0001"}, content_type="application/json")
    assert body.status_code == 400 and body.json() == {"detail": "Cannot parse request body"}
