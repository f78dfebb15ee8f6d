"""Contract section 8, idempotency: a write sent again with the same `Idempotency-Key`
gets its first answer again and writes nothing; a different request with the key is
refused; a key is its API key's own, kept at least 24 hours."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.auth import caller_key
from app.core.db import Database
from app.idempotency import repository as repo
from app.idempotency import rules
from app.idempotency.models import IdempotencyRecord
from tests.api.support import assert_problem
from tests.bookings.helpers import World, evening, next_weekday, world
from tests.bookings.test_query_counts import counted
from tests.conftest import ADMIN
from tests.factories import make_key

KEY = {"Idempotency-Key": "3f1c2a9e-booking-1"}


def keyed(headers: dict[str, str], key: str = KEY["Idempotency-Key"]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def post(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(path, json=body, headers=headers)


async def bookings_and_events(client: httpx.AsyncClient) -> tuple[int, int]:
    items = (await client.get("/v1/bookings", params={"limit": 200}, headers=ADMIN)).json()
    events = (await client.get("/v1/events", params={"limit": 200}, headers=ADMIN)).json()
    return len(items["items"]), len(events["items"])


def hours_later(hours: int) -> clock.OffsetClock:
    return clock.OffsetClock.starting_at(clock.current().now() + timedelta(hours=hours))


@pytest.fixture
async def w(client: httpx.AsyncClient) -> World:
    return await world(client)


async def test_a_booking_sent_again_with_its_key_gets_the_first_answer_and_writes_nothing(
    client, w
):
    body = evening(w.gym["id"], next_weekday(1))
    first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert first.status_code == 201, first.text
    written = await bookings_and_events(client)
    again = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.headers["location"], again.headers["etag"]) == (
        first.headers["location"], first.headers["etag"],
    )
    assert await bookings_and_events(client) == written == (1, 1)


async def test_a_first_answer_is_not_marked_replayed(client, w):
    body = evening(w.gym["id"], next_weekday(1))
    r = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert r.status_code == 201
    assert "idempotent-replayed" not in r.headers


async def test_the_same_json_written_otherwise_is_the_same_request(client, w):
    body = evening(w.gym["id"], next_weekday(1))
    first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = await client.post(
        "/v1/bookings", content=reordered,
        headers={**keyed(w.group_key), "Content-Type": "application/json"},
    )
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_key_used_again_for_a_different_body_is_refused(client, w):
    await post(client, "/v1/bookings", evening(w.gym["id"], next_weekday(1)), keyed(w.group_key))
    other = evening(w.gym["id"], next_weekday(2))
    r = await post(client, "/v1/bookings", other, keyed(w.group_key))
    assert_problem(r, 422, "idempotency-key-reused")
    assert await bookings_and_events(client) == (1, 1)


async def test_a_key_used_again_for_another_operation_is_refused(client, w):
    made = await post(
        client, "/v1/bookings", evening(w.gym["id"], next_weekday(1)), keyed(w.group_key)
    )
    r = await post(client, f"/v1/bookings/{made.json()['id']}/cancel", None, keyed(w.group_key))
    assert_problem(r, 422, "idempotency-key-reused")


async def test_keys_are_each_api_keys_own(client, w):
    other_key = await make_key(client, w.group["id"], "partner")
    first = await post(
        client, "/v1/bookings", evening(w.gym["id"], next_weekday(1)), keyed(w.group_key)
    )
    second = await post(
        client, "/v1/bookings", evening(w.gym["id"], next_weekday(2)), keyed(other_key)
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


async def test_a_rules_violation_is_replayed_as_it_was_answered(client, w):
    late = evening(w.gym["id"], next_weekday(1), attendance=10_000)
    first = await post(client, "/v1/bookings", late, keyed(w.group_key))
    assert_problem(first, 422, "booking-rules-violated")
    again = await post(client, "/v1/bookings", late, keyed(w.group_key))
    assert (again.status_code, again.json()) == (422, first.json())
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_conflict_is_replayed_even_after_the_slot_is_free_again(client, w):
    body = evening(w.gym["id"], next_weekday(1))
    held = (await post(client, "/v1/bookings", body, w.group_key)).json()
    first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert_problem(first, 409, "booking-conflict")
    await client.post(f"/v1/bookings/{held['id']}/cancel", headers=w.group_key)
    again = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert (again.status_code, again.json()) == (409, first.json())


async def test_an_action_sent_again_with_its_key_is_answered_as_the_first_time(client, w):
    body = evening(w.gym["id"], next_weekday(1))
    made = (await post(client, "/v1/bookings", body, w.group_key)).json()
    path = f"/v1/bookings/{made['id']}/cancel"
    first = await post(client, path, {"reason": "rained out"}, keyed(w.group_key, "cancel-1"))
    again = await post(client, path, {"reason": "rained out"}, keyed(w.group_key, "cancel-1"))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    # Without the key, a second cancel is refused: the replay did not run it again.
    assert_problem(await post(client, path, None, w.group_key), 409, "invalid-transition")


async def test_a_series_sent_again_with_its_key_is_made_once(client, w):
    start = evening(w.gym["id"], next_weekday(1))
    body = {**start, "rrule": "FREQ=WEEKLY;COUNT=3"}
    first = await post(client, "/v1/booking-series", body, keyed(w.group_key))
    assert first.status_code == 201, first.text
    again = await post(client, "/v1/booking-series", body, keyed(w.group_key))
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["location"] == first.headers["location"]
    assert (await bookings_and_events(client))[0] == 3


@pytest.mark.parametrize("key", [b"", b"x" * 256, b"tab\there", "é-not-ascii".encode()])
async def test_a_key_that_is_not_1_to_255_printable_characters_is_refused(client, w, key):
    body = evening(w.gym["id"], next_weekday(1))
    headers = {**w.group_key, "Idempotency-Key": key}
    r = await client.post("/v1/bookings", json=body, headers=headers)
    problem = assert_problem(r, 422, "validation-error")
    assert problem["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await bookings_and_events(client) == (0, 0)


@pytest.mark.parametrize("key", [KEY["Idempotency-Key"].encode(), b"x" * 256])
async def test_a_bad_api_key_is_refused_before_the_idempotency_key_is_looked_at(client, w, key):
    body = evening(w.gym["id"], next_weekday(1))
    headers = {"Authorization": "Bearer ju_nope", "Idempotency-Key": key}
    assert_problem(await post(client, "/v1/bookings", body, headers), 401, "unauthenticated")


async def test_a_refused_api_key_does_not_hold_the_idempotency_key(client, w, db: Database):
    body = evening(w.gym["id"], next_weekday(1))
    await post(client, "/v1/bookings", body, {"Authorization": "Bearer ju_nope", **KEY})
    async with db.read_sessions() as session:
        held = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert held == 0


async def test_a_write_without_an_api_key_is_a_401_whatever_its_idempotency_key(client, w):
    body = evening(w.gym["id"], next_weekday(1))
    assert_problem(await post(client, "/v1/bookings", body, KEY), 401, "unauthenticated")


async def test_a_key_whose_first_request_is_running_answers_in_flight(client, w, db: Database):
    body = evening(w.gym["id"], next_weekday(1))
    await running(db, w, body)
    r = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert_problem(r, 409, "idempotency-in-flight")
    assert r.headers["retry-after"] == "1"
    assert await bookings_and_events(client) == (0, 0)


async def test_a_key_left_running_past_its_lease_is_taken_over_by_its_retry(
    client, w, db: Database
):
    body = evening(w.gym["id"], next_weekday(1))
    await running(db, w, body)
    past_lease = clock.current().now() + rules.LEASE + timedelta(seconds=1)
    with clock.installed(clock.OffsetClock.starting_at(past_lease)):
        r = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert r.status_code == 201, r.text


async def test_a_key_is_kept_a_day_and_then_used_anew(client, w):
    body = evening(w.gym["id"], next_weekday(2))
    first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    with clock.installed(hours_later(23)):
        kept = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert kept.content == first.content
    with clock.installed(hours_later(25)):
        # Run again: the booking it made holds the slot.
        again = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert_problem(again, 409, "booking-conflict")
    assert "idempotent-replayed" not in again.headers


async def test_expired_keys_are_purged(client, w, db: Database):
    body = evening(w.gym["id"], next_weekday(1))
    await post(client, "/v1/bookings", body, keyed(w.group_key, "old"))
    async with db.runner(write=True) as runner:
        await repo.purge(runner, now=hours_later(25).now())
    async with db.read_sessions() as session:
        left = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert left == 0


async def test_a_key_scanned_by_other_routes_is_ignored(client, w):
    r = await client.get("/v1/bookings", headers=keyed(w.group_key))
    assert r.status_code == 200
    assert "idempotent-replayed" not in r.headers


# --- on kept facts (PostgreSQL): the booking's own insert keeps its key ------------


async def warm(client: httpx.AsyncClient, w: World) -> None:
    """Facts kept for the group's bookings of the gym (the first booking reads them)."""
    r = await post(
        client, "/v1/bookings", evening(w.gym["id"], next_weekday(3)), keyed(w.group_key, "warm")
    )
    assert r.status_code == 201, r.text


