"""Contract section 8, change feed: what happened, oldest first, each event with the
booking (or series) as GET showed it after the change; a cursor that resumes exactly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update

from app.bookings.models import BookingEvent
from app.events.rules import TYPES, event_type
from tests import clock as suite
from tests.api.support import assert_problem, error_paths
from tests.bookings.helpers import book, evening, new_key, next_weekday, world
from tests.bookings.test_series_api import make_series, series_body
from tests.conftest import ADMIN

pytestmark = pytest.mark.dates


async def feed(
    client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **params: Any
) -> dict[str, Any]:
    r = await client.get("/v1/events", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def everything(client: httpx.AsyncClient, headers: dict[str, str] = ADMIN,
                     after: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Every event after `after`, page by page, and the cursor to poll with later."""
    seen: list[dict[str, Any]] = []
    while True:
        page = await feed(client, headers, limit=2, **({"after": after} if after else {}))
        seen += page["items"]
        assert page["next_cursor"]
        after = page["next_cursor"]
        if len(page["items"]) < 2:
            return seen, after


async def get(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    r = await client.get(path, headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_booking_confirmed_at_once_is_one_booking_confirmed_event_with_the_booking(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    [event] = (await feed(client))["items"]
    assert event["type"] == "booking.confirmed"
    assert event["data"] == await get(client, f"/v1/bookings/{made['id']}") == made
    assert event["occurred_at"] == made["created_at"]


async def test_a_requested_booking_then_approved_is_requested_then_confirmed(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.post(f"/v1/bookings/{made['id']}/approve", headers=w.district_manager)
    events = (await feed(client))["items"]
    assert [e["type"] for e in events] == ["booking.requested", "booking.confirmed"]
    assert events[0]["data"] == made
    assert events[1]["data"] == r.json() == await get(client, f"/v1/bookings/{made['id']}")


async def test_a_declined_request_is_booking_declined(client):
    w = await world(client, terms={"auto_confirm": False})
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.post(f"/v1/bookings/{made['id']}/decline", headers=w.district_manager)
    events = (await feed(client))["items"]
    assert [e["type"] for e in events] == ["booking.requested", "booking.declined"]
    assert events[1]["data"] == r.json()


async def test_a_change_and_a_cancellation_carry_the_booking_after_each(client):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    r = await client.get(f"/v1/bookings/{made['id']}", headers=w.group_key)
    changed = await client.patch(
        f"/v1/bookings/{made['id']}", json={"attendance": 12},
        headers={**w.group_key, "If-Match": r.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    after_change = await get(client, f"/v1/bookings/{made['id']}")
    cancelled = await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    events = (await feed(client))["items"]
    assert [e["type"] for e in events] == [
        "booking.confirmed", "booking.changed", "booking.cancelled"
    ]
    assert events[1]["data"] == after_change
    assert events[1]["data"]["attendance"] == 12
    assert events[2]["data"] == cancelled.json() == await get(client, f"/v1/bookings/{made['id']}")
    assert events[2]["data"]["status"] == "cancelled"


async def test_a_series_is_an_event_per_occurrence_then_series_created(client):
    w = await world(client)
    series = await make_series(
        client, w.group_key, series_body(w.gym["id"], next_weekday(1), "FREQ=WEEKLY;COUNT=3")
    )
    events = (await feed(client))["items"]
    assert [e["type"] for e in events] == ["booking.confirmed"] * 3 + ["series.created"]
    assert [e["data"]["id"] for e in events[:3]] == series["booking_ids"]
    for e in events[:3]:
        assert e["data"] == await get(client, f"/v1/bookings/{e['data']['id']}")
    assert events[3]["data"] == series == await get(client, f"/v1/booking-series/{series['id']}")


async def test_a_cancelled_series_is_its_occurrences_cancelled_then_series_cancelled(client):
    w = await world(client)
    series = await make_series(
        client, w.group_key, series_body(w.gym["id"], next_weekday(1), "FREQ=WEEKLY;COUNT=2")
    )
    _, cursor = await everything(client)
    r = await client.post(f"/v1/booking-series/{series['id']}/cancel", headers=w.group_key)
    assert r.status_code == 200, r.text
    events, _ = await everything(client, after=cursor)
    assert [e["type"] for e in events] == ["booking.cancelled"] * 2 + ["series.cancelled"]
    assert events[2]["data"] == r.json()
    assert events[2]["data"]["status"] == "cancelled"


async def test_the_cursor_resumes_exactly_after_the_last_item(client):
    w = await world(client)
    for weekday in range(5):
        await book(client, w.group_key, evening(w.gym["id"], next_weekday(weekday)))
    whole = (await feed(client, limit=200))["items"]
    walked, _ = await everything(client)
    assert [e["id"] for e in walked] == [e["id"] for e in whole]
    assert len(whole) == 5


async def test_at_the_end_the_cursor_is_the_one_to_poll_with_later(client):
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    _, cursor = await everything(client)
    assert (await feed(client, after=cursor))["items"] == []
    later = await book(client, w.group_key, evening(w.gym["id"], next_weekday(2)))
    page = await feed(client, after=cursor)
    assert [e["data"]["id"] for e in page["items"]] == [later["id"]]
    assert page["next_cursor"]


async def test_an_empty_feed_answers_a_cursor(client):
    page = await feed(client)
    assert page["items"] == []
    assert isinstance(page["next_cursor"], str) and page["next_cursor"]


async def test_a_partner_sees_only_its_own_bookings_events(client):
    w = await world(client)
    other, _ = await new_key(client, w.city["id"], "partner")
    mine = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await book(client, other, evening(w.gym["id"], next_weekday(2)))
    seen, _ = await everything(client, w.group_key)
    assert [e["data"]["id"] for e in seen] == [mine["id"]]


async def test_a_manager_sees_the_events_of_bookings_at_its_party_s_sites(client):
    w = await world(client)
    made = [
        await book(client, w.group_key, evening(w.gym["id"], next_weekday(1))),
        await book(client, w.city_key, evening(w.gym["id"], next_weekday(2))),
    ]
    seen, _ = await everything(client, w.district_manager)
    assert [e["data"]["id"] for e in seen] == [b["id"] for b in made]
    outsider, _ = await new_key(client, w.city["id"], "manager")
    seen, _ = await everything(client, outsider)
    assert [e["data"]["id"] for e in seen] == [made[1]["id"]]  # its own party's booking


async def test_a_key_that_sees_few_events_resumes_past_the_others(client):
    w = await world(client)
    await book(client, w.city_key, evening(w.gym["id"], next_weekday(1)))
    _, cursor = await everything(client, w.group_key)
    mine = await book(client, w.group_key, evening(w.gym["id"], next_weekday(2)))
    seen, _ = await everything(client, w.group_key, after=cursor)
    assert [e["data"]["id"] for e in seen] == [mine["id"]]


async def test_the_feed_needs_a_key(client):
    assert_problem(await client.get("/v1/events"), 401, "unauthenticated")


@pytest.mark.parametrize("after", ["nonsense", "WzFd", "WyJhIiwxXQ", "Wy0xLDFd"],
                         ids=["not-base64-json", "one-value", "text-value", "negative"])
async def test_an_after_the_feed_did_not_give_is_a_validation_error(client, after):
    r = await client.get("/v1/events", params={"after": after}, headers=ADMIN)
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["query.after"]


@pytest.mark.parametrize("limit", [0, 201])
async def test_a_limit_outside_1_to_200_is_a_validation_error(client, limit):
    r = await client.get("/v1/events", params={"limit": limit}, headers=ADMIN)
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["query.limit"]


async def test_an_event_written_before_the_feed_kept_data_shows_the_booking_as_it_is(client, db):
    w = await world(client)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    async with db.write_sessions() as s:
        await s.execute(update(BookingEvent).values(data=None))
        await s.commit()
    [event] = (await feed(client))["items"]
    assert event["type"] == "booking.confirmed"
    assert event["data"] == await get(client, f"/v1/bookings/{made['id']}")


async def test_the_feed_names_every_kind_of_event_as_the_rules_do(client, db):
    w = await world(client)
    series = await make_series(
        client, w.group_key, series_body(w.gym["id"], next_weekday(1), "FREQ=WEEKLY;COUNT=1")
    )
    _, cursor = await everything(client)
    kinds = [(False, "changed", "requested"), *((k[0], k[1], k[2] or "confirmed") for k in TYPES)]
    async with db.write_sessions() as s:
        for of_series, action, status in kinds:
            await s.execute(insert(BookingEvent).values(
                booking_id=None if of_series else series["booking_ids"][0],
                series_id=series["id"], action=action, status=status, actor_role="admin",
                occurred_at=suite.now(), data="{}",
            ))
        await s.commit()
    events, _ = await everything(client, after=cursor)
    assert [e["type"] for e in events] == [
        event_type(action, status, of_series=of_series) for of_series, action, status in kinds
    ]


async def test_a_key_that_sees_few_events_walks_past_the_others_a_bounded_window_at_a_time(
    client,
):
    w = await world(client)
    mine = []
    for i in range(12):
        day = next_weekday(i % 5, weeks_ahead=2 + i // 5)
        if i in (3, 10):
            mine.append(await book(client, w.group_key, evening(w.gym["id"], day)))
        else:
            await book(client, w.city_key, evening(w.gym["id"], day))
    seen, cursor, pages = [], None, 0
    while True:
        page = await feed(client, w.group_key, limit=1, **({"after": cursor} if cursor else {}))
        pages += 1
        seen += [e["data"]["id"] for e in page["items"]]
        if not page["items"] and page["next_cursor"] == cursor:
            break
        cursor = page["next_cursor"]
    assert seen == [b["id"] for b in mine]
    assert pages > 3  # a page looked at a window of the events, not at all of them
