"""Contract section 3, spaces: under a site and at `/v1/spaces/{id}`."""

from __future__ import annotations

import pytest

from tests.api.support import assert_problem, error_paths, list_all, row_counts
from tests.conftest import ADMIN
from tests.factories import make_key, make_party, make_site, make_space

SPACE_KINDS = (
    "gym", "multipurpose", "classroom", "field", "playground", "pool", "kitchen", "library",
    "meeting_room", "other",
)


async def test_an_admin_adds_a_space_to_a_site(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    body = {
        "name": "Main gym",
        "kind": "gym",
        "capacity": 300,
        "standard_rental_rate_cents_per_hour": 9000,
    }
    r = await client.post(f"/v1/sites/{site['id']}/spaces", json=body, headers=ADMIN)
    assert r.status_code == 201
    space = r.json()
    assert space == {"id": space["id"], "site_id": site["id"], **body}
    assert r.headers["location"] == f"/v1/spaces/{space['id']}"
    assert (await client.get(r.headers["location"])).json() == space


async def test_a_space_without_a_rental_rate_has_none(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    r = await client.post(
        f"/v1/sites/{site['id']}/spaces",
        json={"name": "Room 12", "kind": "classroom", "capacity": 30},
        headers=ADMIN,
    )
    assert r.json()["standard_rental_rate_cents_per_hour"] == 0


@pytest.mark.parametrize("kind", SPACE_KINDS)
async def test_every_space_kind_of_the_contract_is_accepted(client, kind):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    assert (await make_space(client, site["id"], kind=kind))["kind"] == kind


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity", -1), ("capacity", 12.5), ("capacity", "200"), ("capacity", True),
        ("capacity", 10**30), ("standard_rental_rate_cents_per_hour", -1),
        ("standard_rental_rate_cents_per_hour", 12.5),
        ("standard_rental_rate_cents_per_hour", 7500.0), ("kind", "ballroom"), ("name", ""),
    ],
)
async def test_a_bad_space_field_is_refused(client, db, field, value):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    body = {"name": "Gym", "kind": "gym", "capacity": 200, field: value}
    r = await client.post(f"/v1/sites/{site['id']}/spaces", json=body, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == [f"body.{field}"]
    assert (await row_counts(db))["spaces"] == 0


async def test_a_space_on_an_unknown_site_is_not_found(client, db):
    r = await client.post(
        "/v1/sites/987654321/spaces",
        json={"name": "Gym", "kind": "gym", "capacity": 1},
        headers=ADMIN,
    )
    assert_problem(r, 404, "not-found")
    assert (await row_counts(db))["spaces"] == 0


async def test_reading_an_unknown_space_is_not_found(client):
    assert_problem(await client.get("/v1/spaces/987654321"), 404, "not-found")


async def test_a_sites_spaces_are_listed_under_it(client):
    district = await make_party(client)
    first = await make_site(client, district["id"])
    second = await make_site(client, district["id"])
    gym = await make_space(client, first["id"], kind="gym")
    field = await make_space(client, first["id"], name="Field", kind="field")
    pool = await make_space(client, second["id"], name="Pool", kind="pool")

    assert await list_all(client, f"/v1/sites/{first['id']}/spaces") == [gym, field]
    fields = await list_all(client, f"/v1/sites/{first['id']}/spaces", params={"kind": "field"})
    assert fields == [field]
    assert await list_all(client, "/v1/spaces") == [gym, field, pool]
    assert await list_all(client, "/v1/spaces", params={"site_id": second["id"]}) == [pool]
    assert await list_all(client, "/v1/spaces", params={"kind": "gym"}) == [gym]


async def test_listing_the_spaces_of_an_unknown_site_is_not_found(client):
    assert_problem(await client.get("/v1/sites/987654321/spaces"), 404, "not-found")


async def test_an_admin_changes_only_the_fields_sent(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    space = await make_space(client, site["id"])
    r = await client.patch(f"/v1/spaces/{space['id']}", json={"capacity": 150}, headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == {**space, "capacity": 150}
    assert (await client.get(f"/v1/spaces/{space['id']}")).json() == {**space, "capacity": 150}


async def test_a_space_cannot_move_to_another_site(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    space = await make_space(client, site["id"])
    r = await client.patch(f"/v1/spaces/{space['id']}", json={"site_id": 1}, headers=ADMIN)
    body = assert_problem(r, 422, "validation-error")
    assert error_paths(body) == ["body.site_id"]


async def test_the_owners_manager_adds_and_changes_spaces(client):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    manager = await make_key(client, district["id"], "manager")
    r = await client.post(
        f"/v1/sites/{site['id']}/spaces",
        json={"name": "Library", "kind": "library", "capacity": 40},
        headers=manager,
    )
    assert r.status_code == 201
    r = await client.patch(f"/v1/spaces/{r.json()['id']}", json={"capacity": 45}, headers=manager)
    assert r.json()["capacity"] == 45


async def test_a_manager_cannot_add_a_space_to_another_partys_site(client, db):
    district = await make_party(client)
    other = await make_party(client, "city")
    site = await make_site(client, district["id"])
    manager = await make_key(client, other["id"], "manager")
    r = await client.post(
        f"/v1/sites/{site['id']}/spaces",
        json={"name": "Annex", "kind": "other", "capacity": 1},
        headers=manager,
    )
    assert_problem(r, 403, "forbidden")
    assert (await row_counts(db))["spaces"] == 0


@pytest.mark.parametrize(("role", "own"), [("manager", False), ("partner", True)])
async def test_only_the_owners_manager_changes_a_space(client, role, own):
    district = await make_party(client)
    other = await make_party(client, "community_group")
    site = await make_site(client, district["id"])
    space = await make_space(client, site["id"])
    headers = await make_key(client, district["id"] if own else other["id"], role)
    r = await client.patch(f"/v1/spaces/{space['id']}", json={"capacity": 1}, headers=headers)
    assert_problem(r, 403, "forbidden")
    assert (await client.get(f"/v1/spaces/{space['id']}")).json() == space


async def test_adding_a_space_needs_a_key(client, db):
    district = await make_party(client)
    site = await make_site(client, district["id"])
    r = await client.post(
        f"/v1/sites/{site['id']}/spaces", json={"name": "Gym", "kind": "gym", "capacity": 1}
    )
    assert_problem(r, 401, "unauthenticated")
    assert (await row_counts(db))["spaces"] == 0


async def test_filtering_spaces_by_an_unknown_site_lists_nothing(client):
    r = await client.get("/v1/spaces", params={"site_id": 987654})
    assert r.status_code == 200
    assert r.json() == {"items": [], "next_cursor": None}
