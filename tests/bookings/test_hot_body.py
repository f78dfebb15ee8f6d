"""POST /v1/bookings reads its body itself (one pydantic pass): it must answer exactly
as a FastAPI-parsed body would, here `POST /v1/bookings/quote` with the same model."""

from __future__ import annotations

import pytest

from tests.bookings.helpers import booking_body, local, next_weekday, world

BAD_BODIES = [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[]",
    b"{}",
    b'{"space_id": "x", "start": "2027-01-12T18:00:00", "end": 5}',
]


@pytest.mark.parametrize("raw", BAD_BODIES)
async def test_a_bad_booking_body_is_refused_as_the_quote_refuses_it(client, raw):
    w = await world(client)
    headers = {**w.group_key, "Content-Type": "application/json"}
    made = await client.post("/v1/bookings", content=raw, headers=headers)
    quoted = await client.post("/v1/bookings/quote", content=raw, headers=headers)
    assert made.status_code == quoted.status_code == 422
    assert made.json()["code"] == "validation-error"
    # The same fields are named; pydantic may word a message differently in JSON mode.
    assert [e["path"] for e in made.json()["errors"]] == [
        e["path"] for e in quoted.json()["errors"]
    ]


async def test_a_rental_fee_in_the_body_is_refused_as_the_quote_refuses_it(client):
    w = await world(client)
    day = next_weekday(1, weeks_ahead=2)
    body = {
        **booking_body(w.room["id"], local(day, "19:00"), local(day, "20:00")),
        "rental_fee_cents": 500,
    }
    made = await client.post("/v1/bookings", json=body, headers=w.group_key)
    quoted = await client.post("/v1/bookings/quote", json=body, headers=w.group_key)
    assert made.status_code == 422 and made.json()["code"] == "booking-rules-violated"
    assert quoted.status_code == 200 and quoted.json()["ok"] is False
    rules = {v["rule"] for v in made.json()["violations"]}
    assert rules == {v["rule"] for v in quoted.json()["violations"]} == {"rental-fee-prohibited"}


async def test_the_booking_body_is_documented_as_the_quote_body(client):
    doc = (await client.get("/openapi.json")).json()
    made = doc["paths"]["/v1/bookings"]["post"]["requestBody"]
    quoted = doc["paths"]["/v1/bookings/quote"]["post"]["requestBody"]
    assert made["content"] == quoted["content"]
    ref = made["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert ref in doc["components"]["schemas"]
