"""Which async PostgreSQL driver: a booking-like insert (one transaction: a range
check, an insert, a history row) through an async ORM session, asyncpg against
psycopg 3, interleaved rounds on the same database. `python -m bench.driver_choice`."""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.__main__ import create_database, drop_database

ROUNDS = 5
INSERTS = 400
DDL = [
    "CREATE TABLE IF NOT EXISTS b (id serial PRIMARY KEY, space_id int NOT NULL, "
    "held_start timestamptz NOT NULL, held_end timestamptz NOT NULL, status text NOT NULL, "
    "purpose text)",
    "CREATE INDEX IF NOT EXISTS b_space ON b (space_id, held_start)",
    "CREATE TABLE IF NOT EXISTS e "
    "(id serial PRIMARY KEY, booking_id int NOT NULL, action text NOT NULL)",
]


async def one_round(maker: async_sessionmaker[AsyncSession], offset: int) -> float:
    base = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=offset)
    started = time.perf_counter()
    for i in range(INSERTS):
        start = base + timedelta(hours=i)
        async with maker() as session, session.begin():
            await session.execute(
                text(
                    "SELECT held_start, held_end FROM b"
                    " WHERE space_id = :s AND held_start < :hi AND held_end > :lo"
                ),
                {"s": i % 50, "lo": start, "hi": start + timedelta(hours=1)},
            )
            booking_id = (
                await session.execute(
                    text("INSERT INTO b (space_id, held_start, held_end, status, purpose) "
                         "VALUES (:s, :a, :b, 'confirmed', 'bench') RETURNING id"),
                    {"s": i % 50, "a": start, "b": start + timedelta(hours=1)},
                )
            ).scalar_one()
            await session.execute(
                text("INSERT INTO e (booking_id, action) VALUES (:b, 'created')"), {"b": booking_id}
            )
    return INSERTS / (time.perf_counter() - started)


async def read_round(maker: async_sessionmaker[AsyncSession]) -> float:
    started = time.perf_counter()
    for i in range(INSERTS):
        async with maker() as session:
            await session.execute(
                text("SELECT id, held_start, held_end, status FROM b WHERE id = :i"), {"i": i + 1}
            )
    return INSERTS / (time.perf_counter() - started)


async def main() -> None:
    name = f"jointuse_driver_{os.getpid()}"
    url = create_database(name)
    engines = {
        "asyncpg": create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://")),
        "psycopg": create_async_engine(url.replace("postgresql://", "postgresql+psycopg://")),
    }
    try:
        async with engines["asyncpg"].begin() as conn:
            for ddl in DDL:
                await conn.execute(text(ddl))
        makers = {k: async_sessionmaker(e, expire_on_commit=False) for k, e in engines.items()}
        rates: dict[str, list[float]] = {k: [] for k in makers}
        reads: dict[str, list[float]] = {k: [] for k in makers}
        for r in range(ROUNDS):
            for k, maker in makers.items():
                rates[k].append(
                    await one_round(maker, offset=r * 100 + (0 if k == "asyncpg" else 50))
                )
                reads[k].append(await read_round(maker))
        for title, measured, unit in (
            ("booking-like insert transaction", rates, "tx/s"),
            ("read of one booking by id", reads, "reads/s"),
        ):
            medians = {k: statistics.median(v) for k, v in measured.items()}
            print(f"{title}, median of {ROUNDS} interleaved rounds x {INSERTS}:")
            for k, v in medians.items():
                print(f"  {k:8} {v:8.0f} {unit}  ({v / medians['psycopg']:.2f}x psycopg)")
    finally:
        for e in engines.values():
            await e.dispose()
        drop_database(name)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
