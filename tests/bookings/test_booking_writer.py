"""Bookings judged on kept facts at the same time are written together, in one
statement (`app.bookings.writer`, PostgreSQL). For clients nothing changes: each
booking is its own, with its own history row, and one whose window is taken, by
another booking of the same statement too, is a 409 as it would be alone."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.bookings import repository as repo
from app.bookings import service
from app.bookings.facts_cache import facts_cache
from app.bookings.schemas import BookingCreate
from app.bookings.writer import BookingWriter
from app.core.db import Database
from app.core.time import utcnow
from app.keys.auth import credentials
from tests.api.support import assert_problem
from tests.bookings.helpers import (
    World,
    book,
    booking_rows,
    evening,
    instant,
    new_key,
    next_weekday,
    world,
)
from tests.conftest import ADMIN


@pytest.fixture(autouse=True)
def _postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip(
            "SQLite serializes bookings with BEGIN IMMEDIATE: there is nothing to write together"
        )


@contextmanager
def sent(db: Database) -> Iterator[list[str]]:
    """The hot statements sent to the database meanwhile."""
    statements: list[str] = []
    db.listeners.append(statements.append)
    try:
        yield statements
    finally:
        db.listeners.remove(statements.append)


def batched(statements: list[str]) -> int:
    return sum("unnest" in s for s in statements)


async def primed(client: httpx.AsyncClient, w: World) -> None:
    """A first booking of each space by each key, so that their facts are kept."""
    day = next_weekday(1)
    for key in (w.group_key, w.city_key):
        for space in (w.gym, w.room):
            made = await book(client, key, evening(space["id"], day, "06:00", "07:00"))
            assert (
                await client.post(f"/v1/bookings/{made['id']}/cancel", headers=key)
            ).status_code == 200


async def post_all(
    client: httpx.AsyncClient, requests: list[tuple[dict[str, str], dict[str, Any]]]
) -> list[httpx.Response]:
    return list(
        await asyncio.gather(*(client.post("/v1/bookings", json=b, headers=h) for h, b in requests))
    )


async def test_simultaneous_bookings_are_written_together_each_as_requested(client, db, caplog):
    w = await world(client)
    await primed(client, w)
    day = next_weekday(2)
    bodies = [
        evening(w.gym["id"], day + timedelta(days=i), "18:00", "19:30", attendance=10 + i)
        for i in range(6)
    ]
    with sent(db) as statements, caplog.at_level(logging.WARNING):
        responses = await post_all(client, [(w.group_key, b) for b in bodies])
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    for body, r in zip(bodies, responses, strict=True):
        made = r.json()
        assert (instant(made["start"]), made["attendance"]) == (
            instant(body["start"]),
            body["attendance"],
        )
        assert r.headers["location"] == f"/v1/bookings/{made['id']}"
        read = await client.get(f"/v1/bookings/{made['id']}", headers=w.group_key)
        assert read.json() == made
    assert batched(statements) >= 1 and len(statements) < 6, statements
    assert not [r for r in caplog.records if "full path" in r.getMessage()]


async def test_each_booking_of_a_batch_gets_its_own_history_row_and_actor(client, db):
    w = await world(client)
    await primed(client, w)
    day = next_weekday(2)
    requests = [
        (w.group_key, evening(w.gym["id"], day, "18:00", "19:00")),
        (w.city_key, evening(w.gym["id"], day, "19:00", "20:00")),
        (w.group_key, evening(w.room["id"], day, "18:00", "19:00")),
    ]
    with sent(db) as statements:
        responses = await post_all(client, requests)
    assert [r.status_code for r in responses] == [201] * 3, [r.text for r in responses]
    assert batched(statements) >= 1
    for (key, _), r, party in zip(requests, responses, (w.group, w.city, w.group), strict=True):
        made = r.json()
        assert made["party_id"] == party["id"]
        read = await client.get(f"/v1/bookings/{made['id']}/history", headers=key)
        history = read.json()["items"]
        assert [(e["action"], e["actor_party_id"]) for e in history] == [("created", party["id"])]


async def test_two_bookings_of_one_batch_for_the_same_window_make_one_booking_and_one_409(
    client, db
):
    w = await world(client)
    await primed(client, w)
    day = next_weekday(2)
    before = await booking_rows(db)
    same = evening(w.gym["id"], day, "18:00", "19:00")
    overlapping = evening(w.gym["id"], day, "18:30", "19:30")
    elsewhere = evening(w.room["id"], day, "18:00", "19:00")
    with sent(db) as statements:
        responses = await post_all(
            client, [(w.group_key, same), (w.city_key, overlapping), (w.group_key, elsewhere)]
        )
    assert batched(statements) >= 1
    assert [r.status_code for r in responses] == [201, 409, 201], [r.text for r in responses]
    body = assert_problem(responses[1], 409, "booking-conflict")
    assert [v["rule"] for v in body["violations"]] == ["conflict"]
    after = await booking_rows(db)
    assert (
        after["bookings"] - before["bookings"],
        after["booking_events"] - before["booking_events"],
    ) == (2, 2)


async def test_a_batch_marks_each_site_date_beyond_custodial_hours_once(client, db, caplog):
    w = await world(client)
    await primed(client, w)
    day = next_weekday(2)
    # Both past custodial hours (18:00) on one site date, one within them on another.
    requests = [
        (w.group_key, evening(w.gym["id"], day, "18:00", "19:00")),
        (w.group_key, evening(w.room["id"], day, "19:00", "21:00")),
        (w.group_key, evening(w.room["id"], day + timedelta(days=1), "15:00", "16:00")),
    ]
    async with db.read_sessions() as s:
        await s.execute(text("DELETE FROM custodial_pending"))
        await s.commit()
    with caplog.at_level(logging.WARNING), sent(db) as statements:
        responses = await post_all(client, requests)
    assert [r.status_code for r in responses] == [201] * 3, [r.text for r in responses]
    assert batched(statements) >= 1
    assert not [r for r in caplog.records if "full path" in r.getMessage()]
    async with db.read_sessions() as s:
        pending = (
            await s.execute(text("SELECT site_id, local_date, seq FROM custodial_pending"))
        ).all()
    marked = [(site, d.isoformat(), seq) for site, d, seq in pending]
    assert marked == [(w.site["id"], day.isoformat(), 1)]


# --- the batch statement itself -----------------------------------------------------


async def judged(
    client: httpx.AsyncClient, db: Database, w: World, bodies: list[dict[str, Any]]
) -> list[repo.NewBooking]:
    """What the pipeline hands the writer for each body judged on kept facts (the group's key)."""
    await primed(client, w)
    cache = facts_cache(db)
    assert cache is not None
    caller = credentials(w.group_key["Authorization"], None)
    now = utcnow()
    made = []
    for body in bodies:
        ask = service.Ask.of(BookingCreate.model_validate(body))
        kept = cache.get(
            service.facts_key(caller, ask), repo.facts_from(ask.occurrences[0].held.start)
        )
        assert kept is not None
        facts = service.checked(caller, ask, kept)
        ev = service.judge(facts, ask, now)
        assert not ev.violations
        made.extend(service.new_bookings(ev, facts, ask, now))
    return made


async def insert(db: Database, batch: list[repo.NewBooking]) -> list[int | None]:
    async with db.runner(write=True) as runner:
        return await repo.insert_bookings(runner, batch)


async def test_a_batch_skips_bookings_judged_on_a_stale_catalog_or_by_a_revoked_key(client, db):
    w = await world(client)
    day = next_weekday(2)
    fresh, stale, revoked = await judged(
        client, db, w, [evening(w.gym["id"], day, f"{h}:00", f"{h}:30") for h in (18, 19, 20)]
    )
    version = stale.guard.catalog_version
    assert version is not None
    stale = dataclasses.replace(stale, guard=repo.Guard(version - 1, stale.guard.key_id))
    _, spare = await new_key(client, w.group["id"], "partner")
    assert (await client.delete(f"/v1/api-keys/{spare}", headers=ADMIN)).status_code == 204
    revoked = dataclasses.replace(revoked, guard=repo.Guard(version, spare))
    made = await insert(db, [fresh, stale, revoked])
    assert made[0] is not None and made[1:] == [None, None]


async def test_a_batch_answers_each_booking_by_its_place_in_the_batch(client, db):
    w = await world(client)
    day = next_weekday(2)
    bodies = [evening(w.room["id"], day + timedelta(days=i), "18:00", "19:00") for i in range(4)]
    batch = await judged(client, db, w, bodies)
    made = await insert(db, list(reversed(batch)))
    assert all(made)
    for booking_id, kept in zip(made, reversed(batch), strict=True):
        read = await client.get(f"/v1/bookings/{booking_id}", headers=w.group_key)
        assert instant(read.json()["start"]) == kept.values["start"]


async def test_of_two_overlapping_bookings_arriving_together_the_first_to_arrive_is_written(
    client, db
):
    w = await world(client)
    day = next_weekday(2)
    later, earlier = await judged(
        client,
        db,
        w,
        [evening(w.gym["id"], day, "18:30", "19:30"), evening(w.gym["id"], day, "18:00", "19:00")],
    )
    writer = BookingWriter(db)
    # One batch, in this order.
    first, second = await asyncio.gather(writer.write(later), writer.write(earlier))
    assert first is not None and second is None  # the second takes the full path: a 409 there
    async with db.read_sessions() as s:
        result = await s.execute(
            text("SELECT id FROM bookings WHERE space_id = :s AND status = 'confirmed'"),
            {"s": w.gym["id"]},
        )
        written = result.scalars().all()
    assert written == [first]


async def test_the_statement_writes_overlapping_rows_of_other_spaces_and_windows_alike(client, db):
    w = await world(client)
    day = next_weekday(2)
    gym, room = await judged(
        client,
        db,
        w,
        [evening(w.gym["id"], day, "18:00", "19:00"), evening(w.room["id"], day, "18:00", "19:00")],
    )
    made = await insert(db, [gym, room])
    assert None not in made


async def test_a_lone_conflict_on_kept_facts_is_a_409_and_no_warning(client, db, caplog):
    w = await world(client)
    await primed(client, w)
    day = next_weekday(2)
    await book(client, w.city_key, evening(w.gym["id"], day, "18:00", "19:00"))
    with caplog.at_level(logging.WARNING):
        r = await client.post(
            "/v1/bookings", json=evening(w.gym["id"], day, "18:30", "19:30"), headers=w.group_key
        )
    body = assert_problem(r, 409, "booking-conflict")
    assert [v["rule"] for v in body["violations"]] == ["conflict"]
    assert [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING] == []
