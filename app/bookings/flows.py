"""Booking work that spans units of work. Services take a session and never commit;
these take the `Database`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings import series
from app.bookings.models import BookingSeries
from app.bookings.schemas import SeriesCreate
from app.core.auth import Principal
from app.core.db import Database


async def create_series(
    reads: AsyncSession, db: Database, *, principal: Principal, data: SeriesCreate, now: datetime
) -> tuple[BookingSeries, list[int]]:
    """POST /v1/booking-series: the rule expanded in the request's read session (its
    site's zone), then the series judged and written in a write unit of work of its
    own, committed. So no write lock is held while a rule is expanded: on SQLite a
    write transaction is the database's one writer from its first statement
    (`BEGIN IMMEDIATE`), and every other party's bookings and cancels wait for it."""
    planned = await series.occurrences(reads, data=data, now=now)
    async with db.write_sessions() as session:
        made = await series.write_series(
            session, principal=principal, data=data, planned=planned, now=now
        )
        await session.commit()
    return made
