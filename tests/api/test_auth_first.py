"""Contract section 2: a missing or bad key is a 401 `unauthenticated`, checked before
anything else about the request, whatever its body; with a good key, a body that is
not JSON is a 422 `validation-error`. For every write operation of the app."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute

from app.core.deps import WRITE_METHODS
from app.main import create_app
from tests.api.support import assert_problem, db_state
from tests.bookings.helpers import evening, next_weekday, world
from tests.conftest import ADMIN, bearer, settings_for
from tests.factories import make_party

JSON = {"content-type": "application/json"}
# Refused by every request schema (they forbid unknown fields), optional bodies included.
BAD_BODY = b'{"__not_a_field__": true, "start": 1800000000}'
NOT_JSON = b"{this is not json"
UNKNOWN_KEY = "ju_0123456789abcdef_" + "x" * 43


def write_operations(*, with_body: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every POST, PUT and PATCH the app routes, from the document
    (`with_body`: those that take a body)."""
    doc = create_app(settings_for("sqlite:///never-opened.db")).openapi()
    found = [
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method.upper() in {"POST", "PUT", "PATCH"} and (not with_body or "requestBody" in op)
    ]
    assert ("POST", "/v1/bookings") in found and ("PATCH", "/v1/bookings/{booking_id}") in found
    return sorted(found)


WRITES = write_operations()
# A body that is not JSON is refused where a body is read (one that takes none ignores it).
WRITES_WITH_BODIES = write_operations(with_body=True)


def fill(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


def test_every_write_operation_is_documented_as_needing_a_key():
    # `deps.authenticate_first` takes every write to need a key, as section 2 says.
    doc = create_app(settings_for("sqlite:///never-opened.db")).openapi()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method.upper() in WRITE_METHODS:
                security = op.get("security")
                assert security and {} not in security, f"{method.upper()} {path}: {security}"


def test_the_walk_covers_every_write_route_of_the_app():
    app = create_app(settings_for("sqlite:///never-opened.db"))
    routed: set[tuple[str, str]] = set()
    for route in app.router.routes:
        for r in getattr(getattr(route, "original_router", None), "routes", [route]):
            if isinstance(r, APIRoute):
                routed |= {(m, r.path_format) for m in r.methods if m in {"POST", "PUT", "PATCH"}}
    assert routed == set(WRITES)


@pytest.fixture
async def forged_key(client: httpx.AsyncClient) -> dict[str, str]:
    """A real key's lookup id with a wrong secret: only the key row can refuse it."""
    party = await make_party(client)
    r = await client.post(
        "/v1/api-keys", json={"party_id": party["id"], "role": "manager"}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    return bearer(secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB"))


@pytest.fixture
async def revoked_key(client: httpx.AsyncClient) -> dict[str, str]:
    party = await make_party(client)
    r = await client.post(
        "/v1/api-keys", json={"party_id": party["id"], "role": "manager"}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    assert (await client.delete(f"/v1/api-keys/{r.json()['id']}", headers=ADMIN)).status_code == 204
    return bearer(r.json()["secret"])


async def _send(
    client: httpx.AsyncClient, method: str, path: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, fill(path), content=body, headers={**JSON, **headers})


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_a_write_without_a_key_is_401_whatever_its_body(client, db, method, path):
    before = await db_state(db)
    for body in (BAD_BODY, NOT_JSON, b""):
        assert_problem(await _send(client, method, path, body, {}), 401, "unauthenticated")
    assert await db_state(db) == before


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_a_write_with_a_wrong_key_and_a_bad_body_is_401(
    client, method, path, forged_key, revoked_key
):
    for key in (forged_key, revoked_key, bearer(UNKNOWN_KEY), {"Authorization": "Basic eDp5"}):
        r = await _send(client, method, path, BAD_BODY, key)
        assert_problem(r, 401, "unauthenticated")


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_a_write_with_a_wrong_key_and_a_body_that_is_not_json_is_401(
    client, method, path, forged_key, revoked_key
):
    for key in (forged_key, revoked_key, bearer(UNKNOWN_KEY)):
        for body in (NOT_JSON, b"\xff\xfe"):
            assert_problem(await _send(client, method, path, body, key), 401, "unauthenticated")


@pytest.mark.parametrize(("method", "path"), WRITES_WITH_BODIES)
async def test_a_write_with_a_good_key_and_a_body_that_is_not_json_is_422(
    client, db, method, path
):
    before = await db_state(db)
    for body in (NOT_JSON, b"\xff\xfe"):
        r = await _send(client, method, path, body, ADMIN)
        problem = assert_problem(r, 422, "validation-error")
        assert [e["path"] for e in problem["errors"]] == ["body"], problem
    assert await db_state(db) == before


# --- the hot booking POST, whose key is checked by its first statement ---------------


async def test_a_booking_with_a_revoked_key_and_a_bad_body_is_401(client):
    w = await world(client)
    r = await client.post(
        "/v1/api-keys", json={"party_id": w.group["id"], "role": "partner"}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    key = bearer(r.json()["secret"])
    body = {**evening(w.gym["id"], next_weekday(1)), "attendance": "many"}
    # While the key is good, the body's errors; once it is revoked, 401 whatever the body.
    r_good = await client.post("/v1/bookings", json=body, headers=key)
    assert_problem(r_good, 422, "validation-error")
    assert (await client.delete(f"/v1/api-keys/{r.json()['id']}", headers=ADMIN)).status_code == 204
    r_revoked = await client.post("/v1/bookings", json=body, headers=key)
    assert_problem(r_revoked, 401, "unauthenticated")


async def test_a_booking_with_a_good_key_and_a_bad_body_names_the_bad_fields(client):
    w = await world(client)
    body = {**evening(w.gym["id"], next_weekday(1)), "attendance": "many", "start": 1800000000}
    problem = assert_problem(
        await client.post("/v1/bookings", json=body, headers=w.group_key), 422, "validation-error"
    )
    assert sorted(e["path"] for e in problem["errors"]) == ["body.attendance", "body.start"]
