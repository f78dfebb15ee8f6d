"""Contract section 3, parties: admin creates and changes; any key reads."""

from __future__ import annotations

import pytest

from tests.api.support import assert_problem, error_paths, list_all, row_counts
from tests.conftest import ADMIN
from tests.factories import make_key, make_party

KINDS = ("city", "school_district", "charter_school", "community_group")


@pytest.mark.parametrize("kind", KINDS)
async def test_an_admin_creates_a_party_of_each_kind(client, kind):
    r = await client.post("/v1/parties", json={"name": "Somebody", "kind": kind}, headers=ADMIN)
    assert r.status_code == 201
    party = r.json()
    assert party == {"id": party["id"], "name": "Somebody", "kind": kind}
    assert r.headers["location"] == f"/v1/parties/{party['id']}"


async def test_a_created_party_reads_back_at_its_location(client):
    r = await client.post(
        "/v1/parties", json={"name": "City of Sacramento", "kind": "city"}, headers=ADMIN
    )
    read = await client.get(r.headers["location"], headers=ADMIN)
    assert read.status_code == 200
    assert read.json() == r.json()


async def test_a_party_name_is_trimmed(client):
    party = await make_party(client, name="  Sacramento City Unified  ")
    assert party["name"] == "Sacramento City Unified"


async def test_an_unknown_party_kind_is_refused(client, db):
    r = await client.post("/v1/parties", json={"name": "X", "kind": "company"}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.kind"]
    assert (await row_counts(db))["parties"] == 0


async def test_a_party_needs_a_name_and_a_kind(client):
    r = await client.post("/v1/parties", json={}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert sorted(error_paths(body)) == ["body.kind", "body.name"]


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_only_an_admin_creates_parties(client, role):
    own = await make_party(client)
    headers = await make_key(client, own["id"], role)
    r = await client.post("/v1/parties", json={"name": "Mine", "kind": "city"}, headers=headers)
    assert_problem(r, 403, "forbidden")
    assert await list_all(client, "/v1/parties", headers=ADMIN) == [own]


async def test_parties_filter_by_kind(client):
    city = await make_party(client, "city")
    district = await make_party(client, "school_district")
    group = await make_party(client, "community_group")
    assert await list_all(client, "/v1/parties", headers=ADMIN, params={"kind": "city"}) == [city]
    assert await list_all(
        client, "/v1/parties", headers=ADMIN, params={"kind": "community_group"}
    ) == [group]
    assert await list_all(client, "/v1/parties", headers=ADMIN) == [city, district, group]


async def test_an_admin_renames_a_party(client):
    party = await make_party(client, name="Old name")
    r = await client.patch(f"/v1/parties/{party['id']}", json={"name": "New name"}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == {**party, "name": "New name"}
    read = await client.get(f"/v1/parties/{party['id']}", headers=ADMIN)
    assert read.json()["name"] == "New name"


async def test_an_admin_changes_a_partys_kind(client):
    party = await make_party(client, "community_group")
    r = await client.patch(
        f"/v1/parties/{party['id']}", json={"kind": "charter_school"}, headers=ADMIN
    )
    assert r.json()["kind"] == "charter_school"


async def test_an_empty_patch_changes_nothing(client):
    party = await make_party(client)
    r = await client.patch(f"/v1/parties/{party['id']}", json={}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == party


@pytest.mark.parametrize("role", ["manager", "partner"])
async def test_only_an_admin_changes_a_party(client, role):
    party = await make_party(client, name="Kept")
    headers = await make_key(client, party["id"], role)
    r = await client.patch(f"/v1/parties/{party['id']}", json={"name": "Taken"}, headers=headers)
    assert_problem(r, 403, "forbidden")
    assert (await client.get(f"/v1/parties/{party['id']}", headers=ADMIN)).json()["name"] == "Kept"


async def test_changing_an_unknown_party_is_not_found(client):
    r = await client.patch("/v1/parties/987654321", json={"name": "Ghost"}, headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_reading_an_unknown_party_is_not_found(client):
    r = await client.get("/v1/parties/987654321", headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_a_party_name_of_whitespace_alone_is_refused(client, db):
    before = await row_counts(db)
    for blank in (" ", "\t\n", "\u3000", "\u00a0\ufeff"):
        r = await client.post("/v1/parties", json={"name": blank, "kind": "city"}, headers=ADMIN)
        body = assert_problem(r, 422, "validation-error")
        assert error_paths(body) == ["body.name"]
    assert await row_counts(db) == before


async def test_a_party_name_longer_than_200_is_refused_even_if_trimming_would_shorten_it(client):
    r = await client.post("/v1/parties", json={"name": "a" * 200 + " ", "kind": "city"},
                          headers=ADMIN)
    assert_problem(r, 422, "validation-error")
