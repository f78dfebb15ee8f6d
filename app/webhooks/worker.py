"""`jointuse worker`: turns the change feed into webhook deliveries and makes them.

Each turn: (1) for every webhook, the feed's next events become pending deliveries in
the transaction that moves the webhook's cursor (the feed is the outbox: its events are
written in the same transaction as each change, so a crash anywhere loses nothing);
(2) the deliveries due are taken (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers on
several hosts share them; one worker on SQLite) by moving them a lease ahead; (3) they
are POSTed at once, signed; (4) each try is recorded: delivered, due again after a
backoff, or failed after 24 hours. A worker killed between (2) and (4) leaves its
deliveries to come due again when the lease ends: delivered twice at most, with the
same `webhook-id`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from app.core.config import Settings
from app.core.db import Database
from app.core.time import utcnow
from app.webhooks import repository as repo
from app.webhooks.network import check_url
from app.webhooks.rules import (
    DeliveryStatus,
    UnsafeAddress,
    after_failure,
    secret_bytes,
    signed_headers,
)

log = logging.getLogger("jointuse.webhooks")

# An error text kept with a try is cut to this.
_ERROR_CHARS = 500


@dataclass
class Worker:
    db: Database
    settings: Settings
    # Deliveries taken and sent at once, and events read per webhook per turn.
    batch: int = 200
    concurrency: int = 64
    page: int = 500
    rng: random.Random = field(default_factory=random.Random)
    client: httpx.AsyncClient | None = None

    @property
    def lease(self) -> timedelta:
        # Past any try of the batch: the receiver's timeout, with room to record it.
        return timedelta(seconds=self.settings.webhook_timeout_seconds * 2 + 5)

    async def fan_out(self) -> int:
        """New feed events into deliveries; how many events were read."""
        async with self.db.write_sessions() as session:
            read = await repo.fan_out(session, now=utcnow(), page=self.page)
            await session.commit()
        return read

    async def deliver_due(self) -> int:
        """Take the deliveries due, try each, record the tries; how many were tried."""
        async with self.db.write_sessions() as session:
            due = await repo.take_due(session, now=utcnow(), limit=self.batch, lease=self.lease)
            await session.commit()
        if not due:
            return 0
        client = self.client or httpx.AsyncClient()
        try:
            gate = asyncio.Semaphore(self.concurrency)
            checked: dict[str, asyncio.Task[str | None]] = {}
            outcomes = await asyncio.gather(
                *(self._attempt(client, gate, checked, d) for d in due)
            )
        finally:
            if self.client is None:
                await client.aclose()
        async with self.db.write_sessions() as session:
            await repo.record(session, outcomes)
            await session.commit()
        return len(due)

    async def turn(self) -> tuple[int, int]:
        """One turn: (events read, deliveries tried)."""
        read = await self.fan_out()
        return read, await self.deliver_due()

    async def run_until_idle(self) -> None:
        """Turns until nothing is left to do now (tests, `jointuse worker --once`)."""
        while any(await self.turn()):
            pass

    async def run(self, stop: asyncio.Event, *, idle_seconds: float = 0.5) -> None:
        """Turns until `stop` is set; the turn under way is finished first. A database
        that cannot be reached is waited for, not fatal."""
        failures = 0
        while not stop.is_set():
            try:
                busy = any(await self.turn())
                failures = 0
            except Exception:
                failures += 1
                log.exception("webhook worker turn failed (%d in a row)", failures)
                busy = False
            if busy:
                continue
            wait = idle_seconds if failures == 0 else min(2.0**failures, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _refusal(self, checked: dict[str, asyncio.Task[str | None]], url: str) -> str | None:
        """Why `url` may not be posted to now (its host resolves elsewhere than when the
        webhook was made, say), or None; once per URL and batch."""
        if self.settings.webhook_allow_private_urls:
            return None

        async def check() -> str | None:
            try:
                await check_url(url, allow_private=False, must_resolve=True)
            except UnsafeAddress as exc:
                return str(exc)
            return None

        if url not in checked:
            checked[url] = asyncio.ensure_future(check())
        return await checked[url]

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        gate: asyncio.Semaphore,
        checked: dict[str, asyncio.Task[str | None]],
        due: repo.Due,
    ) -> repo.Outcome:
        async with gate:
            attempted_at = utcnow()
            started = time.perf_counter()
            code: int | None = None
            error = await self._refusal(checked, due.url)
            if error is None:
                body = due.payload.encode()
                headers = signed_headers(
                    secret_bytes(due.secret), due.message_id, int(attempted_at.timestamp()), body
                )
                try:
                    answer = await client.post(
                        due.url,
                        content=body,
                        headers=headers,
                        timeout=self.settings.webhook_timeout_seconds,
                    )
                    code = answer.status_code
                    if not 200 <= code < 300:
                        error = f"the receiver answered {code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS] or type(exc).__name__
            duration_ms = round((time.perf_counter() - started) * 1000)
        if error is None:
            return repo.Outcome(
                due.id, attempted_at, code, None, duration_ms, DeliveryStatus.delivered, None
            )
        again = after_failure(
            failures=due.attempts + 1,
            first_due=due.first_due_at,
            now=utcnow(),
            base_seconds=self.settings.webhook_retry_base_seconds,
            rng=self.rng,
        )
        status = DeliveryStatus.pending if again is not None else DeliveryStatus.failed
        return repo.Outcome(due.id, attempted_at, code, error, duration_ms, status, again)


async def serve(settings: Settings, *, once: bool, batch: int, concurrency: int) -> None:
    """`jointuse worker`: until SIGTERM or SIGINT (or, `once`, until idle)."""
    import signal

    from app.core.db import create_engine

    db = Database.for_engine(create_engine(settings))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        worker = Worker(db, settings, batch=batch, concurrency=concurrency, client=client)
        try:
            if once:
                await worker.run_until_idle()
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            log.info("webhook worker started")
            await worker.run(stop)
            log.info("webhook worker stopped")
        finally:
            await db.close()
