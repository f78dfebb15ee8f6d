"""Work that spans units of work: settling a period's pending site dates in a
transaction of its own, committed, before the statements and reports that read it.
Services take a session and never commit; these take the `Database`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.core.db import Database
from app.core.heavy import HeavyReads
from app.costs import service
from app.costs.service import StatementData


async def settle(db: Database, *, first: date, last: date) -> int:
    """Re-bill the pending site dates of [first, last] (`service.settle_in`) in a unit
    of work of its own, committed: the site locks are held for the settling alone,
    never for the read that follows. Returns how many there were."""
    async with db.write_sessions() as session:
        settled = await service.settle_in(session, first=first, last=last)
        await session.commit()
    return settled


@asynccontextmanager
async def settled_reads(
    db: Database, *, first: date, last: date, heavy: HeavyReads
) -> AsyncIterator[AsyncSession]:
    """A read session begun once [first, last] is settled, so that it sees the new
    charges (a SQLite read transaction begun before, the request's, would not). Both
    are a heavy read's, in its turn (`core.heavy`)."""
    async with heavy.turn():
        await settle(db, first=first, last=last)
        async with db.read_sessions() as session:
            yield session


async def statement(
    session: AsyncSession,
    db: Database,
    *,
    heavy: HeavyReads,
    principal: Principal,
    agreement_id: int,
    from_date: date,
    to_date: date,
) -> StatementData:
    """An agreement's statement: the period and the caller checked in the request's
    session, the period settled, then its figures read."""
    agreement = await service.statement_agreement(
        session,
        principal=principal,
        agreement_id=agreement_id,
        from_date=from_date,
        to_date=to_date,
    )
    async with settled_reads(db, first=from_date, last=to_date, heavy=heavy) as reads:
        return await service.statement(
            reads, agreement=agreement, from_date=from_date, to_date=to_date
        )
