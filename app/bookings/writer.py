"""Bookings judged on kept facts are written together (PostgreSQL).

A booking's statement costs PostgreSQL more for being a statement (its start, its
commit and WAL flush, a backend woken) than for the rows it writes. While one
statement is at the database, the bookings judged meanwhile wait, and then go in the
next one, however many they are (up to `max_batch`): under load a worker commits a
handful of bookings at a time, and a lone booking waits for nobody. Each booking in
a statement is still checked on its own (the kept facts' guard; the exclusion
constraint skips one whose window is held), and one not written takes the full path,
as it would alone.

Who wins a contested window is one rule on every path: the first to arrive. Between
requests at different workers that is the first committed; within a batch, a booking
overlapping an earlier arrival's window of the same space is left out of the
statement (`first_arrivals`) and takes the full path, which finds the window held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.bookings import repository as repo
from app.core.db import Database

log = logging.getLogger(__name__)


class BookingWriter:
    """One per worker and database: at most one batch at the database at a time."""

    def __init__(self, db: Database, max_batch: int = 64) -> None:
        self._db = db
        self.max_batch = max_batch
        self._waiting: list[tuple[repo.NewBooking, asyncio.Future[int | None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def write(self, booking: repo.NewBooking) -> int | None:
        """The booking's id, or None when it was not written (the full path decides)."""
        loop = asyncio.get_running_loop()
        written: asyncio.Future[int | None] = loop.create_future()
        self._waiting.append((booking, written))
        if self._draining is None:
            self._draining = loop.create_task(self._drain())
        return await written

    async def _drain(self) -> None:
        batch: list[tuple[repo.NewBooking, asyncio.Future[int | None]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                sent = first_arrivals([b for b, _ in batch])
                try:
                    async with self._db.runner(write=True) as runner:
                        written_ids = await repo.insert_bookings(
                            runner, [batch[i][0] for i in sent]
                        )
                    made: list[int | None] = [None] * len(batch)
                    for i, booking_id in zip(sent, written_ids, strict=True):
                        made[i] = booking_id
                except Exception as failed:
                    # Nothing of the batch was written (one statement): each booking
                    # takes the full path, which reports its own error if it has one
                    # (a key already kept: its first answer, replayed).
                    if getattr(failed, "constraint_name", None) == repo.KEY_TAKEN:
                        log.info("a batch of %d bookings met a kept key", len(batch))
                    else:
                        log.warning(
                            "a batch of %d bookings failed; each takes the full path",
                            len(batch),
                            exc_info=True,
                        )
                    made = [None] * len(batch)
                for (_, written), booking_id in zip(batch, made, strict=True):
                    if not written.done():  # its request may have been cancelled
                        written.set_result(booking_id)
                batch = []
        except BaseException:
            # Stopped (shutdown): whether the batch in hand was written is unknown.
            stopped = RuntimeError("the booking writer stopped")
            for _, written in batch:
                if not written.done():
                    written.set_exception(stopped)
            waiting, self._waiting = self._waiting, []
            for _, written in waiting:
                if not written.done():
                    written.set_result(None)  # never sent: the full path may write it
            raise
        finally:
            self._draining = None


def first_arrivals(batch: Sequence[repo.NewBooking]) -> list[int]:
    """The places in `batch` (in arrival order) of the bookings to send: each unless
    its held window overlaps that of an earlier arrival sent for the same space, or it
    has the Idempotency-Key of an earlier arrival sent (the key's one record would fail
    the statement)."""
    sent: list[int] = []
    held: dict[int, list[tuple[datetime, datetime]]] = {}
    keys: set[tuple[str, str]] = set()
    for i, b in enumerate(batch):
        v = b.values
        start, end, windows = v["held_start"], v["held_end"], held.setdefault(v["space_id"], [])
        if any(s < end and start < e for s, e in windows):
            continue
        if b.key is not None:
            if (b.key.caller, b.key.key) in keys:
                continue
            keys.add((b.key.caller, b.key.key))
        windows.append((start, end))
        sent.append(i)
    return sent


def booking_writer(db: Database) -> BookingWriter:
    """The worker's writer for `db` (PostgreSQL: kept facts only exist there)."""
    caches: dict[str, Any] = db.caches
    writer = caches.get("booking_writer")
    if not isinstance(writer, BookingWriter):
        writer = caches["booking_writer"] = BookingWriter(db)
    return writer
