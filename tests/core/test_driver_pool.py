"""The hot statements' connection pool, with stand-in connections (no database)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from app.core.db import DriverPool
from app.core.errors import NotFound


class FakeConnection:
    ids = itertools.count(1)

    def __init__(self) -> None:
        self.id = next(self.ids)
        self.closed = False
        self.in_transaction = False

    def is_closed(self) -> bool:
        return self.closed

    def is_in_transaction(self) -> bool:
        return self.in_transaction

    def terminate(self) -> None:
        self.closed = True

    async def close(self) -> None:
        self.closed = True


class Opener:
    def __init__(self, fail: int = 0) -> None:
        self.opened: list[FakeConnection] = []
        self.fail = fail

    async def __call__(self) -> FakeConnection:
        await asyncio.sleep(0)
        if self.fail:
            self.fail -= 1
            raise ConnectionRefusedError("database down")
        conn = FakeConnection()
        self.opened.append(conn)
        return conn


async def test_a_released_connection_is_reused() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=4, timeout=1)
    async with pool.acquire() as first:
        pass
    async with pool.acquire() as second:
        assert second is first
    assert len(opener.opened) == 1


async def test_no_more_than_size_connections_are_opened_and_a_waiter_gets_a_released_one() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=2, timeout=1)
    release = asyncio.Event()
    got: list[FakeConnection] = []

    async def hold() -> None:
        async with pool.acquire() as conn:
            got.append(conn)
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    assert len(got) == 2 and not waiter.done()
    release.set()
    await asyncio.gather(*holders, waiter)
    assert len(opener.opened) == 2
    assert got[2] in got[:2]


async def test_waiting_longer_than_the_timeout_fails() -> None:
    pool = DriverPool(Opener(), size=1, timeout=0.05)
    async with pool.acquire():
        with pytest.raises(TimeoutError):
            async with pool.acquire():
                pass


async def test_an_error_of_ours_keeps_the_connection() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=1, timeout=1)
    with pytest.raises(NotFound):
        async with pool.acquire() as conn:
            raise NotFound("no such booking")
    assert not conn.closed
    async with pool.acquire() as again:
        assert again is conn


async def test_a_connection_cancelled_mid_statement_is_closed_and_replaced() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=1, timeout=1)
    started = asyncio.Event()

    async def cancelled_query() -> None:
        async with pool.acquire():
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(cancelled_query())
    await started.wait()
    waiter = asyncio.create_task(_use(pool))
    await asyncio.sleep(0.01)
    task.cancel()
    fresh = await waiter
    assert opener.opened[0].closed
    assert fresh is opener.opened[1] and not fresh.closed


async def _use(pool: DriverPool) -> FakeConnection:
    async with pool.acquire() as conn:
        return conn  # type: ignore[no-any-return]


async def test_a_connection_left_in_a_transaction_is_not_reused() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=1, timeout=1)
    async with pool.acquire() as conn:
        conn.in_transaction = True
    assert conn.closed
    assert await _use(pool) is not conn


async def test_a_failed_connect_frees_its_place() -> None:
    opener = Opener(fail=1)
    pool = DriverPool(opener, size=1, timeout=1)
    with pytest.raises(ConnectionRefusedError):
        await _use(pool)
    assert await _use(pool) is opener.opened[0]


async def test_close_closes_the_idle_connections() -> None:
    opener = Opener()
    pool = DriverPool(opener, size=2, timeout=1)
    conn = await _use(pool)
    await pool.close()
    assert conn.closed
