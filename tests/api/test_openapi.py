"""Contract section 1: the OpenAPI document describes every operation fully, and the
security it declares is the one the service enforces."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI

from app.bookings.schemas import WHOLE_MINUTE_PATTERN
from app.core.openapi import without_null
from app.core.time import DATE_PATTERN, END_PATTERN, INSTANT_PATTERN, START_PATTERN
from app.main import create_app
from tests.api.openapi_support import (
    allows_null,
    body_schema,
    conforms,
    documented,
    operations,
    resolve,
)
from tests.api.support import PROBLEM, assert_problem, error_paths
from tests.bookings.helpers import book, evening, make_agreement, next_weekday, world
from tests.conftest import ADMIN, settings_for


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


def problem_schemas(doc: dict[str, Any], response: dict[str, Any]) -> list[dict[str, Any]]:
    """The problem schemas a response may be: one, or several told apart by `code`."""
    schema = response["content"][PROBLEM]["schema"]
    refs = [schema] if "$ref" in schema else schema["oneOf"]
    return [resolve(doc, ref) for ref in refs]


async def test_every_operation_documents_its_problem_responses(document):
    for method, path, op in operations(document):
        where = (method, path)
        expected = {"413", "422", "500"}
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
                assert response["description"], (where, status)
                schema = content[PROBLEM]["schema"]
                if "oneOf" in schema:
                    mapping = schema["discriminator"]["mapping"]
                    assert schema["discriminator"]["propertyName"] == "code"
                    assert sorted(mapping.values()) == sorted(r["$ref"] for r in schema["oneOf"])
                for problem in problem_schemas(document, response):
                    assert problem["properties"]["status"]["const"] == int(status), where


def test_a_problem_schema_is_rfc_9457_with_its_code_constant(spec):
    problems = {n: s for n, s in spec["components"]["schemas"].items() if n.endswith("Problem")}
    assert len(problems) >= 10
    for name, schema in problems.items():
        assert {"type", "title", "status", "detail", "code"} <= set(schema["required"]), name
        code = schema["properties"]["code"]["const"]
        assert schema["properties"]["type"]["const"] == f"urn:jointuse:problem:{code}", name
        assert not allows_null(schema["properties"]["request_id"]), name


def codes(doc: dict[str, Any], method: str, path: str, status: str) -> set[str]:
    response = doc["paths"][path][method.lower()]["responses"][status]
    return {p["properties"]["code"]["const"] for p in problem_schemas(doc, response)}


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        ("POST", "/v1/bookings", "409", {"booking-conflict", "idempotency-in-flight"}),
        ("POST", "/v1/bookings", "422",
         {"validation-error", "booking-rules-violated", "idempotency-key-reused"}),
        ("PATCH", "/v1/bookings/{booking_id}", "409", {"booking-conflict", "invalid-transition"}),
        ("POST", "/v1/bookings/{booking_id}/approve", "409",
         {"invalid-transition", "idempotency-in-flight"}),
        ("POST", "/v1/booking-series", "422",
         {"validation-error", "booking-rules-violated", "idempotency-key-reused"}),
        ("POST", "/v1/agreements", "422", {"validation-error", "rental-fee-prohibited"}),
        ("GET", "/v1/sites", "422", {"validation-error"}),
        ("GET", "/v1/sites/{site_id}", "404", {"not-found"}),
        ("GET", "/v1/parties", "401", {"unauthenticated"}),
        ("GET", "/v1/reports/utilization", "503", {"service-unavailable"}),
    ],
)
def test_a_problem_response_lists_the_codes_the_operation_answers(
    spec, method, path, status, expected
):
    assert codes(spec, method, path, status) == expected


# Contract section 4.
RULES = {
    "rental-fee-prohibited", "no-agreement", "agreement-kind", "outside-open-hours",
    "owner-priority", "site-closed", "conflict", "notice-too-short", "too-far-ahead", "too-long",
    "over-capacity",
}


def test_violations_are_typed_with_the_rules_of_section_4(spec):
    for name in ("BookingConflictProblem", "BookingRulesViolatedProblem", "QuoteResult"):
        violations = spec["components"]["schemas"][name]["properties"]["violations"]
        violation = resolve(spec, violations["items"])
        assert set(resolve(spec, violation["properties"]["rule"])["enum"]) == RULES, name
    assert "violations" in spec["components"]["schemas"]["BookingConflictProblem"]["required"]
    errors = spec["components"]["schemas"]["ValidationErrorProblem"]
    assert "errors" in errors["required"]


async def test_problems_answered_are_the_documented_ones(client, document):
    w = await world(client)
    day = next_weekday(1)
    booking = await book(client, w.group_key, evening(w.gym["id"], day))
    url = f"/v1/bookings/{booking['id']}"
    group = w.group_key
    conflict = await client.post("/v1/bookings", json=evening(w.gym["id"], day), headers=group)
    assert documented(document, "POST", "/v1/bookings", conflict)["code"] == "booking-conflict"
    rules = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, "23:00", "23:30"), headers=group
    )
    assert documented(document, "POST", "/v1/bookings", rules)["code"] == "booking-rules-violated"
    bad = await client.post("/v1/bookings", json={"space_id": "gym"}, headers=ADMIN)
    assert documented(document, "POST", "/v1/bookings", bad)["code"] == "validation-error"
    keyless = await client.post("/v1/bookings", json={})
    assert documented(document, "POST", "/v1/bookings", keyless)["code"] == "unauthenticated"
    approve = await client.post(f"{url}/approve", headers=ADMIN)
    path = "/v1/bookings/{booking_id}/approve"
    assert documented(document, "POST", path, approve)["code"] == "invalid-transition"
    missing = await client.patch(url, json={"attendance": 3}, headers=ADMIN)
    path = "/v1/bookings/{booking_id}"
    assert documented(document, "PATCH", path, missing)["code"] == "precondition-required"
    gone = await client.get("/v1/bookings/987654321", headers=ADMIN)
    assert documented(document, "GET", path, gone)["code"] == "not-found"
    fee = await client.post(
        "/v1/agreements",
        json={"kind": "blanket", "name": "Fee", "party_ids": [w.city["id"], w.district["id"]],
              "starts_on": "2027-01-01", "rental_fee_cents": 100},
        headers=ADMIN,
    )
    assert documented(document, "POST", "/v1/agreements", fee)["code"] == "rental-fee-prohibited"


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


# Path parameters that are not ids: a secret address's token.
NOT_IDS = {("GET", "/v1/calendar-feeds/{token}.ics", "token")}


def test_an_id_has_one_type_in_paths_queries_and_bodies(spec):
    body_ids = [(n, f, s) for n, f, s in body_id_schemas(spec) if n.endswith("Create")]
    assert body_ids
    id_type = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    for name, field, schema in body_ids:
        assert {k: schema.get(k) for k in id_type} == id_type, (name, field, schema)
    for method, path, op in operations(spec):
        for p in op.get("parameters", []):
            where = (method, path, p["name"])
            if p["in"] == "path" and where in NOT_IDS:
                continue
            if p["in"] == "path" or p["name"].endswith("_id"):
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


# --- headers, 413, 405 -------------------------------------------------------------


def test_every_answer_documents_its_headers(spec):
    assert {"X-Request-ID", "Location", "ETag", "Retry-After", "Allow"} <= set(
        spec["components"]["headers"]
    )
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, (method, path, status)
            if status == "201":
                assert "Location" in headers, (method, path)
            if status == "401":
                assert "WWW-Authenticate" in headers, (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/bookings"),
        ("GET", "/v1/bookings/{booking_id}"),
        ("PATCH", "/v1/bookings/{booking_id}"),
        ("POST", "/v1/bookings/{booking_id}/cancel"),
    ],
)
def test_a_booking_answer_documents_its_etag(spec, method, path):
    op = spec["paths"][path][method.lower()]
    success = next(s for s in op["responses"] if s.startswith("2"))
    assert "ETag" in op["responses"][success]["headers"]


def test_413_is_documented_everywhere_and_405_once(spec):
    for method, path, _ in operations(spec):
        assert codes(spec, method, path, "413") == {"payload-too-large"}, (method, path)
    not_allowed = spec["components"]["responses"]["MethodNotAllowed"]
    assert "Allow" in not_allowed["headers"]
    assert "405" in spec["info"]["description"]


async def test_a_body_over_1_mib_is_the_documented_413(client, document):
    r = await client.post("/v1/parties", content=b"{" + b" " * (1 << 20) + b"}", headers=ADMIN)
    assert documented(document, "POST", "/v1/parties", r)["code"] == "payload-too-large"


async def test_a_method_a_path_does_not_list_is_the_documented_405(client, document):
    r = await client.delete("/v1/bookings", headers=ADMIN)
    assert r.status_code == 405
    response = document["components"]["responses"]["MethodNotAllowed"]
    conforms(document, response["content"][PROBLEM]["schema"], r.json())
    assert "allow" in r.headers


# --- constraints the server enforces -----------------------------------------------


def test_the_documented_constraints_are_the_enforced_ones(spec):
    schemas = spec["components"]["schemas"]
    party_ids = schemas["AgreementCreate"]["properties"]["party_ids"]
    assert party_ids["uniqueItems"] is True and party_ids["minItems"] == party_ids["maxItems"] == 2
    for model in ("AgreementCreate", "AgreementUpdate"):
        shares = without_null(schemas[model]["properties"]["cost_shares"])
        assert shares["propertyNames"] == {"pattern": "^[1-9][0-9]{0,9}$"}, model
        assert shares["minProperties"] == shares["maxProperties"] == 2, model
    window = schemas["WeeklyHours"]["properties"]["mon"]["items"]["prefixItems"]
    assert [w["pattern"] for w in window] == [START_PATTERN, END_PATTERN]
    limit = next(
        p for p in spec["paths"]["/v1/sites"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 200)


@pytest.mark.parametrize(
    "shares",
    [{"1": 50}, {"one": 50, "two": 50}, {"0": 50, "01": 50}],
)
async def test_cost_shares_outside_their_schema_are_refused(client, shares):
    w = await world(client)
    body = {"kind": "blanket", "name": "Shares", "party_ids": [w.city["id"], w.district["id"]],
            "starts_on": "2027-01-01", "cost_shares": shares}
    assert_problem(await client.post("/v1/agreements", json=body, headers=ADMIN), 422,
                   "validation-error")


async def test_the_same_party_twice_is_refused(client):
    w = await world(client)
    body = {"kind": "blanket", "name": "Twice", "party_ids": [w.city["id"], w.city["id"]],
            "starts_on": "2027-01-01"}
    assert_problem(await client.post("/v1/agreements", json=body, headers=ADMIN), 422,
                   "validation-error")


# --- CSV answers -------------------------------------------------------------------

CSV_OPERATIONS = [
    ("/v1/agreements/{agreement_id}/statement", "date,kind,site_id,booking_id"),
    ("/v1/reports/utilization", "key,name,booked_minutes"),
]


@pytest.mark.parametrize(("path", "header_row"), CSV_OPERATIONS)
def test_the_csv_answers_are_in_the_document(spec, path, header_row):
    ok = spec["paths"][path]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"application/json", "text/csv"}
    assert ok["content"]["text/csv"]["schema"] == {"type": "string"}
    assert "Content-Disposition" in ok["headers"]


@pytest.mark.parametrize(("path", "header_row"), CSV_OPERATIONS)
async def test_accept_text_csv_is_answered_as_documented(client, path, header_row):
    w = await world(client)
    url = path.replace("{agreement_id}", str(w.agreement["id"]))
    r = await client.get(
        url, params={"from": "2027-01-01", "to": "2027-01-31"},
        headers={**ADMIN, "Accept": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == "text/csv"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.text.startswith(header_row)


def test_instants_dates_and_terms_document_their_limits(spec):
    schemas = spec["components"]["schemas"]
    start = schemas["BookingCreate"]["properties"]["start"]
    assert start["format"] == "date-time"
    occurred = schemas["BookingEventRead"]["properties"]["occurred_at"]
    assert "1970 to 2199" in occurred["description"]
    # Its grammar and years (tests/core/test_time.py).
    assert occurred["pattern"] == INSTANT_PATTERN
    # A booking's or series' times, made or changed, are whole minutes too (section 1).
    for schema in ("BookingCreate", "BookingUpdate", "SeriesCreate"):
        for name in ("start", "end"):
            field = schemas[schema]["properties"][name]
            assert field["pattern"] == WHOLE_MINUTE_PATTERN, (schema, name)
            assert "1970 to 2199" in field["description"] and "whole minute" in field["description"]
    starts_on = schemas["AgreementCreate"]["properties"]["starts_on"]
    assert starts_on["pattern"] == DATE_PATTERN
    assert "1970-01-01 to 2199-12-31" in starts_on["description"]
    assert not {"ge", "le"} & set(starts_on)  # not JSON Schema keywords
    # A change's terms have the terms' own limits.
    terms = schemas["AgreementUpdate"]["properties"]["terms"]
    assert terms["$ref"] == "#/components/schemas/Terms"
    notice = schemas["Terms"]["properties"]["min_notice_hours"]
    assert (notice["minimum"], notice["maximum"]) == (0, 24 * 365)


def test_the_document_is_made_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        create_app(settings_for("sqlite:///never-opened.db")).openapi()


async def test_a_terms_change_beyond_its_limits_is_refused_and_one_within_keeps_the_others(
    client,
):
    w = await world(client, terms={"min_notice_hours": 24})
    url = f"/v1/agreements/{w.agreement['id']}"
    too_far = await client.patch(url, json={"terms": {"max_advance_days": -1}}, headers=ADMIN)
    problem = assert_problem(too_far, 422, "validation-error")
    assert error_paths(problem) == ["body.terms.max_advance_days"]
    r = await client.patch(url, json={"terms": {"late_cancel_hours": 12}}, headers=ADMIN)
    assert r.status_code == 200, r.text
    assert r.json()["terms"]["min_notice_hours"] == 24
    assert r.json()["terms"]["late_cancel_hours"] == 12


async def test_a_fixed_path_beside_an_id_is_not_taken_for_an_id(client):
    """The document says a booking id is an integer: `/v1/bookings/quote` is the quote's
    path alone, so another method there is a 405, not the booking routes' 404 or 422."""
    for method in ("GET", "PATCH"):
        r = await client.request(method, "/v1/bookings/quote", headers=ADMIN)
        assert_problem(r, 405, "method-not-allowed")
        assert r.headers["allow"] == "POST"
    assert_problem(await client.get("/v1/bookings/abc", headers=ADMIN), 404, "not-found")


