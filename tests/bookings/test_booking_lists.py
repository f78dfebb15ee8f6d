"""Contract sections 1 and 3: listing bookings, filters, order, cursor pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import assert_problem
from tests.bookings.helpers import (
    World,
    book,
    evening,
    instant,
    listed,
    local,
    next_weekday,
    world,
)
from tests.conftest import ADMIN
from tests.factories import make_site, make_space

pytestmark = pytest.mark.dates


def ids(items: list[dict]) -> list[int]:
    return [b["id"] for b in items]


async def three_bookings(client) -> tuple[World, list[dict]]:
    """The group in the gym on Tuesday, the city in the room on Tuesday and the gym on Thursday."""
    w = await world(client)
    tue, thu = next_weekday(1), next_weekday(3)
    made = [
        await book(client, w.city_key, evening(w.gym["id"], thu)),
        await book(client, w.group_key, evening(w.gym["id"], tue)),
        await book(client, w.city_key, evening(w.room["id"], tue)),
    ]
    return w, made


async def test_bookings_are_everythingby_start_then_id(client):
    _, (thu_gym, tue_gym, tue_room) = await three_bookings(client)
    assert ids(await listed(client)) == [tue_gym["id"], tue_room["id"], thu_gym["id"]]


async def test_the_cursor_walks_every_booking_once(client):
    w = await world(client)
    made = [
        await book(
            client,
            w.group_key,
            evening(w.gym["id"], next_weekday(1) + timedelta(days=n), "19:00", "20:00"),
        )
        for n in (3, 0, 4, 1, 2)
    ]
    seen = []
    page = (await client.get("/v1/bookings", params={"limit": 2}, headers=ADMIN)).json()
    pages = 1
    seen.extend(page["items"])
    while page["next_cursor"]:
        page = (
            await client.get(
                "/v1/bookings", params={"limit": 2, "cursor": page["next_cursor"]}, headers=ADMIN
            )
        ).json()
        pages += 1
        seen.extend(page["items"])
    assert pages == 3
    assert sorted(ids(seen)) == sorted(ids(made))
    assert len(set(ids(seen))) == len(seen)
    assert [instant(b["start"]) for b in seen] == sorted(instant(b["start"]) for b in made)


async def test_bookings_starting_together_are_ordered_by_id_across_pages(client):
    w = await world(client)
    day = next_weekday(1)
    spaces = [
        w.gym,
        w.room,
        *[
            await make_space(client, w.site["id"], name=f"Classroom {n}", kind="classroom")
            for n in (1, 2)
        ],
    ]
    made = [await book(client, w.group_key, evening(s["id"], day)) for s in reversed(spaces)]
    seen = []
    params: dict = {"limit": 1}
    while True:
        page = (await client.get("/v1/bookings", params=params, headers=ADMIN)).json()
        seen.extend(page["items"])
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert ids(seen) == sorted(ids(made))


@pytest.mark.parametrize("limit", [0, 201, -1])
async def test_a_limit_outside_1_to_200_is_refused(client, limit):
    assert_problem(
        await client.get("/v1/bookings", params={"limit": limit}, headers=ADMIN),
        422,
        "validation-error",
    )


async def test_a_cursor_that_is_not_ours_is_refused(client):
    assert_problem(
        await client.get("/v1/bookings", params={"cursor": "bogus"}, headers=ADMIN),
        422,
        "validation-error",
    )


async def test_listing_bookings_needs_a_key(client):
    assert_problem(await client.get("/v1/bookings"), 401, "unauthenticated")


async def test_bookings_are_filtered_by_space(client):
    w, (thu_gym, tue_gym, _) = await three_bookings(client)
    assert ids(await listed(client, space_id=w.gym["id"])) == [tue_gym["id"], thu_gym["id"]]


async def test_bookings_are_filtered_by_site(client):
    w, made = await three_bookings(client)
    other_site = await make_site(client, w.district["id"], name="Sutter Middle")
    elsewhere = await book(
        client,
        w.group_key,
        evening((await make_space(client, other_site["id"]))["id"], next_weekday(2)),
    )
    assert sorted(ids(await listed(client, site_id=w.site["id"]))) == sorted(ids(made))
    assert ids(await listed(client, site_id=other_site["id"])) == [elsewhere["id"]]


async def test_bookings_are_filtered_by_party(client):
    w, (thu_gym, _, tue_room) = await three_bookings(client)
    assert ids(await listed(client, party_id=w.city["id"])) == [tue_room["id"], thu_gym["id"]]


async def test_bookings_are_filtered_by_status(client):
    w, (thu_gym, tue_gym, tue_room) = await three_bookings(client)
    await client.post(f"/v1/bookings/{tue_room['id']}/cancel", headers=w.city_key)
    assert ids(await listed(client, status="cancelled")) == [tue_room["id"]]
    assert ids(await listed(client, status="confirmed")) == [tue_gym["id"], thu_gym["id"]]


async def test_an_unknown_status_filter_is_refused(client):
    assert_problem(
        await client.get("/v1/bookings", params={"status": "pending"}, headers=ADMIN),
        422,
        "validation-error",
    )


async def test_without_a_status_filter_every_status_is_listed(client):
    w = await world(client, terms={"auto_confirm": False})
    day = next_weekday(1)
    requested = await book(client, w.group_key, evening(w.gym["id"], day, "16:00", "17:00"))
    confirmed = await book(client, w.group_key, evening(w.gym["id"], day, "17:00", "18:00"))
    declined = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    cancelled = await book(client, w.group_key, evening(w.gym["id"], day, "19:00", "20:00"))
    await client.post(f"/v1/bookings/{confirmed['id']}/approve", headers=w.district_manager)
    await client.post(f"/v1/bookings/{declined['id']}/decline", headers=w.district_manager)
    await client.post(f"/v1/bookings/{cancelled['id']}/cancel", headers=w.group_key)
    everything = await listed(client, w.group_key)
    assert ids(everything) == ids([requested, confirmed, declined, cancelled])
    assert [b["status"] for b in everything] == ["requested", "confirmed", "declined", "cancelled"]


async def test_from_and_to_select_bookings_overlapping_the_window(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "20:00"))

    async def window(start: str, end: str) -> list[int]:
        return ids(
            await listed(
                client, **{"from": local(day, start).isoformat(), "to": local(day, end).isoformat()}
            )
        )

    assert await window("19:00", "19:30") == [made["id"]]
    assert await window("17:00", "18:01") == [made["id"]]
    assert await window("19:59", "23:00") == [made["id"]]
    assert await window("20:00", "23:00") == []  # [start, end) is half-open
    assert await window("16:00", "18:00") == []


async def test_from_alone_selects_bookings_ending_after_it(client):
    _, (thu_gym, _, _) = await three_bookings(client)
    after_tuesday = local(next_weekday(1), "23:00").isoformat()
    assert ids(await listed(client, **{"from": after_tuesday})) == [thu_gym["id"]]


async def test_a_from_without_an_offset_is_refused(client):
    r = await client.get("/v1/bookings", params={"from": "2027-01-12T18:00:00"}, headers=ADMIN)
    assert_problem(r, 422, "validation-error")


async def test_bookings_are_filtered_by_series(client):
    w = await world(client)
    day = next_weekday(1)
    alone = await book(client, w.group_key, evening(w.room["id"], day))
    r = await client.post(
        "/v1/booking-series",
        json={**evening(w.gym["id"], day), "rrule": "FREQ=WEEKLY;COUNT=3"},
        headers=w.group_key,
    )
    series = r.json()
    in_series = await listed(client, series_id=series["id"])
    assert ids(in_series) == series["booking_ids"]
    assert alone["id"] not in ids(in_series)


async def test_filters_combine(client):
    w, (thu_gym, tue_gym, _) = await three_bookings(client)
    assert ids(await listed(client, space_id=w.gym["id"], party_id=w.city["id"])) == [thu_gym["id"]]
    assert ids(await listed(client, space_id=w.gym["id"], party_id=w.group["id"])) == [
        tue_gym["id"]
    ]
