"""Rendered feeds are kept (PostgreSQL) and served again, 200 or 304, only while nothing
they show has changed: on committed data, with two workers (apps with databases of
their own) on one database, a writer committing behind a feed's back, and a clock that
moves to the next day. On SQLite every read renders; the promises are the same."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.bookings.models import Booking, BookingEvent
from app.calendars import ics, service
from app.core.db import Database, create_engine
from app.core.migrate import upgrade
from app.core.time import utcnow
from app.main import create_app
from tests.bookings.helpers import book, evening, next_weekday, world
from tests.conftest import ADMIN, PostgresDatabases, settings_for

pytestmark = pytest.mark.dates


@dataclass
class Workers:
    first: httpx.AsyncClient
    second: httpx.AsyncClient  # another worker process: its own app, pool and cache
    engine: AsyncEngine  # a writer's own connections
    dbs: list[Database]
    backend: str

    def clear_caches(self) -> None:
        for db in self.dbs:
            db.caches.pop("calendar_feeds", None)


@pytest.fixture
async def workers(
    backend: str, pg_databases: PostgresDatabases, tmp_path: Path
) -> AsyncIterator[Workers]:
    url = (
        pg_databases.create(f"_cal_{random.randrange(10**6)}")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'cal.db'}"
    )
    await asyncio.to_thread(upgrade, url)
    settings = settings_for(url)
    dbs = [Database.for_engine(create_engine(settings)) for _ in range(2)]
    engine = create_engine(settings)
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, database=db)),
            base_url="http://testserver",
        )
        for db in dbs
    ]
    try:
        yield Workers(clients[0], clients[1], engine, dbs, backend)
    finally:
        for c in clients:
            await c.aclose()
        await engine.dispose()
        for db in dbs:
            await db.close()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every body rendered, in order."""
    made: list[bytes] = []
    real: Callable[..., bytes] = ics.calendar

    def counting(*args: Any, **kw: Any) -> bytes:
        body = real(*args, **kw)
        made.append(body)
        return body

    monkeypatch.setattr(ics, "calendar", counting)
    return made


async def fetch(client: httpx.AsyncClient, url: str, etag: str | None = None) -> httpx.Response:
    r = await client.get(url, headers={"If-None-Match": etag} if etag else {})
    assert r.status_code in (200, 304), r.text
    return r


async def fresh(w: Workers, url: str) -> bytes:
    """The feed as rendered now, from no kept copy."""
    w.clear_caches()
    return (await fetch(w.first, url)).content


async def change(client: httpx.AsyncClient, booking: dict[str, Any], **fields: Any) -> None:
    r = await client.get(f"/v1/bookings/{booking['id']}", headers=ADMIN)
    r = await client.patch(
        f"/v1/bookings/{booking['id']}", json=fields,
        headers={**ADMIN, "If-Match": r.headers["etag"]},
    )
    assert r.status_code == 200, r.text


async def test_an_unchanged_feed_is_served_without_rendering_again(workers, renders):
    w = await world(workers.first)
    await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/sites/{w.site['id']}/calendar.ics"
    first = await fetch(workers.first, url)
    again = await fetch(workers.first, url)
    not_modified = await fetch(workers.first, url, first.headers["etag"])
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert len(renders) == (1 if workers.backend == "postgresql" else 3)


async def test_a_change_made_by_another_worker_shows_in_the_next_fetch(workers, renders):
    w = await world(workers.first)
    booking = await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    urls = [f"/v1/sites/{w.site['id']}/calendar.ics", f"/v1/spaces/{w.gym['id']}/calendar.ics",
            f"/v1/parties/{w.group['id']}/calendar.ics"]
    before = {u: await fetch(workers.first, u, None) for u in urls[:2]}
    before[urls[2]] = await workers.first.get(urls[2], headers=ADMIN)
    await change(workers.second, booking, attendance=7)  # party feed shows attendance
    for u in urls:
        after = await workers.first.get(u, headers={**ADMIN, "If-None-Match":
                                                    before[u].headers["etag"]})
        assert after.status_code == 200, u
        assert b"SEQUENCE:1\r\n" in after.content
        assert after.headers["etag"] != before[u].headers["etag"]


@pytest.mark.parametrize("action", ["cancel", "approve", "create", "rename-space", "rename-site"])
async def test_every_kind_of_change_gives_a_new_body_equal_to_a_fresh_render(
    workers, renders, action
):
    w = await world(workers.first, terms={"auto_confirm": False})
    booking = await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/sites/{w.site['id']}/calendar.ics"
    first = await fetch(workers.first, url)
    other = workers.second
    if action in ("cancel", "approve"):
        r = await other.post(f"/v1/bookings/{booking['id']}/{action}", headers=ADMIN)
        assert r.status_code == 200, r.text
    elif action == "create":
        await book(other, w.group_key, evening(w.room["id"], next_weekday(2)))
    elif action == "rename-space":
        r = await other.patch(f"/v1/spaces/{w.gym['id']}", json={"name": "Big gym"}, headers=ADMIN)
        assert r.status_code == 200, r.text
    else:
        r = await other.patch(f"/v1/sites/{w.site['id']}", json={"name": "Renamed"}, headers=ADMIN)
        assert r.status_code == 200, r.text
    after = await fetch(workers.first, url, first.headers["etag"])
    if action == "rename-space":  # a site's busy feed names no space: the same body
        assert after.status_code == 304
    else:
        assert after.status_code == 200
        assert after.content != first.content
    assert (await fetch(workers.first, url)).content == await fresh(workers, url)


