"""A worker's slice of a key's window budget, taken in one atomic statement: the row
never counts more than the limit, whatever the number of workers and hosts."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import BigInteger, Integer, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from app.core.sql import Hot, Runner
from app.ratelimits.models import RateLimitWindow as Window

PURGED_AT_ONCE = 1000


class Grant(NamedTuple):
    granted: int
    taken: int  # by every worker in the window, this grant included


def _take_statement(dialect: str) -> Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    limit = bindparam("limit", type_=Integer)
    want = bindparam("want", type_=Integer)
    first = func.min(want, limit) if dialect == "sqlite" else func.least(want, limit)
    values = insert(Window).values(
        caller=bindparam("caller"), minute=bindparam("window", type_=BigInteger),
        taken=first, last_grant=first,
    )
    least = func.min if dialect == "sqlite" else func.least
    grant = least(values.excluded.last_grant, limit - Window.taken)
    return values.on_conflict_do_update(
        index_elements=[Window.caller, Window.minute],
        set_={"taken": Window.taken + grant, "last_grant": grant},
        where=Window.taken < limit,
    ).returning(Window.last_grant, Window.taken)


_TAKE = Hot(_take_statement)
_PURGE = Hot(
    delete(Window).where(
        Window.minute.in_(
            select(Window.minute)
            .where(Window.minute < bindparam("before", type_=BigInteger))
            .limit(PURGED_AT_ONCE)
            .scalar_subquery()
        )
    )
)


async def take(runner: Runner, *, caller: str, window: int, want: int, limit: int) -> Grant:
    """Up to `want` of the window's budget; granted 0 once the limit is taken."""
    row = await runner.first(
        _TAKE, {"caller": caller, "window": window, "want": want, "limit": limit}
    )
    return Grant(0, limit) if row is None else Grant(int(row[0]), int(row[1]))


async def purge(runner: Runner, *, before: int) -> None:
    """Deletes up to `PURGED_AT_ONCE` rows of windows before `before`."""
    await runner.execute(_PURGE, {"before": before})
