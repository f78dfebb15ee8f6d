"""Contract section 7: a database too busy to answer in time is a 503
`service-unavailable` with `Retry-After`, never a 500. On SQLite one writer at a time
holds the write lock; a request waits for it at most the busy timeout
(`JOINTUSE_SQLITE_BUSY_TIMEOUT_MS`). A series' rule is expanded before its request
takes the lock, so a rule is refused (or expanded) whoever holds it (issue 14).

SQLite only: PostgreSQL has no database-wide write lock (its lock and statement
timeouts are section 7's other half)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.core.db import Database, create_engine
from app.core.migrate import upgrade
from app.main import create_app
from tests.api.support import assert_problem
from tests.bookings.helpers import World, book, evening, next_weekday, world
from tests.conftest import settings_for

BUSY_TIMEOUT_MS = 300


@dataclass
class Busy:
    client: httpx.AsyncClient
    path: Path


@pytest.fixture
async def busy(tmp_path: Path) -> AsyncIterator[Busy]:
    """An app on a SQLite file of its own, its requests committed for real, waiting at
    most BUSY_TIMEOUT_MS for the write lock."""
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    settings = settings_for(url, JOINTUSE_SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS)
    db = Database.for_engine(create_engine(settings))
    transport = httpx.ASGITransport(app=create_app(settings, database=db))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Busy(client, path)
    finally:
        await db.close()


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another process's writer: a connection holding SQLite's write lock."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def assert_busy(r: httpx.Response, waited: float) -> None:
    assert_problem(r, 503, "service-unavailable")
    assert int(r.headers["retry-after"]) >= 1
    # A bounded wait: the busy timeout, then the answer.
    assert BUSY_TIMEOUT_MS / 1000 <= waited < BUSY_TIMEOUT_MS / 1000 + 5


async def timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    r = await request  # type: ignore[misc]
    return r, time.perf_counter() - started


pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


async def booked(busy: Busy) -> tuple[World, dict[str, object]]:
    w = await world(busy.client)
    return w, await book(busy.client, w.group_key, evening(w.gym["id"], next_weekday(1)))


async def test_a_booking_while_another_writer_holds_the_lock_is_a_503(busy, backend):
    w, _ = await booked(busy)
    body = evening(w.gym["id"], next_weekday(2))
    with write_lock_held(busy.path):
        r, waited = await timed(busy.client.post("/v1/bookings", json=body, headers=w.group_key))
    assert_busy(r, waited)
    # Once the writer is done, the same request succeeds.
    r = await busy.client.post("/v1/bookings", json=body, headers=w.group_key)
    assert r.status_code == 201, r.text


async def test_a_cancel_while_another_writer_holds_the_lock_is_a_503(busy, backend):
    w, made = await booked(busy)
    path = f"/v1/bookings/{made['id']}/cancel"
    with write_lock_held(busy.path):
        r, waited = await timed(busy.client.post(path, headers=w.group_key))
    assert_busy(r, waited)
    r = await busy.client.post(path, headers=w.group_key)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text


async def test_a_series_while_another_writer_holds_the_lock_is_a_503(busy, backend):
    w, _ = await booked(busy)
    body = {**evening(w.gym["id"], next_weekday(3)), "rrule": "FREQ=WEEKLY;COUNT=3"}
    with write_lock_held(busy.path):
        r, waited = await timed(
            busy.client.post("/v1/booking-series", json=body, headers=w.group_key)
        )
    assert_busy(r, waited)


async def test_a_series_rule_is_refused_without_waiting_for_the_write_lock(busy, backend):
    w, _ = await booked(busy)
    rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z"
    body = {**evening(w.gym["id"], next_weekday(3)), "rrule": rule}
    with write_lock_held(busy.path):
        r, waited = await timed(
            busy.client.post("/v1/booking-series", json=body, headers=w.group_key)
        )
    assert_problem(r, 422, "validation-error")
    assert waited < BUSY_TIMEOUT_MS / 1000  # the rule was expanded without the lock


async def test_reads_go_on_while_another_writer_holds_the_lock(busy, backend):
    w, made = await booked(busy)
    with write_lock_held(busy.path):
        r = await busy.client.get(f"/v1/bookings/{made['id']}", headers=w.group_key)
        assert r.status_code == 200, r.text
        week = {
            "from": evening(w.gym["id"], next_weekday(0))["start"],
            "to": evening(w.gym["id"], next_weekday(0) + timedelta(days=7))["start"],
        }
        r = await busy.client.get(f"/v1/spaces/{w.gym['id']}/availability", params=week)
        assert r.status_code == 200, r.text