async def test_a_booking_on_kept_facts_keeps_its_key_in_its_own_statement(
    client, w, db: Database
):
    await warm(client, w)
    body = evening(w.gym["id"], next_weekday(1))
    with counted(db) as statements:
        first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert first.status_code == 201, first.text
    if db.engine.dialect.name == "postgresql":
        assert len(statements) == 1, statements  # the insert: no claim, no keep
    written = await bookings_and_events(client)
    again = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    for name in ("location", "etag", "content-type"):
        assert again.headers[name] == first.headers[name]
    assert await bookings_and_events(client) == written == (2, 2)


async def test_a_key_reused_on_kept_facts_is_refused_and_writes_nothing(client, w):
    await warm(client, w)
    await post(client, "/v1/bookings", evening(w.gym["id"], next_weekday(1)), keyed(w.group_key))
    other = evening(w.gym["id"], next_weekday(2))
    r = await post(client, "/v1/bookings", other, keyed(w.group_key))
    assert_problem(r, 422, "idempotency-key-reused")
    assert await bookings_and_events(client) == (2, 2)


async def test_a_key_running_elsewhere_is_in_flight_on_kept_facts_too(client, w, db: Database):
    await warm(client, w)
    body = evening(w.gym["id"], next_weekday(1))
    await running(db, w, body)
    r = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert_problem(r, 409, "idempotency-in-flight")
    assert await bookings_and_events(client) == (1, 1)


async def test_a_request_that_wrote_nothing_is_replayed_as_first_answered(client, w):
    body = {"space_id": w.gym["id"], "purpose": "no times"}
    first = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert_problem(first, 422, "validation-error")
    again = await post(client, "/v1/bookings", body, keyed(w.group_key))
    assert (again.status_code, again.content) == (422, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    other = await post(client, "/v1/bookings", evening(w.gym["id"], next_weekday(1)),
                       keyed(w.group_key))
    assert_problem(other, 422, "idempotency-key-reused")


async def running(db: Database, w: World, body: dict[str, Any]) -> None:
    """The key claimed by a first request still running (as another worker would)."""
    now = clock.current().now()
    async with db.runner(write=True) as runner:
        claimed = await repo.claim(
            runner, caller=caller_key(w.group_key["Authorization"].removeprefix("Bearer ")),
            key=KEY["Idempotency-Key"],
            fingerprint=rules.fingerprint("POST", "/v1/bookings", b"", json.dumps(body).encode()),
            now=now, locked_until=now + rules.LEASE, expires_at=rules.expiry(now, 24),
        )
    assert claimed is not None
