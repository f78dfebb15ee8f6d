"""The hot routes check the caller's key in their own first statement: what that means
for clients is exactly what every other route does (contract section 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.support import assert_problem
from tests.bookings.helpers import book, booking_rows, evening, new_key, next_weekday, world
from tests.conftest import ADMIN


async def test_a_key_revoked_after_booking_can_neither_book_nor_read_at_once(client, db):
    w = await world(client)
    headers, key_id = await new_key(client, w.group["id"], "partner")
    day = next_weekday(1)
    made = await book(client, headers, evening(w.gym["id"], day, "18:00", "19:00"))
    assert (await client.delete(f"/v1/api-keys/{key_id}", headers=ADMIN)).status_code == 204
    before = await booking_rows(db)
    assert_problem(
        await client.post(
            "/v1/bookings", json=evening(w.gym["id"], day, "19:00", "20:00"), headers=headers
        ),
        401,
        "unauthenticated",
    )
    assert_problem(
        await client.get(f"/v1/bookings/{made['id']}", headers=headers), 401, "unauthenticated"
    )
    assert await booking_rows(db) == before


async def test_a_forged_secret_with_a_real_lookup_id_cannot_book(client, db):
    w = await world(client)
    secret = w.group_key["Authorization"].removeprefix("Bearer ")
    forged = {
        "Authorization": "Bearer "
        + secret[:-4]
        + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    }
    before = await booking_rows(db)
    r = await client.post(
        "/v1/bookings", json=evening(w.gym["id"], next_weekday(1)), headers=forged
    )
    assert_problem(r, 401, "unauthenticated")
    assert await booking_rows(db) == before


async def test_a_keyless_booking_is_unauthenticated_whatever_its_body(client):
    r = await client.post("/v1/bookings", content=b"not json at all")
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"].lower().startswith("bearer")


async def test_any_unknown_booking_id_is_not_found_with_a_key_and_unauthenticated_without(client):
    w = await world(client)
    for raw in ("987654321", "0", "-1", "abc", "9" * 40):
        assert_problem(
            await client.get(f"/v1/bookings/{raw}", headers=w.group_key), 404, "not-found"
        )
        assert_problem(await client.get(f"/v1/bookings/{raw}"), 401, "unauthenticated")


async def test_the_bootstrap_admin_books_for_a_direct_partner_under_its_agreement(client):
    w = await world(client)
    body = {**evening(w.gym["id"], next_weekday(1)), "party_id": w.group["id"]}
    made = await book(client, ADMIN, body)
    assert (made["party_id"], made["agreement_id"], made["status"]) == (
        w.group["id"],
        w.agreement["id"],
        "confirmed",
    )


async def test_the_bootstrap_admin_booking_for_an_unknown_party_is_a_validation_error(client, db):
    w = await world(client)
    before = await booking_rows(db)
    r = await client.post(
        "/v1/bookings",
        json={**evening(w.gym["id"], next_weekday(1)), "party_id": 987654},
        headers=ADMIN,
    )
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["path"] == "body.party_id"
    assert await booking_rows(db) == before


async def test_availability_keeps_the_exact_instants_asked_for(client):
    w = await world(client)
    start = datetime.combine(next_weekday(1), datetime.min.time(), UTC) + timedelta(seconds=1.5)
    end = start + timedelta(hours=5, microseconds=250)
    r = await client.get(
        f"/v1/spaces/{w.gym['id']}/availability",
        params={"from": start.isoformat(), "to": end.isoformat()},
    )
    assert r.status_code == 200, r.text
    blocks = sorted(r.json()["free"] + r.json()["busy"], key=lambda b: b["start"])
    assert (
        datetime.fromisoformat(r.json()["from"])
        == datetime.fromisoformat(blocks[0]["start"])
        == start
    )
    assert (
        datetime.fromisoformat(r.json()["to"]) == datetime.fromisoformat(blocks[-1]["end"]) == end
    )
