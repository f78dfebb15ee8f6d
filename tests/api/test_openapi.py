"""Contract section 1: the OpenAPI document describes every operation fully, and the
security it declares is the one the service enforces."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI

from app.core.openapi import without_null
from app.main import create_app
from tests.api.support import PROBLEM, assert_problem, error_paths
from tests.bookings.helpers import book, evening, make_agreement, next_weekday, world
from tests.conftest import ADMIN, settings_for

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
async def document(client) -> dict[str, Any]:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    return doc


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The document alone (no database): for properties that do not depend on one."""
    app: FastAPI = create_app(settings_for("sqlite:///never-opened.db"))
    return app.openapi()


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def allows_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    return kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or any(
        allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", [])
    )


def body_schema(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = op.get("requestBody")
    return resolve(doc, body["content"]["application/json"]["schema"]) if body else None


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def needs_key(op: dict[str, Any]) -> bool:
    return bool(op["security"])


async def test_the_document_declares_the_bearer_api_key_scheme(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes, "no security scheme"
    bearer = [
        s for s in schemes.values() if s["type"] == "http" and s["scheme"].lower() == "bearer"
    ]
    assert len(bearer) == 1


async def test_the_document_lists_the_catalog_operations(document):
    ops = {(m, p) for m, p, _ in operations(document)}
    for expected in [
        ("POST", "/v1/api-keys"), ("DELETE", "/v1/api-keys/{key_id}"), ("GET", "/v1/parties"),
        ("POST", "/v1/parties"), ("GET", "/v1/parties/{party_id}"),
        ("PATCH", "/v1/parties/{party_id}"), ("GET", "/v1/sites"), ("POST", "/v1/sites"),
        ("GET", "/v1/sites/{site_id}"), ("PATCH", "/v1/sites/{site_id}"),
        ("GET", "/v1/sites/{site_id}/spaces"), ("POST", "/v1/sites/{site_id}/spaces"),
        ("GET", "/v1/spaces"), ("GET", "/v1/spaces/{space_id}"), ("PATCH", "/v1/spaces/{space_id}"),
        ("GET", "/v1/sites/{site_id}/calendar-exceptions"),
        ("POST", "/v1/sites/{site_id}/calendar-exceptions"),
        ("GET", "/v1/sites/{site_id}/calendar-exceptions/{exception_id}"),
        ("PATCH", "/v1/sites/{site_id}/calendar-exceptions/{exception_id}"),
        ("DELETE", "/v1/sites/{site_id}/calendar-exceptions/{exception_id}"), ("GET", "/healthz"),
        ("GET", "/readyz"),
    ]:
        assert expected in ops, expected


async def test_every_operation_has_a_unique_operation_id(document):
    ids = [op.get("operationId") for _, _, op in operations(document)]
    assert all(ids), [(m, p) for m, p, op in operations(document) if not op.get("operationId")]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


async def test_every_operation_has_a_declared_tag_and_a_summary(document):
    declared = {t["name"] for t in document.get("tags", [])}
    for method, path, op in operations(document):
        assert op.get("tags"), (method, path)
        assert set(op["tags"]) <= declared, (method, path, op["tags"])
        assert op.get("summary", "").strip(), (method, path)


async def test_every_operation_documents_its_problem_responses(document):
    for method, path, op in operations(document):
        where = (method, path)
        expected = {"422", "500"}
        if needs_key(op):
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        missing = expected - op["responses"].keys()
        assert not missing, (where, sorted(missing))
        for status, response in op["responses"].items():
            if status[0] in "45":
                content = response.get("content", {})
                assert list(content) == [PROBLEM], (where, status, list(content))
                assert content[PROBLEM]["schema"]["$ref"].endswith("/Problem"), (where, status)
                assert response["description"], (where, status)


async def test_the_problem_schema_has_the_rfc_9457_fields_and_a_code(document):
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "errors" in problem["properties"]


async def test_every_operation_says_whether_it_needs_a_key(document):
    """Keyed operations name the bearer scheme alone; public ones declare no security
    (`[]`), not an optional key (`[{}, ...]`, which makes generators demand a key)."""
    schemes = set(document["components"]["securitySchemes"])
    assert "security" not in document  # no default: each operation says
    for method, path, op in operations(document):
        assert op.get("security") in ([], [{scheme: []} for scheme in schemes]), (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/sites"), ("GET", "/v1/sites/{site_id}"), ("GET", "/v1/spaces"),
     ("GET", "/v1/spaces/{space_id}"), ("GET", "/v1/sites/{site_id}/spaces"),
     ("GET", "/v1/sites/{site_id}/calendar-exceptions")],
)
async def test_catalog_reads_are_documented_as_keyless(document, method, path):
    assert not needs_key(document["paths"][path][method.lower()])


async def test_the_declared_security_is_the_enforced_security(client, document):
    """Without a key, an operation documented as needing one answers 401, and one
    documented as keyless does not."""
    for method, path, op in operations(document):
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = await client.request(
            method, url, json={} if method in ("POST", "PUT", "PATCH") else None
        )
        assert r.status_code != 500, (method, path, r.text)
        if needs_key(op):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code != 401, (method, path, r.status_code)
            # A public operation declares no security: a key sent anyway is not looked at.
            bad = {"Authorization": "Bearer not-a-key"}
            r = await client.request(method, url, headers=bad)
            assert r.status_code not in (401, 403, 500), (method, path, r.status_code)


async def test_every_path_parameter_is_documented(document):
    for method, path, op in operations(document):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


async def test_availability_documents_its_required_instants(document):
    op = document["paths"]["/v1/spaces/{space_id}/availability"]["get"]
    query = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert set(query) == {"from", "to"}
    for p in query.values():
        assert p["required"] is True
        assert p["schema"]["type"] == "string" and p["schema"]["format"] == "date-time"


# --- PATCH: optional fields, null only where it means something ---------------------

# The fields a change may set to null, and what null means.
NULL_MEANS = {
    ("/v1/sites/{site_id}", "address"): "no address",
    ("/v1/agreements/{agreement_id}", "ends_on"): "no end",
}


def test_a_change_declares_null_only_where_null_means_something(spec):
    nullable = set()
    for method, path, op in operations(spec):
        if method == "PATCH":
            schema = body_schema(spec, op)
            assert schema is not None and not schema.get("required"), path
            for name, field in schema["properties"].items():
                if allows_null(field):
                    nullable.add((path, name))
                else:
                    assert field.get("default", "none") is not None, (path, name)
    assert nullable == set(NULL_MEANS)


async def test_a_site_change_clears_the_address_with_null(client):
    w = await world(client)
    r = await client.patch(f"/v1/sites/{w.site['id']}", json={"address": None}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["address"] is None


async def test_an_agreement_change_removes_its_end_with_null(client):
    w = await world(client)
    agreement = await make_agreement(
        client, [w.city["id"], w.district["id"]], ends_on="2099-06-30"
    )
    r = await client.patch(
        f"/v1/agreements/{agreement['id']}", json={"ends_on": None}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    assert r.json()["ends_on"] is None


@pytest.mark.parametrize("field", ["start", "end", "setup_minutes", "purpose", "attendance"])
async def test_a_booking_change_refuses_null_naming_the_field(client, field):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/bookings/{booking['id']}"
    etag = (await client.get(url, headers=ADMIN)).headers["ETag"]
    r = await client.patch(url, json={field: None}, headers={**ADMIN, "If-Match": etag})
    problem = assert_problem(r, 422, "validation-error")
    assert error_paths(problem) == [f"body.{field}"]


# --- optional bodies ---------------------------------------------------------------

OPTIONAL_BODIES = {
    ("POST", "/v1/bookings/{booking_id}/approve"),
    ("POST", "/v1/bookings/{booking_id}/decline"),
    ("POST", "/v1/bookings/{booking_id}/cancel"),
    ("POST", "/v1/booking-series/{series_id}/cancel"),
}


def test_an_optional_body_is_optional_not_nullable(spec):
    optional = set()
    for method, path, op in operations(spec):
        body = op.get("requestBody")
        if body is not None and not body.get("required", False):
            optional.add((method, path))
            assert not allows_null(body["content"]["application/json"]["schema"]), path
    assert optional == OPTIONAL_BODIES


@pytest.mark.parametrize("body", [None, {}, {"reason": "Gym floor refinishing"}])
async def test_an_action_is_called_with_or_without_its_body(client, body):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.post(f"/v1/bookings/{booking['id']}/cancel", json=body, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


# --- tags --------------------------------------------------------------------------


def test_every_operation_has_one_tag_and_every_tag_has_operations(spec):
    used = set()
    for method, path, op in operations(spec):
        assert len(op["tags"]) == 1, (method, path, op["tags"])
        used.add(op["tags"][0])
    assert used == {t["name"] for t in spec["tags"]}


@pytest.mark.parametrize(
    ("method", "path", "tag"),
    [
        ("GET", "/v1/sites/{site_id}/spaces", "spaces"),
        ("GET", "/v1/spaces/{space_id}", "spaces"),
        ("GET", "/v1/sites/{site_id}/calendar-exceptions", "calendar"),
        ("GET", "/v1/reports/utilization", "reports"),
        ("GET", "/v1/sites/{site_id}", "sites"),
    ],
)
def test_an_operation_is_filed_under_its_most_specific_tag(spec, method, path, tag):
    assert spec["paths"][path][method.lower()]["tags"] == [tag]


# --- ids ---------------------------------------------------------------------------


def body_id_schemas(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every `*_id` / `*_ids` property of the request bodies, as (schema, field, id schema)."""
    found = []
    for name, schema in doc["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if field.endswith("_id") or field.endswith("_ids"):
                inner = without_null(prop)
                found.append((name, field, inner.get("items", inner)))
    return found


def test_an_id_has_one_type_in_paths_queries_and_bodies(spec):
    body_ids = [(n, f, s) for n, f, s in body_id_schemas(spec) if n.endswith("Create")]
    assert body_ids
    id_type = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    for name, field, schema in body_ids:
        assert {k: schema.get(k) for k in id_type} == id_type, (name, field, schema)
    for method, path, op in operations(spec):
        for p in op.get("parameters", []):
            if p["in"] == "path" or p["name"].endswith("_id"):
                where = (method, path, p["name"])
                assert {k: p["schema"].get(k) for k in id_type} == id_type, where


def test_an_optional_query_parameter_is_not_nullable(spec):
    for method, path, op in operations(spec):
        for p in op.get("parameters", []):
            assert not allows_null(p["schema"]), (method, path, p["name"])


async def test_an_id_from_one_answer_is_the_path_of_the_next_call(client):
    w = await world(client)
    assert isinstance(w.site["id"], int)
    r = await client.get(f"/v1/sites/{w.site['id']}")
    assert r.status_code == 200 and r.json() == w.site


@pytest.mark.parametrize("raw", ["abc", "0", "2147483648", "1.0"])
async def test_a_path_id_that_cannot_be_one_of_ours_is_not_found(client, raw):
    assert_problem(await client.get(f"/v1/sites/{raw}"), 404, "not-found")
    assert_problem(await client.get(f"/v1/bookings/{raw}", headers=ADMIN), 404, "not-found")


# --- weekly hours ------------------------------------------------------------------

HOURS_FIELDS = ("open_hours", "reserved_hours", "custodial_hours")


def test_weekly_hours_are_one_named_schema_with_the_seven_weekdays(spec):
    schemas = spec["components"]["schemas"]
    hours = schemas["WeeklyHours"]
    assert list(hours["properties"]) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert hours["additionalProperties"] is False
    for model in ("SiteCreate", "SiteUpdate", "SiteRead"):
        for field in HOURS_FIELDS:
            ref = schemas[model]["properties"][field]["$ref"]
            assert ref == "#/components/schemas/WeeklyHours", (model, field)
    assert [name for name in schemas if "hours" in name.lower()] == ["WeeklyHours"]


# --- If-Match ----------------------------------------------------------------------


def test_a_booking_change_documents_if_match_as_required(spec):
    op = spec["paths"]["/v1/bookings/{booking_id}"]["patch"]
    headers = [p for p in op["parameters"] if p["in"] == "header"]
    assert [p["name"].lower() for p in headers] == ["if-match"]
    assert headers[0]["required"] is True
    assert headers[0]["schema"] == {"type": "string", "maxLength": 200}
    assert {"412", "428"} <= set(op["responses"])


async def test_a_booking_change_without_if_match_is_still_a_428_problem(client):
    w = await world(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url, change = f"/v1/bookings/{booking['id']}", {"attendance": 12}
    missing = await client.patch(url, json=change, headers=ADMIN)
    assert_problem(missing, 428, "precondition-required")
    stale = {**ADMIN, "If-Match": '"stale"'}
    assert_problem(await client.patch(url, json=change, headers=stale), 412, "precondition-failed")
    too_long = {**ADMIN, "If-Match": "x" * 201}
    assert_problem(await client.patch(url, json=change, headers=too_long), 422, "validation-error")
