"""The key records' SQL: claim a key in one statement (made, or taken over when expired
or left running by a worker that died), read it back, keep the answer, free it, purge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.idempotency.models import IdempotencyRecord as Record
from app.idempotency.rules import LEASE

PURGED_AT_ONCE = 1000


class Kept(NamedTuple):
    fingerprint: str
    status: int | None
    headers: str | None
    body: bytes | None


async def claim(
    session: AsyncSession, *, caller: str, key: str, fingerprint: str, now: datetime,
    expires_at: datetime,
) -> int | None:
    """The record's id if this request now owns the key: a new key, an expired one, or
    one whose first request (the same request) stopped without an answer, its lease
    run out. None: another request has it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = insert(Record).values(
        caller=caller, key=key, fingerprint=fingerprint, status=None, headers=None,
        body=None, created_at=now, locked_until=now + LEASE, expires_at=expires_at,
    )
    new = values.excluded
    stmt = values.on_conflict_do_update(
        index_elements=[Record.caller, Record.key],
        set_={
            "fingerprint": new.fingerprint, "status": None, "headers": None, "body": None,
            "created_at": new.created_at, "locked_until": new.locked_until,
            "expires_at": new.expires_at,
        },
        where=or_(
            Record.expires_at <= now,
            and_(
                Record.status.is_(None),
                Record.locked_until <= now,
                Record.fingerprint == new.fingerprint,
            ),
        ),
    ).returning(Record.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def kept(session: AsyncSession, *, caller: str, key: str) -> Kept | None:
    row = (
        await session.execute(
            select(Record.fingerprint, Record.status, Record.headers, Record.body).where(
                Record.caller == caller, Record.key == key
            )
        )
    ).first()
    return Kept(*row) if row is not None else None


async def keep(
    session: AsyncSession, record_id: int, *, status: int, headers: str, body: bytes
) -> None:
    await session.execute(
        update(Record)
        .where(Record.id == record_id)
        .values(status=status, headers=headers, body=body)
    )


async def free(session: AsyncSession, record_id: int) -> None:
    await session.execute(delete(Record).where(Record.id == record_id))


async def purge(session: AsyncSession, *, now: datetime) -> Any:
    """Deletes up to `PURGED_AT_ONCE` expired records (a bounded statement)."""
    expired = (
        select(Record.id).where(Record.expires_at <= now).limit(PURGED_AT_ONCE).scalar_subquery()
    )
    result = await session.execute(delete(Record).where(Record.id.in_(expired)))
    return result.rowcount  # type: ignore[attr-defined]
