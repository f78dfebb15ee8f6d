"""A worker keeps what booking a space needs to know (the key, the space, its site and
calendar, the agreements) and books the next request on it in one statement
(`app.bookings.facts_cache`). For clients nothing changes: every change to those facts
applies to the very next booking, and every violation is still reported at once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.core.db import Database
from tests.api.support import assert_problem
from tests.bookings.helpers import (
    add_calendar_exception,
    book,
    booking_rows,
    evening,
    next_weekday,
    world,
)
from tests.conftest import ADMIN
from tests.factories import make_party

pytestmark = pytest.mark.dates


async def test_a_lowered_capacity_applies_to_the_next_booking(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00", attendance=30))
    r = await client.patch(f"/v1/spaces/{w.gym['id']}", json={"capacity": 20}, headers=ADMIN)
    assert r.status_code == 200, r.text
    r = await client.post(
        "/v1/bookings",
        json=evening(w.gym["id"], day, "19:00", "20:00", attendance=30),
        headers=w.group_key,
    )
    body = assert_problem(r, 422, "booking-rules-violated")
    assert [v["rule"] for v in body["violations"]] == ["over-capacity"]


async def test_a_closure_added_after_a_booking_refuses_the_next_one(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    await add_calendar_exception(client, w.site["id"], "closure", day + timedelta(days=7))
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day + timedelta(days=7)), headers=w.group_key
    )
    body = assert_problem(r, 422, "booking-rules-violated")
    assert [v["rule"] for v in body["violations"]] == ["site-closed"]


async def test_an_agreement_terminated_after_a_booking_covers_no_more(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    r = await client.patch(
        f"/v1/agreements/{w.agreement['id']}", json={"status": "terminated"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, "19:00", "20:00"), headers=w.group_key
    )
    body = assert_problem(r, 422, "booking-rules-violated")
    assert [v["rule"] for v in body["violations"]] == ["no-agreement"]


async def test_changed_terms_apply_to_the_next_booking(client):
    w = await world(client)
    day = next_weekday(1)
    first = await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    r = await client.patch(
        f"/v1/agreements/{w.agreement['id']}",
        json={"terms": {"auto_confirm": False}},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    second = await book(client, w.group_key, evening(w.gym["id"], day, "19:00", "20:00"))
    assert (first["status"], second["status"]) == ("confirmed", "requested")


async def test_a_direct_partner_added_after_a_refusal_books_at_once(client):
    w = await world(client)
    newcomer = await make_party(client, "community_group", "Meadowview Chess Club")
    r = await client.post(
        "/v1/api-keys",
        json={"party_id": newcomer["id"], "role": "partner", "name": "chess"},
        headers=ADMIN,
    )
    key = {"Authorization": f"Bearer {r.json()['secret']}"}
    day = next_weekday(1)
    r = await client.post("/v1/bookings", json=evening(w.gym["id"], day), headers=key)
    assert_problem(r, 422, "booking-rules-violated")
    r = await client.post(
        f"/v1/agreements/{w.agreement['id']}/direct-partners",
        json={"party_id": newcomer["id"]},
        headers=ADMIN,
    )
    assert r.status_code == 200, r.text
    made = await book(client, key, evening(w.gym["id"], day))
    assert made["agreement_id"] == w.agreement["id"]


async def test_a_conflict_after_a_booking_is_a_409_naming_the_conflict(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    before = await booking_rows(db)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, "18:30", "19:30"), headers=w.group_key
    )
    body = assert_problem(r, 409, "booking-conflict")
    assert [v["rule"] for v in body["violations"]] == ["conflict"]
    assert await booking_rows(db) == before


async def test_a_conflict_and_another_failure_after_a_booking_are_reported_together(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    r = await client.post(
        "/v1/bookings",
        json=evening(w.gym["id"], day, "18:30", "19:30", attendance=5000),
        headers=w.group_key,
    )
    body = assert_problem(r, 422, "booking-rules-violated")
    assert sorted(v["rule"] for v in body["violations"]) == ["conflict", "over-capacity"]


async def test_a_forged_secret_cannot_book_after_its_key_has(client, db):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    secret = w.group_key["Authorization"].removeprefix("Bearer ")
    forged = {
        "Authorization": "Bearer "
        + secret[:-4]
        + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    }
    before = await booking_rows(db)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], day, "19:00", "20:00"), headers=forged
    )
    assert_problem(r, 401, "unauthenticated")
    assert await booking_rows(db) == before


async def test_one_keys_booking_lends_nothing_to_another_keys(client):
    w = await world(client)
    day = next_weekday(1)
    await book(client, w.group_key, evening(w.gym["id"], day, "18:00", "19:00"))
    # The city's key books under the same agreement, for its own party.
    made = await book(client, w.city_key, evening(w.gym["id"], day, "19:00", "20:00"))
    assert made["party_id"] == w.city["id"]
    r = await client.post(
        "/v1/bookings",
        json=evening(w.gym["id"], day, "20:00", "21:00", party_id=w.group["id"]),
        headers=w.city_key,
    )
    assert_problem(r, 403, "forbidden")


# --- the catalog version (PostgreSQL) ------------------------------------------------


async def catalog_version(db: Database) -> int:
    async with db.read_sessions() as s:
        return int((await s.execute(text("SELECT version FROM catalog_version"))).scalar_one())


async def test_every_change_to_what_bookings_read_moves_the_catalog_version(client, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite books without kept facts: its version never moves")
    w = await world(client)
    seen = [await catalog_version(db)]
    league = await make_party(client, "community_group", "Hmong Youth League")
    seen.append(await catalog_version(db))
    changes = [
        ("PATCH", f"/v1/sites/{w.site['id']}", {"custodial_rate_cents_per_hour": 5000}),
        ("PATCH", f"/v1/spaces/{w.gym['id']}", {"capacity": 150}),
        (
            "POST",
            f"/v1/sites/{w.site['id']}/calendar-exceptions",
            {"kind": "recess", "start_date": "2030-06-10", "end_date": "2030-08-20"},
        ),
        ("PATCH", f"/v1/agreements/{w.agreement['id']}", {"terms": {"min_notice_hours": 24}}),
        ("POST", f"/v1/agreements/{w.agreement['id']}/direct-partners", {"party_id": league["id"]}),
    ]
    for method, path, body in changes:
        r = await client.request(method, path, json=body, headers=ADMIN)
        assert r.status_code in (200, 201), (path, r.text)
        seen.append(await catalog_version(db))
    assert all(a < b for a, b in itertools.pairwise(seen)), seen


async def test_bookings_leave_the_catalog_version_alone(client, db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite books without kept facts: its version never moves")
    w = await world(client)
    before = await catalog_version(db)
    made = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    assert (
        await client.post(f"/v1/bookings/{made['id']}/cancel", headers=w.group_key)
    ).status_code == 200
    assert await catalog_version(db) == before
