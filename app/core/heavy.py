"""Heavy reads (statements, reports: a year of a site's bookings each) take turns per
worker, so that a burst of them cannot take every database connection and the CPU from
the bookings: `heavy_reads` at once, `heavy_reads_waiting` waiting for a turn (each at
most `WAIT_SECONDS`). Past that a heavy read is answered at once with 503
`service-unavailable` and `Retry-After`, as the contract answers a database too busy to
answer in time. Nothing else waits here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, ClassVar

from fastapi import Depends, Request

from app.core.errors import ServiceUnavailable

WAIT_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5


class HeavyReadsBusy(ServiceUnavailable):
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class HeavyReads:
    def __init__(self, *, at_once: int, waiting: int) -> None:
        self.at_once = at_once
        self.max_waiting = waiting
        self._turns = asyncio.Semaphore(at_once)
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._turns.locked():
            if self._waiting >= self.max_waiting:
                raise HeavyReadsBusy("too many statements and reports at once; retry later")
            self._waiting += 1
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    await self._turns.acquire()
            except TimeoutError:
                raise HeavyReadsBusy("statements and reports are busy; retry later") from None
            finally:
                self._waiting -= 1
        else:
            await self._turns.acquire()
        try:
            yield
        finally:
            self._turns.release()


def _heavy_reads(request: Request) -> HeavyReads:
    heavy: HeavyReads = request.app.state.heavy_reads
    return heavy


HeavyReadsDep = Annotated[HeavyReads, Depends(_heavy_reads)]
