"""Contract section 2: API keys, roles, 401 `unauthenticated` vs 403 `forbidden`."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from app.main import create_app
from tests.api.support import assert_problem, list_all, row_counts
from tests.conftest import ADMIN, ADMIN_KEY, bearer, settings_for
from tests.factories import make_key, make_party, make_site, make_space


async def create_key(client: httpx.AsyncClient, party_id: int | None, role: str) -> dict:
    r = await client.post(
        "/v1/api-keys", json={"party_id": party_id, "role": role, "name": "desk"}, headers=ADMIN
    )
    assert r.status_code == 201, r.text
    return r.json()


# --- 401 ------------------------------------------------------------------------


async def test_no_key_is_unauthenticated(client):
    r = await client.get("/v1/parties")
    body = assert_problem(r, 401, "unauthenticated")
    assert "key" in body["detail"]


async def test_a_401_tells_the_client_to_send_a_bearer_key(client):
    r = await client.get("/v1/parties")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc", ADMIN_KEY, "Bearer: " + ADMIN_KEY],
)
async def test_a_malformed_authorization_header_is_unauthenticated(client, authorization):
    r = await client.get("/v1/parties", headers={"Authorization": authorization})
    assert_problem(r, 401, "unauthenticated")


@pytest.mark.parametrize(
    "secret",
    [
        "nope", "ju_", "ju_0123456789abcdef_", "ju_0123456789abcdef_" + "x" * 43,
        "ju_" + "a" * 500 + "_x",
    ],
)
async def test_an_unknown_key_is_unauthenticated(client, secret):
    r = await client.get("/v1/parties", headers=bearer(secret))
    assert_problem(r, 401, "unauthenticated")


async def test_a_key_with_a_wrong_secret_but_a_real_lookup_id_is_unauthenticated(client):
    party = await make_party(client)
    key = await create_key(client, party["id"], "partner")
    forged = key["secret"][:-4] + ("AAAA" if not key["secret"].endswith("AAAA") else "BBBB")
    r = await client.get("/v1/parties", headers=bearer(forged))
    assert_problem(r, 401, "unauthenticated")


async def test_the_bearer_scheme_is_case_insensitive(client):
    r = await client.get("/v1/parties", headers={"Authorization": f"bearer {ADMIN_KEY}"})
    assert r.status_code == 200


async def test_a_keyless_write_is_unauthenticated_whatever_its_body(client, db):
    before = await row_counts(db)
    r = await client.post("/v1/parties", content=b"not json at all")
    assert_problem(r, 401, "unauthenticated")
    assert await row_counts(db) == before


# --- api keys ---------------------------------------------------------------------


async def test_an_admin_creates_a_key_that_acts_for_a_party_in_a_role(client):
    party = await make_party(client, "community_group")
    r = await client.post(
        "/v1/api-keys",
        json={"party_id": party["id"], "role": "partner", "name": "Boys & Girls Club"},
        headers=ADMIN,
    )
    assert r.status_code == 201
    key = r.json()
    assert key["party_id"] == party["id"]
    assert key["role"] == "partner"
    assert key["name"] == "Boys & Girls Club"
    assert key["revoked_at"] is None
    assert key["secret"]
    assert r.headers["location"] == f"/v1/api-keys/{key['id']}"


async def test_a_new_key_works_at_once(client):
    party = await make_party(client)
    key = await create_key(client, party["id"], "partner")
    r = await client.get("/v1/parties", headers=bearer(key["secret"]))
    assert r.status_code == 200


async def test_the_secret_is_stored_only_as_a_hash(client, db):
    party = await make_party(client)
    key = await create_key(client, party["id"], "manager")
    async with db.read_sessions() as s:
        rows = (await s.execute(text("SELECT * FROM api_keys"))).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0].values())
    assert key["secret"] not in stored
    assert rows[0]["secret_hash"] != key["secret"]


async def test_two_keys_never_share_a_secret(client):
    party = await make_party(client)
    first = await create_key(client, party["id"], "partner")
    second = await create_key(client, party["id"], "partner")
    assert first["secret"] != second["secret"]


async def test_the_secret_is_not_shown_again_after_creation(client):
    party = await make_party(client)
    key = await create_key(client, party["id"], "partner")
    # No operation reads a key back: the secret exists only in the create response.
    r = await client.get(f"/v1/api-keys/{key['id']}", headers=ADMIN)
    assert r.status_code in (404, 405)
    assert key["secret"] not in r.text


async def test_an_admin_key_may_act_for_no_party(client):
    key = await create_key(client, None, "admin")
    assert key["party_id"] is None
    r = await client.post(
        "/v1/parties", json={"name": "City", "kind": "city"}, headers=bearer(key["secret"])
    )
    assert r.status_code == 201


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_a_manager_or_partner_key_without_a_party_is_refused(client, db, role):
    before = await row_counts(db)
    r = await client.post("/v1/api-keys", json={"role": role, "name": "x"}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "party_id"]]
    assert await row_counts(db) == before


async def test_a_key_for_an_unknown_party_is_refused(client, db):
    before = await row_counts(db)
    r = await client.post(
        "/v1/api-keys", json={"party_id": 2_000_000_000, "role": "partner"}, headers=ADMIN
    )
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["path"] == "body.party_id"
    assert await row_counts(db) == before


async def test_an_unknown_role_is_refused(client):
    party = await make_party(client)
    r = await client.post(
        "/v1/api-keys", json={"party_id": party["id"], "role": "owner"}, headers=ADMIN
    )
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["path"] == "body.role"


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_only_an_admin_creates_keys(client, db, role):
    party = await make_party(client)
    headers = await make_key(client, party["id"], role)
    before = await row_counts(db)
    r = await client.post(
        "/v1/api-keys", json={"party_id": party["id"], "role": "admin"}, headers=headers
    )
    assert_problem(r, 403, "forbidden")
    assert await row_counts(db) == before


async def test_creating_a_key_needs_a_key(client):
    r = await client.post("/v1/api-keys", json={"role": "admin"})
    assert_problem(r, 401, "unauthenticated")


# --- revocation ---------------------------------------------------------------------


async def test_a_revoked_key_is_refused_at_once(client):
    party = await make_party(client)
    key = await create_key(client, party["id"], "manager")
    r = await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN)
    assert r.status_code == 204
    assert r.content == b""
    r = await client.get("/v1/parties", headers=bearer(key["secret"]))
    assert_problem(r, 401, "unauthenticated")


async def test_a_revoked_key_is_refused_by_every_server_process(client, db, database_urls, backend):
    """Another app instance on the same database sees the revocation (no cache)."""
    other_app = create_app(settings_for(database_urls[backend]), database=db)
    transport = httpx.ASGITransport(app=other_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        party = await make_party(client)
        key = await create_key(client, party["id"], "partner")
        assert (await other.get("/v1/parties", headers=bearer(key["secret"]))).status_code == 200
        assert (await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN)).status_code == 204
        r = await other.get("/v1/parties", headers=bearer(key["secret"]))
        assert_problem(r, 401, "unauthenticated")


async def test_revoking_a_key_twice_is_not_found(client):
    party = await make_party(client)
    key = await create_key(client, party["id"], "partner")
    assert (await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN)).status_code == 204
    r = await client.delete(f"/v1/api-keys/{key['id']}", headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_revoking_an_unknown_key_is_not_found(client):
    r = await client.delete("/v1/api-keys/123456789", headers=ADMIN)
    assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_only_an_admin_revokes_keys(client, role):
    party = await make_party(client)
    victim = await create_key(client, party["id"], "partner")
    headers = await make_key(client, party["id"], role)
    r = await client.delete(f"/v1/api-keys/{victim['id']}", headers=headers)
    assert_problem(r, 403, "forbidden")
    assert (await client.get("/v1/parties", headers=bearer(victim["secret"]))).status_code == 200


async def test_revoking_needs_a_key(client):
    party = await make_party(client)
    victim = await create_key(client, party["id"], "partner")
    r = await client.delete(f"/v1/api-keys/{victim['id']}")
    assert_problem(r, 401, "unauthenticated")
    assert (await client.get("/v1/parties", headers=bearer(victim["secret"]))).status_code == 200


async def test_a_wrong_bootstrap_admin_key_is_unauthenticated(client):
    r = await client.get("/v1/parties", headers=bearer(ADMIN_KEY + "x"))
    assert_problem(r, 401, "unauthenticated")


# --- who may read and write what ----------------------------------------------------------


async def test_anyone_reads_sites_spaces_and_calendars_without_a_key(client):
    party = await make_party(client)
    site = await make_site(client, party["id"])
    space = await make_space(client, site["id"])
    for path in (
        "/v1/sites",
        f"/v1/sites/{site['id']}",
        f"/v1/sites/{site['id']}/spaces",
        "/v1/spaces",
        f"/v1/spaces/{space['id']}",
        f"/v1/sites/{site['id']}/calendar-exceptions",
    ):
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text)


@pytest.mark.parametrize("path", ["/v1/parties", "/v1/parties/1"])
async def test_parties_need_a_key_to_read(client, path):
    r = await client.get(path)
    assert_problem(r, 401, "unauthenticated")


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_any_key_reads_parties(client, role):
    party = await make_party(client)
    headers = await make_key(client, party["id"], role)
    assert (await client.get(f"/v1/parties/{party['id']}", headers=headers)).json() == party
    assert await list_all(client, "/v1/parties", headers=headers) == [party]
