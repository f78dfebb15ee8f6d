"""Contract section 3, availability: public free and busy time, never who booked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem, error_paths
from tests.bookings.helpers import (
    add_calendar_exception,
    book,
    evening,
    instant,
    local,
    next_dst_change,
    next_weekday,
    world,
)
from tests.clock import site_today

pytestmark = pytest.mark.dates

Block = tuple[str, str, str | None]


async def availability(
    client: httpx.AsyncClient, space_id: int, start: datetime, end: datetime
) -> httpx.Response:
    return await client.get(
        f"/v1/spaces/{space_id}/availability",
        params={"from": start.isoformat(), "to": end.isoformat()},
    )


async def day_blocks(client: httpx.AsyncClient, space_id: int, day: date) -> list[Block]:
    """The local day's blocks in time order as (from, to, busy reason or None), site time."""
    r = await availability(
        client, space_id, local(day, "00:00"), local(day + timedelta(days=1), "00:00")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    blocks = [(b["start"], b["end"], None) for b in body["free"]] + [
        (b["start"], b["end"], b["reason"]) for b in body["busy"]
    ]
    blocks.sort(key=lambda b: instant(b[0]))
    return [(hhmm(s, day), hhmm(e, day), reason) for s, e, reason in blocks]


def hhmm(text: str, day: date) -> str:
    """Site-local HH:MM, with the next midnight as 24:00."""
    t = instant(text)
    return (
        "24:00"
        if t == local(day + timedelta(days=1), "00:00")
        else t.astimezone(local(day, "00:00").tzinfo).strftime("%H:%M")
    )


SCHOOL_DAY: list[Block] = [
    ("00:00", "06:00", "closed"),
    ("06:00", "08:00", None),
    ("08:00", "15:00", "reserved"),
    ("15:00", "22:00", None),
    ("22:00", "24:00", "closed"),
]


async def test_anyone_reads_a_spaces_availability_without_a_key(client):
    w = await world(client)
    day = next_weekday(1)
    r = await availability(client, w.gym["id"], local(day, "00:00"), local(day, "12:00"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["space_id"] == w.gym["id"]
    assert instant(body["from"]) == local(day, "00:00")
    assert instant(body["to"]) == local(day, "12:00")


async def test_a_school_day_is_closed_reserved_and_free(client):
    w = await world(client)
    assert await day_blocks(client, w.gym["id"], next_weekday(1)) == SCHOOL_DAY


async def test_a_held_booking_is_busy_with_its_setup_and_cleanup(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, setup_minutes=30, cleanup_minutes=15))
    assert await day_blocks(client, w.gym["id"], day) == [
        ("00:00", "06:00", "closed"),
        ("06:00", "08:00", None),
        ("08:00", "15:00", "reserved"),
        ("15:00", "17:30", None),
        ("17:30", "20:15", "booking"),
        ("20:15", "22:00", None),
        ("22:00", "24:00", "closed"),
    ]


async def test_a_booking_of_another_space_leaves_this_one_free(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.room["id"], day))
    assert await day_blocks(client, w.gym["id"], day) == SCHOOL_DAY


async def test_a_cancelled_booking_is_not_busy(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(client, w.group_key, evening(w.gym["id"], day))
    await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    assert await day_blocks(client, w.gym["id"], day) == SCHOOL_DAY


async def test_a_closure_makes_the_whole_day_busy(client):
    w = await world(client)
    day = next_weekday(1)
    await add_calendar_exception(client, w.site["id"], "closure", day)
    assert await day_blocks(client, w.gym["id"], day) == [("00:00", "24:00", "closure")]


async def test_reserved_hours_are_free_during_a_recess(client):
    w = await world(client)
    day = next_weekday(1)
    await add_calendar_exception(client, w.site["id"], "recess", day)
    assert await day_blocks(client, w.gym["id"], day) == [
        ("00:00", "06:00", "closed"),
        ("06:00", "22:00", None),
        ("22:00", "24:00", "closed"),
    ]


async def test_open_hours_follow_the_dst_change(client):
    w = await world(client)
    sunday = next_dst_change(site_today())
    assert await day_blocks(client, w.gym["id"], sunday) == [
        ("00:00", "06:00", "closed"),
        ("06:00", "22:00", None),
        ("22:00", "24:00", "closed"),
    ]


async def test_busy_blocks_never_say_who_booked(client):
    w = await world(client)
    day = next_weekday(1)
    made = await book(
        client, w.group_key, evening(w.gym["id"], day, purpose="Oak Park Youth Soccer practice")
    )
    r = await availability(client, w.gym["id"], local(day, "00:00"), local(day, "23:00"))
    body: dict[str, Any] = r.json()
    assert set(body) == {"space_id", "from", "to", "free", "busy"}
    assert all(set(b) == {"start", "end", "reason"} for b in body["busy"])
    assert all(set(b) == {"start", "end"} for b in body["free"])
    assert "Oak Park" not in r.text
    assert "party" not in r.text
    assert f'"id":{made["id"]}' not in r.text.replace(" ", "")


async def test_a_span_of_62_days_is_allowed(client):
    w = await world(client)
    # The bound is elapsed time: in UTC, a span crossing a DST change is still 62 x 24 h.
    start = local(next_weekday(1), "00:00").astimezone(UTC)
    assert (
        await availability(client, w.gym["id"], start, start + timedelta(days=62))
    ).status_code == 200


async def test_a_span_over_62_days_is_refused(client):
    w = await world(client)
    start = local(next_weekday(1), "00:00").astimezone(UTC)
    r = await availability(client, w.gym["id"], start, start + timedelta(days=62, minutes=1))
    assert_problem(r, 422, "validation-error")


async def test_to_before_from_is_refused(client):
    w = await world(client)
    start = local(next_weekday(1), "12:00")
    assert_problem(
        await availability(client, w.gym["id"], start, start - timedelta(hours=1)),
        422,
        "validation-error",
    )


async def test_from_and_to_are_required(client):
    w = await world(client)
    body = assert_problem(
        await client.get(f"/v1/spaces/{w.gym['id']}/availability"), 422, "validation-error"
    )
    assert sorted(error_paths(body)) == ["query.from", "query.to"]


async def test_unknown_query_parameters_are_ignored(client):
    w = await world(client)
    start = local(next_weekday(1), "00:00")
    r = await client.get(
        f"/v1/spaces/{w.gym['id']}/availability",
        params={
            "from": start.isoformat(),
            "to": (start + timedelta(days=1)).isoformat(),
            "_": "1733",
        },
    )
    assert r.status_code == 200, r.text


async def test_instants_without_an_offset_are_refused(client):
    w = await world(client)
    r = await client.get(
        f"/v1/spaces/{w.gym['id']}/availability",
        params={"from": "2027-01-12T00:00:00", "to": "2027-01-13T00:00:00Z"},
    )
    assert error_paths(assert_problem(r, 422, "validation-error")) == ["query.from"]


async def test_an_unknown_space_is_not_found(client):
    start = local(next_weekday(1), "00:00")
    assert_problem(
        await availability(client, 999999, start, start + timedelta(days=1)), 404, "not-found"
    )
