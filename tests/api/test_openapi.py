"""Contract section 1: the OpenAPI document describes every operation fully, and the
security it declares is the one the service enforces."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from tests.api.support import PROBLEM

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
async def document(client) -> dict[str, Any]:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def needs_key(op: dict[str, Any]) -> bool:
    return {} not in op["security"]


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
    schemes = set(document["components"]["securitySchemes"])
    for method, path, op in operations(document):
        assert "security" in op, (method, path)
        assert op["security"], (method, path)
        for requirement in op["security"]:
            assert set(requirement) <= schemes, (method, path, requirement)


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
