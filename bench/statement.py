"""A year's statement for an agreement covering 50 sites, on the demo data.

`python -m bench.statement` loads the demo partnership into a fresh PostgreSQL
database, tops the City–Sacramento City Unified blanket agreement up to 50 covered
sites (extra school sites, each with a year of weekly evening bookings made through
the booking service), then times `GET /v1/agreements/{id}/statement` over the last
365 days, JSON and CSV, and counts its SQL statements."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy import event, func, or_, select

from app.agreements.models import Agreement, DirectPartner
from app.bookings.models import Booking
from app.bookings.schemas import SeriesCreate
from app.bookings.series import create_series
from app.core.auth import Principal, Role
from app.core.config import Settings
from app.core.db import Database, create_engine
from app.core.migrate import upgrade
from app.core.time import zone
from app.costs.models import PendingSiteDate
from app.demo import load_demo_data
from app.main import create_app
from app.parties.models import Party
from app.sites.models import Site, Space
from bench.__main__ import ADMIN_KEY, create_database, drop_database

SITES_WANTED = 50
ADMIN = Principal(key_id=None, party_id=None, role=Role.admin)
OPEN = {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CUSTODIAL = {d: [["06:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


async def top_up(db: Database) -> tuple[int, int]:
    """Extra SCUSD school sites with a year of Tuesday-evening bookings by a direct
    partner, until the blanket agreement covers SITES_WANTED sites."""
    async with db.write_sessions() as session, session.begin():
        scusd = await session.scalar(
            select(Party.id).where(Party.name == "Sacramento City Unified School District")
        )
        agreement = await session.scalar(
            select(Agreement).where(
                Agreement.kind == "blanket", Agreement.status == "active",
                or_(Agreement.party_a_id == scusd, Agreement.party_b_id == scusd),
            )
        )
        assert agreement is not None, "the demo has no active SCUSD blanket agreement"
        partner = await session.scalar(
            select(DirectPartner.party_id)
            .where(DirectPartner.agreement_id == agreement.id)
            .limit(1)
        )
        covered = await session.scalar(
            select(func.count()).select_from(Site).where(Site.owner_party_id.in_(agreement.party_ids))
        )
        tz = zone("America/Los_Angeles")
        today = datetime.now(tz).date()
        first_tuesday = (
            today
            - timedelta(days=364)
            + timedelta(days=(1 - (today - timedelta(days=364)).weekday()) % 7)
        )
        for n in range(max(0, SITES_WANTED - covered)):
            site = Site(
                name=f"Bench Elementary {n}", kind="school", owner_party_id=scusd,
                timezone="America/Los_Angeles", address=None, open_hours=OPEN, reserved_hours={},
                custodial_hours=CUSTODIAL, custodial_rate_cents_per_hour=4200,
            )
            session.add(site)
            await session.flush()
            gym = Space(
                site_id=site.id,
                name="Gym",
                kind="gym",
                capacity=200,
                standard_rental_rate_cents_per_hour=8000,
            )
            session.add(gym)
            await session.flush()
            for quarter in range(4):  # blanket series are at most 90 days
                start_day = first_tuesday + timedelta(weeks=13 * quarter)
                start = datetime(start_day.year, start_day.month, start_day.day, 18, 30, tzinfo=tz)
                await create_series(
                    session,
                    principal=ADMIN,
                    data=SeriesCreate(
                        space_id=gym.id,
                        party_id=partner,
                        start=start,
                        end=start + timedelta(hours=2),
                        rrule="FREQ=WEEKLY;COUNT=13",
                        purpose="Youth basketball league",
                        attendance=60,
                    ),
                    now=start - timedelta(days=5),
                )
        total = await session.scalar(
            select(func.count()).select_from(Site).where(Site.owner_party_id.in_(agreement.party_ids))
        )
    return agreement.id, int(total or 0)


async def main() -> None:
    name = f"jointuse_statement_{os.getpid()}"
    url, _ = create_database(name, tcp=False)  # the Unix socket, as the main bench reaches it
    try:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(DATABASE_URL=url, JOINTUSE_ADMIN_KEY=ADMIN_KEY)  # type: ignore[call-arg]
        started = time.perf_counter()
        await load_demo_data(settings)
        db = Database.for_engine(create_engine(settings))
        agreement_id, sites = await top_up(db)
        load_seconds = time.perf_counter() - started
        async with db.read_sessions() as session:
            bookings = await session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.agreement_id == agreement_id)
            )
            pending = await session.scalar(select(func.count()).select_from(PendingSiteDate))
        app = create_app(settings, database=db)
        today = datetime.now(zone("America/Los_Angeles")).date()
        params = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
        statements: list[str] = []
        event.listen(
            db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
            path = f"/v1/agreements/{agreement_id}/statement"
            timings: dict[str, list[float]] = {"json": [], "csv": []}
            lines = 0
            # The first read settles the pending site dates of its period (charges are
            # billed when read); the rest read stored charges.
            t0 = time.perf_counter()
            r = await http.get(path, params=params, headers=headers)
            first_ms = (time.perf_counter() - t0) * 1000
            assert r.status_code == 200, r.text
            for _ in range(5):
                for kind, accept in (("json", "application/json"), ("csv", "text/csv")):
                    statements.clear()
                    t0 = time.perf_counter()
                    r = await http.get(path, params=params, headers={**headers, "Accept": accept})
                    timings[kind].append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, r.text
                    if kind == "json":
                        lines = len(r.json()["lines"])
                        query_count = len(statements)
        print(f"statement bench: demo data + top-up loaded in {load_seconds:.0f} s")
        print(f"agreement {agreement_id}: {sites} sites covered, {bookings} bookings, "
              f"{pending} site dates pending billing")
        print(f"GET {path}?from={params['from']}&to={params['to']}: {lines} lines")
        print(f"  first request, settling the period's pending site dates: {first_ms:7.1f} ms")
        for kind, values in timings.items():
            print(
                f"  {kind:4}: median {statistics.median(values):7.1f} ms  "
                f"(min {min(values):.1f}, max {max(values):.1f}) over {len(values)} requests"
            )
        print(
            f"  SQL statements per request once settled: {query_count} (pending dates, "
            "agreement, charges, cost items; the bootstrap admin key needs no lookup)"
        )
        await db.engine.dispose()
    finally:
        drop_database(name)


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
