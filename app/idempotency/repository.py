"""The key records' SQL, as hot statements (one round trip each on PostgreSQL's driver
connection): claim a key (made, or taken over when expired or left running by a worker
that died), read it back, keep the answer, free it, purge expired ones."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from app.core.sql import Hot, Runner
from app.idempotency.models import IdempotencyRecord as Record

PURGED_AT_ONCE = 1000


class Answer(NamedTuple):
    """An answer as kept: its status, its replayed headers (JSON), its body."""

    status: int
    headers: str
    body: bytes


class Kept(NamedTuple):
    fingerprint: str
    status: int | None
    headers: str | None
    body: bytes | None


def _claim_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = bindparam("now", type_=Record.created_at.type)
    values = insert(Record).values(
        caller=bindparam("caller"), key=bindparam("key"), fingerprint=bindparam("fingerprint"),
        status=bindparam("status", type_=Record.status.type),
        headers=bindparam("headers", type_=Record.headers.type),
        body=bindparam("body", type_=Record.body.type), created_at=now,
        locked_until=bindparam("locked_until", type_=Record.locked_until.type),
        expires_at=bindparam("expires_at", type_=Record.expires_at.type),
    )
    new = values.excluded
    return values.on_conflict_do_update(
        index_elements=[Record.caller, Record.key],
        set_={
            "fingerprint": new.fingerprint, "status": new.status, "headers": new.headers,
            "body": new.body,
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


_CLAIM = Hot(_claim_statement)
_KEPT = Hot(
    select(Record.fingerprint, Record.status, Record.headers, Record.body).where(
        Record.caller == bindparam("caller"), Record.key == bindparam("key")
    )
)
_KEEP = Hot(
    update(Record)
    .where(Record.id == bindparam("record_id"))
    .values(status=bindparam("status"), headers=bindparam("headers"), body=bindparam("body"))
)
_FREE = Hot(delete(Record).where(Record.id == bindparam("record_id")))
_PURGE = Hot(
    delete(Record).where(
        Record.id.in_(
            select(Record.id)
            .where(Record.expires_at <= bindparam("now", type_=Record.expires_at.type))
            .limit(PURGED_AT_ONCE)
            .scalar_subquery()
        )
    )
)


async def claim(
    runner: Runner, *, caller: str, key: str, fingerprint: str, now: datetime,
    locked_until: datetime, expires_at: datetime, answer: Answer | None = None,
) -> int | None:
    """The record's id if this request now owns the key: a new key, an expired one, or
    one whose first request (the same request) stopped without an answer, its lease
    run out. None: another request has it. With `answer`, the record is written with
    it (a request that wrote nothing: claimed and kept at once)."""
    status, headers, body = answer or (None, None, None)
    row = await runner.first(_CLAIM, {
        "caller": caller, "key": key, "fingerprint": fingerprint, "now": now,
        "locked_until": locked_until, "expires_at": expires_at,
        "status": status, "headers": headers, "body": body,
    })
    return None if row is None else int(row[0])


async def kept(runner: Runner, *, caller: str, key: str) -> Kept | None:
    row = await runner.first(_KEPT, {"caller": caller, "key": key})
    return None if row is None else Kept(*row)


async def keep(runner: Runner, record_id: int, answer: Answer) -> None:
    await runner.execute(
        _KEEP,
        {"record_id": record_id, "status": answer.status, "headers": answer.headers,
         "body": answer.body},
    )


async def free(runner: Runner, record_id: int) -> None:
    await runner.execute(_FREE, {"record_id": record_id})


async def purge(runner: Runner, *, now: datetime) -> None:
    """Deletes up to `PURGED_AT_ONCE` expired records (a bounded statement)."""
    await runner.execute(_PURGE, {"now": now})
