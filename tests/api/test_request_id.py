"""Every response carries `x-request-id`; problems quote it in `request_id`."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN
from tests.factories import make_party

REQUESTS = [
    pytest.param("GET", "/healthz", None, 200, id="health"),
    pytest.param("GET", "/v1/sites", None, 200, id="list"),
    pytest.param("POST", "/v1/parties", {"name": "City", "kind": "city"}, 201, id="create"),
    pytest.param("GET", "/v1/parties", None, 401, id="unauthenticated"),
    pytest.param("GET", "/v1/sites/987654321", None, 404, id="not-found"),
    pytest.param("GET", "/nowhere", None, 404, id="unknown-route"),
    pytest.param("DELETE", "/v1/sites", None, 405, id="method-not-allowed"),
    pytest.param("POST", "/v1/parties", {"kind": "castle"}, 422, id="validation-error"),
    pytest.param("POST", "/v1/parties", {"name": "x" * 1_100_000}, 413, id="payload-too-large"),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS)
async def test_every_response_has_a_request_id(client, method, path, body, status):
    headers = ADMIN if path == "/v1/parties" and status != 401 else {}
    r = await client.request(method, path, json=body, headers=headers)
    assert r.status_code == status
    assert r.headers["x-request-id"]
    if status >= 400:
        assert r.json()["request_id"] == r.headers["x-request-id"]


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS)
async def test_a_valid_incoming_request_id_is_echoed(client, method, path, body, status):
    headers = {"x-request-id": "lb-7f3a:2027.01.12_abc-DEF"}
    if path == "/v1/parties" and status != 401:
        headers |= ADMIN
    r = await client.request(method, path, json=body, headers=headers)
    assert r.status_code == status
    assert r.headers["x-request-id"] == "lb-7f3a:2027.01.12_abc-DEF"
    if status >= 400:
        assert r.json()["request_id"] == "lb-7f3a:2027.01.12_abc-DEF"


@pytest.mark.parametrize("incoming", ["x" * 129, "has space", "semi;colon", "new\tline", "é"])
async def test_an_invalid_incoming_request_id_is_replaced(client, incoming):
    r = await client.get("/v1/sites/987654321", headers={"x-request-id": incoming.encode("utf-8")})
    assert r.headers["x-request-id"] != incoming
    assert r.headers["x-request-id"]
    assert r.json()["request_id"] == r.headers["x-request-id"]


async def test_each_request_gets_its_own_id(client):
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_a_response_carries_exactly_one_request_id(client):
    await make_party(client)
    r = await client.get("/v1/parties", headers={**ADMIN, "x-request-id": "one"})
    assert r.headers.get_list("x-request-id") == ["one"]