async def test_a_change_committed_after_the_feed_was_kept_by_an_older_transaction_shows(
    workers, renders
):
    """A writer that began (and drew its transaction id) before the feed was rendered and
    commits after: its change is behind the kept snapshot's horizon, and still seen."""
    w = await world(workers.first)
    booking = await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    async with workers.engine.connect() as conn:
        trans = await conn.begin()
        await conn.execute(
            update(Booking).where(Booking.id == booking["id"])
            .values(version=Booking.version + 1, updated_at=utcnow(), status="cancelled")
        )
        await conn.execute(insert(BookingEvent).values(
            booking_id=booking["id"], action="cancelled", status="cancelled",
            occurred_at=utcnow(), actor_role="admin",
        ))
        if workers.backend == "postgresql":  # a later transaction commits first
            await book(workers.second, w.group_key, evening(w.gym["id"], next_weekday(2)))
        first = await fetch(workers.first, url)
        assert b"STATUS:CANCELLED" not in first.content
        assert (await fetch(workers.first, url)).content == first.content  # kept
        await trans.commit()
    after = await fetch(workers.first, url, first.headers["etag"])
    assert after.status_code == 200
    assert b"STATUS:CANCELLED" in after.content
    assert after.content == await fresh(workers, url)


async def test_the_etag_changes_exactly_when_the_body_does(workers, renders):
    w = await world(workers.first)
    booking = await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    seen: list[tuple[bytes, str]] = []
    for step in range(6):
        if step in (2, 4):
            await change(workers.second, booking, attendance=10 + step)
        r = await fetch(workers.first if step % 2 else workers.second, url)
        seen.append((r.content, r.headers["etag"]))
    for body_a, etag_a in seen:
        for body_b, etag_b in seen:
            assert (body_a == body_b) == (etag_a == etag_b)
    assert len({b for b, _ in seen}) == 3


async def test_the_cache_never_serves_another_feeds_body(workers, renders):
    w = await world(workers.first)
    await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await book(workers.first, w.city_key, evening(w.room["id"], next_weekday(2)))
    made = await workers.first.post(
        f"/v1/parties/{w.group['id']}/calendar-feeds", headers=ADMIN
    )
    secret = httpx.URL(made.json()["url"]).path
    urls = [
        f"/v1/spaces/{w.gym['id']}/calendar.ics", f"/v1/spaces/{w.room['id']}/calendar.ics",
        f"/v1/sites/{w.site['id']}/calendar.ics", f"/v1/parties/{w.group['id']}/calendar.ics",
        f"/v1/parties/{w.city['id']}/calendar.ics", secret,
    ]
    expected = {}
    for u in urls:
        workers.clear_caches()
        expected[u] = (await workers.first.get(u, headers=ADMIN)).content
    workers.clear_caches()
    for _ in range(2):
        for u in [*urls, *reversed(urls)]:
            assert (await workers.first.get(u, headers=ADMIN)).content == expected[u], u
    assert len(set(expected.values())) == len(urls) - 1  # the secret address: its party's


async def test_a_deleted_secret_address_is_not_found_though_its_feed_was_kept(workers):
    w = await world(workers.first)
    made = (await workers.first.post(
        f"/v1/parties/{w.group['id']}/calendar-feeds", headers=ADMIN
    )).json()
    secret = httpx.URL(made["url"]).path
    assert (await workers.first.get(secret)).status_code == 200
    assert (await workers.first.get(secret)).status_code == 200
    r = await workers.second.delete(f"/v1/calendar-feeds/{made['id']}", headers=ADMIN)
    assert r.status_code == 204
    assert (await workers.first.get(secret)).status_code == 404


async def test_the_next_day_renders_the_moved_window(workers, renders, monkeypatch):
    w = await world(workers.first)
    await book(workers.first, w.group_key, evening(w.gym["id"], next_weekday(1)))
    url = f"/v1/spaces/{w.gym['id']}/calendar.ics"
    await fetch(workers.first, url)
    before = len(renders)
    tomorrow = utcnow() + timedelta(days=1)
    monkeypatch.setattr(service, "utcnow", lambda: tomorrow)
    await fetch(workers.first, url)
    await fetch(workers.first, url)
    assert len(renders) == before + (1 if workers.backend == "postgresql" else 2)


async def test_a_kept_feed_is_not_from_a_rolled_back_transaction(client, db, backend):
    """Tests read in the transaction of their own writes: nothing read after a write
    is kept, so no rolled-back row is ever served."""
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.get(f"/v1/spaces/{w.gym['id']}/calendar.ics")
    cache = db.caches.get("calendar_feeds")
    assert cache is None or len(cache) == 0