def test_a_key_for_no_party_is_documented_as_an_admin_key_only(spec):
    schema = spec["components"]["schemas"]["ApiKeyCreate"]
    assert schema["if"] == {"properties": {"role": {"const": "admin"}}}
    assert schema["else"]["required"] == ["party_id"]
    body = {"role": "partner", "name": "No party"}
    with pytest.raises(jsonschema_rs.ValidationError):
        conforms(spec, schema, body)
    conforms(spec, schema, {**body, "role": "admin"})


@pytest.mark.parametrize(("role", "status"), [("admin", 201), ("partner", 422), ("manager", 422)])
async def test_only_an_admin_key_is_made_for_no_party(client, role, status):
    r = await client.post(
        "/v1/api-keys", json={"role": role, "name": "No party", "party_id": None}, headers=ADMIN
    )
    assert r.status_code == status, r.text


def test_text_fields_document_that_nul_is_refused(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["BookingCreate"]["properties"]["purpose"]["pattern"] == "^[^\\u0000]*$"
    name = re.compile(schemas["PartyCreate"]["properties"]["name"]["pattern"])
    assert name.match("Parks") and not name.match("Pa\u0000rks")


def test_names_document_that_whitespace_alone_is_refused(spec):
    name = re.compile(spec["components"]["schemas"]["PartyCreate"]["properties"]["name"]["pattern"])
    assert name.match(" a ") and not name.match(" \t\u3000\ufeff")
