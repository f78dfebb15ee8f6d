"""Contract section 8: the feed's cursor never skips an event committed late by a slower
transaction and never repeats one, while writes go on. On PostgreSQL ids are drawn in
one order and committed in another; a reader polls in a loop meanwhile."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bookings.models import BookingEvent
from app.core.db import Database, create_engine
from app.core.migrate import upgrade
from app.main import create_app
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.conftest import ADMIN, PostgresDatabases, settings_for

pytestmark = pytest.mark.dates

WRITERS = 6
EVENTS_EACH = 6
BOOKINGS = 8
EXPECTED = 1 + WRITERS * EVENTS_EACH + BOOKINGS


class Committed:
    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine  # the writers' own connections, not the app's


@pytest.fixture
async def committed(
    backend: str, pg_databases: PostgresDatabases, tmp_path: Path
) -> AsyncIterator[Committed]:
    """An app on a database of its own whose requests commit for real."""
    url = (
        pg_databases.create(f"_feed_{random.randrange(10**6)}")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'feed.db'}"
    )
    await asyncio.to_thread(upgrade, url)
    settings = settings_for(url)
    db = Database.for_engine(create_engine(settings))
    writers = create_engine(settings)
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Committed(client, writers)
    finally:
        await writers.dispose()
        await db.close()


async def test_a_polling_reader_sees_every_event_once_while_writers_commit_out_of_order(
    committed: Committed, backend: str
) -> None:
    client, engine = committed.client, committed.engine
    w = await world(client)
    first = await book(client, w.group_key, evening(w.gym["id"], next_weekday(0)))
    rng = random.Random(20261204)
    committed_ids: list[int] = []  # in commit order

    async def slow_writer() -> None:
        # Each event in its own transaction: its id drawn at once, its commit later.
        for _ in range(EVENTS_EACH):
            async with engine.begin() as conn:
                event_id = (
                    await conn.execute(
                        insert(BookingEvent)
                        .values(
                            booking_id=first["id"], action="changed", status="confirmed",
                            actor_role="admin", data=f'{{"id":{first["id"]}}}',
                        )
                        .returning(BookingEvent.id)
                    )
                ).scalar_one()
                await asyncio.sleep(rng.uniform(0, 0.03 if backend == "postgresql" else 0.002))
            committed_ids.append(event_id)

    async def api_writer() -> None:
        for i in range(BOOKINGS):
            await asyncio.sleep(rng.uniform(0, 0.01))
            day = next_weekday(i % 5, weeks_ahead=2 + i // 5)
            await book(client, w.group_key, evening(w.room["id"], day))

    seen: list[int] = []
    writing = True

    async def reader() -> None:
        cursor: str | None = None
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            still_writing = writing
            params: dict[str, Any] = {"limit": 7, **({"after": cursor} if cursor else {})}
            r = await client.get("/v1/events", params=params, headers=ADMIN)
            assert r.status_code == 200, r.text
            page = r.json()
            seen.extend(e["id"] for e in page["items"])
            cursor = page["next_cursor"]
            # Done once caught up with every committed event, or past the deadline: held
            # back by a transaction still running (PostgreSQL's transaction ids are the
            # cluster's: another database's writer delays the feed too; never a skip).
            caught_up = len(seen) >= EXPECTED or asyncio.get_running_loop().time() > deadline
            if not still_writing and not page["items"] and caught_up:
                return
            await asyncio.sleep(0.002)

    async def writers() -> None:
        nonlocal writing
        try:
            await asyncio.gather(*(slow_writer() for _ in range(WRITERS)), api_writer())
        finally:
            writing = False

    await asyncio.gather(writers(), reader())
    async with engine.connect() as conn:
        stored = list((await conn.scalars(select(BookingEvent.id))).all())
    assert len(seen) == len(set(seen)), "an event was repeated"
    assert set(seen) == set(stored), "an event was skipped"
    assert len(stored) == EXPECTED
    if backend == "postgresql":
        # The case the feed is for happened: ids committed out of their order.
        assert committed_ids != sorted(committed_ids)
