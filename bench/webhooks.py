"""`make bench-webhooks`: how many webhook deliveries per second `jointuse worker`
makes to a local receiver (issue 12's target: >= 500/s).

Seeds a fresh PostgreSQL database through a served app (a partnership and a year of
weekly series on one space: ~2,200 change feed events), points an admin's webhook at
a receiver that answers 204 (`bench.receiver`, uvicorn with uvloop and httptools), and
times the worker's code, in-process on uvloop, from the feed to every delivery
recorded, over interleaved rounds (each round starts the webhook's cursor again at the
feed's start). Prints each round and the median."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete, func, select, update

from bench.__main__ import (
    ADMIN_KEY,
    LA,
    create_database,
    drop_database,
    free_port,
    seed,
    seed_year,
    serve,
    wait_up,
)

TARGET = 500.0


async def _rounds(url: str, receiver_url: str, rounds: int, batch: int, concurrency: int) -> None:
    from app.core.config import Settings
    from app.core.db import Database, create_engine
    from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
    from app.webhooks.rules import ALL_TYPES, new_secret
    from app.webhooks.worker import Worker

    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=url, JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS=True, JOINTUSE_LOG_LEVEL="WARNING"
    )
    db = Database.for_engine(create_engine(settings))
    async with db.write_sessions() as session, session.begin():
        hook = Webhook(
            party_id=None, url=receiver_url, event_types=ALL_TYPES, secret=new_secret(),
            created_at=datetime.now(UTC), created_by_key_id=None, after_txid=0, after_id=0,
        )  # fmt: skip
        session.add(hook)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    rates = []
    try:
        async with httpx.AsyncClient(limits=limits) as client:
            worker = Worker(db, settings, batch=batch, concurrency=concurrency, client=client)
            for n in range(rounds):
                async with db.write_sessions() as session, session.begin():
                    await session.execute(delete(WebhookAttempt))
                    await session.execute(delete(WebhookDelivery))
                    await session.execute(
                        update(Webhook).values(after_txid=0, after_id=0)
                    )
                started = time.perf_counter()
                await worker.run_until_idle()
                seconds = time.perf_counter() - started
                async with db.read_sessions() as session:
                    done = (
                        await session.execute(
                            select(func.count()).where(WebhookDelivery.status == "delivered")
                        )
                    ).scalar_one()
                rates.append(done / seconds)
                rate = done / seconds
                print(f"round {n + 1}: {done} deliveries in {seconds:.2f} s: {rate:,.0f}/s")
    finally:
        await db.close()
    median = statistics.median(rates)
    verdict = "meets" if median >= TARGET else "UNDER"
    print(f"median: {median:,.0f} deliveries/s ({verdict} the target of {TARGET:,.0f}/s); "
          f"batch {batch}, concurrency {concurrency}, {os.cpu_count()} CPUs")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    db_name = f"jointuse_bench_webhooks_{os.getpid()}"
    url, reached = create_database(db_name, tcp=False)
    env = {**os.environ, "DATABASE_URL": url, "JOINTUSE_ADMIN_KEY": ADMIN_KEY,
           "JOINTUSE_LOG_LEVEL": "WARNING", "JOINTUSE_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
    from app.core.migrate import upgrade

    upgrade(url)
    app_port, receiver_port = free_port(), free_port()
    app_proc = serve("app.main:app", app_port, env)
    receiver_proc = serve("bench.receiver:app", receiver_port, env)
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_up(base + "/readyz", app_proc)
        data = seed(base, spaces_per_site=1, sites=1)
        today = datetime.now(UTC).astimezone(LA).date()
        space_ids: list[int] = data["space_ids"]  # type: ignore[assignment]
        made = seed_year(base, str(data["partner"]), space_ids[-1], today + timedelta(days=1))
        app_proc.terminate()
        app_proc.wait(10)
        print(f"PostgreSQL by {reached}; {made} bookings seeded")
        import uvloop

        uvloop.run(
            _rounds(
                url, f"http://127.0.0.1:{receiver_port}/hook", args.rounds, args.batch,
                args.concurrency,
            )
        )  # fmt: skip
    finally:
        for proc in (app_proc, receiver_proc):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        drop_database(db_name)


if __name__ == "__main__":
    main()
