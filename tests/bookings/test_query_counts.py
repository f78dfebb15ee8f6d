"""Requests on the hot paths make the same number of SQL statements whatever the
amount of data, and a 500-occurrence series a small bounded number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import event

from app.core.db import Database
from tests.bookings.helpers import booking_body, local, next_weekday, world

WEEKLY_YEAR = "FREQ=DAILY;COUNT=300"


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.engine.sync_engine

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        # Savepoints belong to the test's rolled-back transaction, not to the request.
        if "SAVEPOINT" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    # Hot statements run on the driver directly (PostgreSQL): counted as they are sent.
    db.listeners.append(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
        db.listeners.remove(statements.append)


async def _hot_path_counts(client: httpx.AsyncClient, db: Database, w, day) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    made: list[int] = []
    # The first booking reads the facts, the second books on them kept (PostgreSQL).
    db.caches.clear()
    for name, hour in (("post", "19:00"), ("post with kept facts", "20:00")):
        body = booking_body(w.room["id"], local(day, hour), local(day, hour) + timedelta(hours=1))
        with counted(db) as s:
            r = await client.post("/v1/bookings", json=body, headers=w.group_key)
        assert r.status_code == 201, r.text
        counts[name] = len(s)
        made.append(r.json()["id"])
    with counted(db) as s:
        assert (await client.get(f"/v1/bookings/{made[0]}", headers=w.group_key)).status_code == 200
    counts["get"] = len(s)
    week = {
        "from": local(day, "00:00").isoformat(),
        "to": (local(day, "00:00") + timedelta(days=7)).isoformat(),
    }
    with counted(db) as s:
        assert (
            await client.get(f"/v1/spaces/{w.gym['id']}/availability", params=week)
        ).status_code == 200
    counts["availability"] = len(s)
    for booking_id in made:
        cancel = await client.post(f"/v1/bookings/{booking_id}/cancel", headers=w.group_key)
        assert cancel.status_code == 200
    return counts


async def test_hot_paths_make_the_same_number_of_statements_with_300_more_bookings(client, db):
    w = await world(client, terms={"max_series_days": 365})
    day = next_weekday(1, weeks_ahead=3)
    before = await _hot_path_counts(client, db, w, day)
    series = booking_body(
        w.gym["id"],
        local(day - timedelta(days=5), "18:00"),
        local(day - timedelta(days=5), "21:00"),
    )
    r = await client.post(
        "/v1/booking-series", json={**series, "rrule": WEEKLY_YEAR}, headers=w.group_key
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["booking_ids"]) == 300
    after = await _hot_path_counts(client, db, w, day)
    assert after == before
    if db.engine.dialect.name == "postgresql":
        # The facts with the key, then the insert (booking, history row, pending site
        # date); with the facts kept, the insert alone. Reads: one statement each.
        assert before == {"post": 2, "post with kept facts": 1, "get": 1, "availability": 1}
    else:
        # SQLite: the facts, then the booking, its history row and its site date marked
        # pending, one statement each; reads also find the key first.
        assert before["post"] <= 4 and before["post with kept facts"] == before["post"]
        assert before["get"] <= 2 and before["availability"] <= 1


async def test_a_500_occurrence_series_is_checked_and_written_in_a_bounded_number_of_statements(
    client, db
):
    w = await world(client)
    day = next_weekday(1, weeks_ahead=1)
    body = booking_body(w.gym["id"], local(day, "06:00"), local(day, "06:30"))
    hourly = "FREQ=DAILY;BYHOUR=6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21;COUNT=500"
    with counted(db) as statements:
        # The owner books its own gym: every hour of the open day for a month.
        r = await client.post(
            "/v1/booking-series", json={**body, "rrule": hourly}, headers=w.district_manager
        )
    assert r.status_code == 201, r.text
    assert len(r.json()["booking_ids"]) == 500
    assert len(statements) <= 12, statements
