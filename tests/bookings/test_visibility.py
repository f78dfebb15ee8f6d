"""Who sees which booking: anything else reads as 404, through every door."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import World, book, evening, listed, make_agreement, next_weekday, world
from tests.factories import make_key, make_party, make_site, make_space


async def group_booking(client: httpx.AsyncClient) -> tuple[World, dict[str, Any], dict[str, str]]:
    """A direct partner's booking, and the key of another community group."""
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    other = await make_party(client, "community_group", "Another group")
    return w, made, await make_key(client, other["id"], "partner")


async def test_a_partner_sees_its_own_partys_bookings(client):
    w, made, _ = await group_booking(client)
    colleague = await make_key(client, w.group["id"], "partner")
    assert (await client.get(f"/v1/bookings/{made['id']}", headers=colleague)).json() == made
    assert [b["id"] for b in await listed(client, colleague)] == [made["id"]]


async def test_a_partner_does_not_see_bookings_of_other_parties_at_the_same_site(client):
    w, made, _ = await group_booking(client)
    city = await book(client, w.city_key, evening(w.room["id"], next_weekday(1)))
    assert [b["id"] for b in await listed(client, w.group_key)] == [made["id"]]
    assert_problem(
        await client.get(f"/v1/bookings/{city['id']}", headers=w.group_key), 404, "not-found"
    )


async def test_a_manager_sees_the_bookings_at_its_partys_sites(client):
    w, made, _ = await group_booking(client)
    assert (
        await client.get(f"/v1/bookings/{made['id']}", headers=w.district_manager)
    ).status_code == 200
    assert [b["id"] for b in await listed(client, w.district_manager)] == [made["id"]]


async def test_a_manager_sees_its_own_partys_bookings_elsewhere(client):
    w = await world(client)
    city_manager = await make_key(client, w.city["id"], "manager")
    at_school = await book(client, w.city_key, evening(w.gym["id"], next_weekday(1)))
    group_at_school = await book(client, w.group_key, evening(w.room["id"], next_weekday(1)))
    assert [b["id"] for b in await listed(client, city_manager)] == [at_school["id"]]
    assert_problem(
        await client.get(f"/v1/bookings/{group_at_school['id']}", headers=city_manager),
        404,
        "not-found",
    )


async def test_a_partner_of_the_site_owner_does_not_see_others_bookings_at_its_sites(client):
    w, made, _ = await group_booking(client)
    district_partner = await make_key(client, w.district["id"], "partner")
    assert_problem(
        await client.get(f"/v1/bookings/{made['id']}", headers=district_partner), 404, "not-found"
    )
    assert await listed(client, district_partner, site_id=w.site["id"]) == []


async def test_a_manager_does_not_see_bookings_at_another_partys_sites(client):
    w = await world(client)
    other_district = await make_party(client, "school_district", "Natomas Unified")
    other_site = await make_site(client, other_district["id"], name="Natomas High")
    other_gym = await make_space(client, other_site["id"])
    await make_agreement(client, [w.city["id"], other_district["id"]])
    theirs = await book(client, w.city_key, evening(other_gym["id"], next_weekday(1)))
    assert_problem(
        await client.get(f"/v1/bookings/{theirs['id']}", headers=w.district_manager),
        404,
        "not-found",
    )
    assert await listed(client, w.district_manager) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/bookings/{id}"),
        ("GET", "/v1/bookings/{id}/history"),
        ("POST", "/v1/bookings/{id}/approve"),
        ("POST", "/v1/bookings/{id}/decline"),
        ("POST", "/v1/bookings/{id}/cancel"),
    ],
)
async def test_another_partys_key_does_not_find_the_booking(client, method, path):
    _, made, stranger = await group_booking(client)
    r = await client.request(method, path.format(id=made["id"]), headers=stranger)
    assert_problem(r, 404, "not-found")


async def test_another_partys_key_cannot_change_the_booking(client):
    _, made, stranger = await group_booking(client)
    r = await client.patch(
        f"/v1/bookings/{made['id']}", json={"attendance": 1}, headers={**stranger, "If-Match": "*"}
    )
    assert_problem(r, 404, "not-found")


async def test_a_refused_action_leaves_the_booking_as_it_was(client):
    w, made, stranger = await group_booking(client)
    await client.post(f"/v1/bookings/{made['id']}/cancel", headers=stranger)
    assert (await client.get(f"/v1/bookings/{made['id']}", headers=w.group_key)).json() == made


@pytest.mark.parametrize("filter_", ["party_id", "space_id", "site_id", "status"])
async def test_list_filters_never_reveal_other_partys_bookings(client, filter_):
    w, _, stranger = await group_booking(client)
    value = {
        "party_id": w.group["id"],
        "space_id": w.gym["id"],
        "site_id": w.site["id"],
        "status": "confirmed",
    }[filter_]
    assert await listed(client, stranger, **{filter_: value}) == []


async def test_a_series_is_visible_only_to_those_who_see_its_bookings(client):
    w = await world(client)
    day = next_weekday(1)
    body = {**evening(w.gym["id"], day), "rrule": "FREQ=WEEKLY;COUNT=2"}
    r = await client.post("/v1/booking-series", json=body, headers=w.group_key)
    assert r.status_code == 201, r.text
    series = r.json()
    other = await make_party(client, "community_group", "Another group")
    stranger = await make_key(client, other["id"], "partner")
    assert (
        await client.get(f"/v1/booking-series/{series['id']}", headers=w.district_manager)
    ).status_code == 200
    assert_problem(
        await client.get(f"/v1/booking-series/{series['id']}", headers=stranger), 404, "not-found"
    )
    assert_problem(
        await client.post(f"/v1/booking-series/{series['id']}/cancel", headers=stranger),
        404,
        "not-found",
    )
    assert await listed(client, stranger, series_id=series["id"]) == []
    assert all(b["status"] == "confirmed" for b in await listed(client, series_id=series["id"]))
