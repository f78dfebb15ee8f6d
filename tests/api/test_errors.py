"""Contract section 1, errors: every failure is an RFC 9457 problem, never HTML or a
bare string, and no input produces a 500."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.deps import SessionDep
from app.core.logs import JsonFormatter
from app.main import create_app
from app.parties.models import Party
from tests.api.support import assert_problem, error_paths, row_counts
from tests.conftest import ADMIN, settings_for
from tests.factories import make_party, make_site

ONE_MIB = 1_048_576
SECRET_DETAIL = "db password is hunter2"


# --- routes and methods -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"), ("GET", "/v1"), ("GET", "/v1/castles"), ("POST", "/v1/castles"),
        ("GET", "/v1/sites/1/nope"),
    ],
)
async def test_an_unknown_route_is_a_not_found_problem(client, method, path):
    r = await client.request(method, path, headers=ADMIN)
    body = assert_problem(r, 404, "not-found")
    assert "<html" not in r.text.lower()
    assert body["type"].endswith("not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/sites"),
        ("PUT", "/v1/parties/1"),
        ("POST", "/v1/spaces/1"),
        ("PATCH", "/v1/api-keys/1"),
    ],
)
async def test_a_wrong_method_is_a_method_not_allowed_problem(client, method, path):
    r = await client.request(method, path, headers=ADMIN)
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"]


# --- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b'{"name": "x", "kind": "city"', b"{'name': 'x'}", b"name=x&kind=city", b'{"name": "x",}'],
)
async def test_malformed_json_is_a_validation_error(client, db, content):
    r = await client.post(
        "/v1/parties", content=content, headers={**ADMIN, "content-type": "application/json"}
    )
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body"]
    assert (await row_counts(db))["parties"] == 0


async def test_a_validation_error_names_every_bad_field(client):
    district = await make_party(client)
    body = {
        "name": "", "kind": "castle", "owner_party_id": district["id"], "timezone": "Nowhere/Town",
        "custodial_rate_cents_per_hour": -1,
    }
    r = await client.post("/v1/sites", json=body, headers=ADMIN)
    problem = assert_problem(r, 422, "validation-error")
    assert sorted(error_paths(problem)) == [
        "body.custodial_rate_cents_per_hour", "body.kind", "body.name", "body.timezone",
    ]
    for error in problem["errors"]:
        assert error["loc"][0] == "body"
        assert error["message"]


async def test_a_body_over_the_limit_is_payload_too_large(client, db):
    big = json.dumps({"name": "x" * (ONE_MIB + 1), "kind": "city"}).encode()
    r = await client.post(
        "/v1/parties", content=big, headers={**ADMIN, "content-type": "application/json"}
    )
    assert_problem(r, 413, "payload-too-large")
    assert (await row_counts(db))["parties"] == 0


async def test_a_chunked_body_over_the_limit_is_payload_too_large(client, db):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(17):
            yield b"x" * 65_536
        yield b'", "kind": "city"}'

    r = await client.post(
        "/v1/parties", content=chunks(), headers={**ADMIN, "content-type": "application/json"}
    )
    assert_problem(r, 413, "payload-too-large")
    assert (await row_counts(db))["parties"] == 0


async def test_a_chunked_body_under_the_limit_is_read_whole(client):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "Chunked '
        yield b'Charter", "kind": "charter_school"}'

    r = await client.post(
        "/v1/parties", content=chunks(), headers={**ADMIN, "content-type": "application/json"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Chunked Charter"


async def test_a_body_just_under_the_limit_is_not_refused_for_its_size(client):
    body = json.dumps({"name": "x", "kind": "city", "pad": "y" * (ONE_MIB - 100)}).encode()
    assert len(body) <= ONE_MIB
    r = await client.post(
        "/v1/parties", content=body, headers={**ADMIN, "content-type": "application/json"}
    )
    assert_problem(r, 422, "validation-error")  # refused for the unknown field, not the size


# --- ids that are not ours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw_id",
    [
        "abc", "0", "-1", "1.5", "1e3", "99999999999999999999", "2147483648", "%00", "%20", "١",
        "9" * 100, "01x",
    ],
)
async def test_an_id_that_is_not_ours_is_not_found(client, raw_id):
    site = await make_site(client, (await make_party(client))["id"])
    for collection in (
        "/v1/sites/",
        "/v1/spaces/",
        f"/v1/sites/{site['id']}/calendar-exceptions/",
        "/v1/parties/",
    ):
        r = await client.get(collection + raw_id, headers=ADMIN)
        assert_problem(r, 404, "not-found")


# --- unexpected errors -------------------------------------------------------------------------


@pytest.fixture
async def failing_client(db, database_urls, backend) -> AsyncIterator[httpx.AsyncClient]:
    """An app with two extra routes that fail unexpectedly, one after writing."""
    app: FastAPI = create_app(settings_for(database_urls[backend]), database=db)

    async def boom() -> None:
        raise RuntimeError(SECRET_DETAIL)

    async def write_then_boom(session: SessionDep) -> None:
        session.add(Party(name="Half written", kind="city"))
        await session.flush()
        raise RuntimeError(SECRET_DETAIL)

    app.add_api_route("/boom", boom, methods=["GET"])
    app.add_api_route("/write-then-boom", write_then_boom, methods=["POST"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_an_unexpected_error_is_an_internal_error_problem_without_internals(failing_client):
    r = await failing_client.get("/boom")
    assert_problem(r, 500, "internal-error")
    assert "hunter2" not in r.text
    assert "RuntimeError" not in r.text
    assert "Traceback" not in r.text


async def test_an_unexpected_error_carries_the_request_id(failing_client):
    r = await failing_client.get("/boom", headers={"x-request-id": "req-500-check"})
    body = assert_problem(r, 500, "internal-error")
    assert r.headers["x-request-id"] == "req-500-check"
    assert body["request_id"] == "req-500-check"


@pytest.fixture
def error_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jointuse.errors")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


async def test_an_unexpected_error_is_logged_with_its_request_id(failing_client, error_log):
    await failing_client.get("/boom", headers={"x-request-id": "req-logged"})
    lines = [json.loads(line) for line in error_log.getvalue().splitlines()]
    assert any(
        line["request_id"] == "req-logged" and "hunter2" in line.get("exc", "") for line in lines
    ), lines


async def test_an_unexpected_error_writes_nothing(failing_client, db):
    before = await row_counts(db)
    r = await failing_client.post("/write-then-boom", headers=ADMIN)
    assert_problem(r, 500, "internal-error")
    assert await row_counts(db) == before


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer ju_not_a_key"}],
                         ids=["no-key", "bad-key"])
async def test_a_body_over_the_limit_without_a_good_key_is_unauthenticated_first(client, headers):
    big = json.dumps({"name": "x" * (ONE_MIB + 1), "kind": "city"}).encode()
    r = await client.post(
        "/v1/parties", content=big, headers={**headers, "content-type": "application/json"}
    )
    assert_problem(r, 401, "unauthenticated")


async def test_a_chunked_body_over_the_limit_without_a_key_is_unauthenticated_first(client):
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b"x" * 65_536

    r = await client.post("/v1/bookings", content=chunks(),
                          headers={"content-type": "application/json"})
    assert_problem(r, 401, "unauthenticated")
