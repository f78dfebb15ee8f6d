"""The booking writer's batching, without a database: what arrives while a batch is
at the database goes in the next one; a lone booking waits for nobody; a failed batch
sends each booking down the full path."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.bookings import repository as repo
from app.bookings.writer import BookingWriter, first_arrivals
from app.idempotency.claims import KeyToKeep


class FakeDatabase:
    caches: dict[str, Any]

    def __init__(self) -> None:
        self.caches = {}

    @asynccontextmanager
    async def runner(self, *, write: bool = False) -> AsyncIterator[str]:
        assert write
        yield "runner"


T0 = datetime(2027, 2, 2, 2, 0, tzinfo=UTC)


def kept(n: int, *, space_id: int = 1, start: datetime | None = None) -> repo.NewBooking:
    """Booking `n`: by default an hour of its own (the n-th hour), so none overlap."""
    held_start = start or T0 + timedelta(hours=n)
    values = {
        "n": n,
        "space_id": space_id,
        "held_start": held_start,
        "held_end": held_start + timedelta(hours=1),
    }
    return repo.NewBooking(
        values, 1, "partner", mark=False, guard=repo.Guard(1, 1), data='{"id":0}'
    )


class Database:
    """Answers each batch after `release` is set; ids are 100 + n, None for odd n
    when `skip_odd`."""

    def __init__(self, *, skip_odd: bool = False, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.skip_odd = skip_odd
        self.fail = fail

    async def insert(self, runner: str, batch: Sequence[repo.NewBooking]) -> list[int | None]:
        self.batches.append([b.values["n"] for b in batch])
        await self.release.wait()
        if self.fail:
            raise ConnectionError("the database went away")
        return [None if self.skip_odd and b.values["n"] % 2 else 100 + b.values["n"] for b in batch]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch) -> Database:
    fake = Database()
    monkeypatch.setattr(repo, "insert_bookings", fake.insert)
    return fake


async def ticks() -> None:
    """Let every ready task run until it waits."""
    for _ in range(5):
        await asyncio.sleep(0)


def writer(max_batch: int = 64) -> BookingWriter:
    return BookingWriter(FakeDatabase(), max_batch=max_batch)  # type: ignore[arg-type]


async def test_a_lone_booking_is_written_at_once(database: Database) -> None:
    database.release.set()
    assert await writer().write(kept(1)) == 101
    assert database.batches == [[1]]


async def test_bookings_arriving_during_a_batch_go_together_in_the_next(database: Database) -> None:
    w = writer()
    first = asyncio.ensure_future(w.write(kept(0)))
    await ticks()
    assert database.batches == [[0]]
    later = [asyncio.ensure_future(w.write(kept(n))) for n in (1, 2, 3)]
    await ticks()
    database.release.set()
    assert await asyncio.gather(first, *later) == [100, 101, 102, 103]
    assert database.batches == [[0], [1, 2, 3]]


async def test_a_batch_holds_at_most_max_batch_bookings(database: Database) -> None:
    w = writer(max_batch=2)
    writes = [asyncio.ensure_future(w.write(kept(n))) for n in range(5)]
    await ticks()
    database.release.set()
    assert await asyncio.gather(*writes) == [100, 101, 102, 103, 104]
    assert database.batches == [[0, 1], [2, 3], [4]]


async def test_each_booking_gets_its_own_answer(database: Database) -> None:
    database.skip_odd = True
    database.release.set()
    w = writer()
    assert await asyncio.gather(*(w.write(kept(n)) for n in range(4))) == [100, None, 102, None]


async def test_a_failed_batch_sends_each_booking_down_the_full_path(database: Database) -> None:
    database.fail = True
    database.release.set()
    w = writer()
    assert await asyncio.gather(*(w.write(kept(n)) for n in range(3))) == [None, None, None]
    database.fail = False
    assert await w.write(kept(7)) == 107  # the writer goes on


async def test_a_cancelled_request_leaves_the_others_answered(database: Database) -> None:
    w = writer()
    writes = [asyncio.ensure_future(w.write(kept(n))) for n in range(3)]
    await ticks()
    writes[1].cancel()
    database.release.set()
    assert await writes[0] == 100 and await writes[2] == 102
    assert writes[1].cancelled()


def test_of_overlapping_arrivals_for_one_space_only_the_first_is_sent() -> None:
    batch = [
        kept(0, start=T0 + timedelta(minutes=30)),
        kept(1, start=T0),
        kept(2, space_id=2, start=T0),
        kept(3),
    ]
    assert first_arrivals(batch) == [0, 2, 3]


def test_a_booking_with_an_earlier_arrivals_idempotency_key_is_left_out() -> None:
    # One key, one record: the second would fail the statement on its unique constraint.
    def with_key(n: int, caller: str, key: str) -> repo.NewBooking:
        return dataclasses.replace(kept(n), key=KeyToKeep(caller, key, "f", T0))

    batch = [with_key(0, "a", "k"), with_key(1, "a", "k"), with_key(2, "b", "k"), kept(3)]
    assert first_arrivals(batch) == [0, 2, 3]


def test_adjacent_windows_are_both_sent() -> None:
    assert first_arrivals([kept(0, start=T0), kept(1, start=T0 + timedelta(hours=1))]) == [0, 1]


async def test_a_booking_left_out_of_the_batch_takes_the_full_path(database: Database) -> None:
    w = writer()
    database.release.set()
    first, second = await asyncio.gather(w.write(kept(0, start=T0)), w.write(kept(1, start=T0)))
    assert (first, second) == (100, None)
    assert database.batches == [[0]]
