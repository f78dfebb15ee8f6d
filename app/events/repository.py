"""The feed's reads. Its order must be one in which no event can appear behind a
cursor already handed out: on PostgreSQL sequence order is not commit order (a
transaction that drew an earlier id can commit later), so events are ordered by the
writing transaction's id (`txid`, then `id`) and only those of transactions older than
every transaction still running (the snapshot's `xmin`) are shown; the rest wait for
the next poll. On SQLite writers are serialized, so `id` is commit order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles

from app.bookings.access import BookingScope
from app.bookings.models import Booking, BookingEvent, BookingSeries
from app.events.rules import TYPES
from app.sites.models import Site

# A cursor past every event of the transactions below the horizon.
PAST_ALL = 2**63 - 1


class EventRow(NamedTuple):
    id: int
    txid: int | None
    action: str
    status: str
    occurred_at: Any
    data: str | None
    booking_id: int | None
    series_id: int | None


_COLUMNS = tuple(getattr(BookingEvent, name) for name in EventRow._fields)


# Every transaction with a smaller id has ended: its events, if it committed, are visible
# to any later statement. That is the snapshot's oldest running transaction (`xip`), or
# if none its `xmax`. And the reader's own transaction, if it wrote: not in `xip`, maybe at
# or past `xmax`, and its events are visible to it. (The feed itself writes nothing: this
# is a test's reads sharing the transaction of its writes.)
_PG_HORIZON = text(
    "SELECT coalesce("
    "(SELECT min(x)::text::bigint FROM pg_snapshot_xip(s.snap) AS x), "
    "greatest("
    "pg_snapshot_xmax(s.snap)::text::bigint, "
    "pg_current_xact_id_if_assigned()::text::bigint + 1)), "
    "pg_current_xact_id_if_assigned()::text::bigint "
    "FROM (SELECT pg_current_snapshot() AS snap) AS s"
)
_SQLITE_HORIZON = select(func.coalesce(func.max(BookingEvent.id), 0))


class _Rfc3339(ColumnElement[str]):
    """An instant column as pydantic writes it: `2027-01-04T17:00:00Z`, with six digits
    of microseconds when there are any (`...:00.120000Z`)."""

    type = Text()
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        self.column = column


@compiles(_Rfc3339, "postgresql")
def _rfc3339_pg(element: _Rfc3339, compiler: Any, **kw: Any) -> str:
    utc = f"({compiler.process(element.column, **kw)} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' "
        f"ELSE '.' || to_char({utc}, 'US') END || 'Z')"
    )


@compiles(_Rfc3339, "sqlite")
def _rfc3339_sqlite(element: _Rfc3339, compiler: Any, **kw: Any) -> str:
    # Stored as UTC text, `YYYY-MM-DD HH:MM:SS.ffffff` (`core.db.UTCDateTime`).
    text_ = compiler.process(element.column, **kw)
    return (
        f"(substr({text_}, 1, 10) || 'T' || substr({text_}, 12, 8) || "
        f"CASE WHEN coalesce(substr({text_}, 21, 6), '') IN ('', '000000') THEN '' "
        f"ELSE '.' || substr({text_}, 21, 6) END || 'Z')"
    )


def _type_of(e: type[BookingEvent]) -> Any:
    """`rules.event_type` in SQL, from the same table."""
    return case(
        *(
            (
                and_(
                    e.booking_id.is_(None) if of_series else e.booking_id.is_not(None),
                    e.action == action,
                    *([] if status is None else [e.status == status]),
                ),
                literal(str(name)),
            )
            for (of_series, action, status), name in TYPES.items()
        ),
    )


# One event as the feed shows it; `data` as stored with the change.
_ITEM = case(
    (BookingEvent.data.is_(None), null()),
    else_=literal('{"id":')
    .concat(cast(BookingEvent.id, Text))
    .concat(literal(',"type":"'))
    .concat(_type_of(BookingEvent))
    .concat(literal('","occurred_at":"'))
    .concat(_Rfc3339(BookingEvent.occurred_at))
    .concat(literal('","data":'))
    .concat(BookingEvent.data)
    .concat(literal("}")),
)


def _visible(stmt: Select[Any], scope: BookingScope | None) -> Select[Any]:
    """The events of the bookings (and series) a key may see (`bookings.access`)."""
    if scope is None:
        return stmt
    stmt = stmt.outerjoin(Booking, Booking.id == BookingEvent.booking_id).outerjoin(
        BookingSeries,
        and_(BookingEvent.booking_id.is_(None), BookingSeries.id == BookingEvent.series_id),
    )
    party = func.coalesce(Booking.party_id, BookingSeries.party_id)
    own = party == scope.party_id
    if not scope.with_owned_sites:
        return stmt.where(own)
    site = func.coalesce(Booking.site_id, BookingSeries.site_id)
    owned_sites = select(Site.id).where(Site.owner_party_id == scope.party_id)
    return stmt.where(or_(own, site.in_(owned_sites)))


async def events_after(
    session: AsyncSession,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[list[EventRow], tuple[int, int]]:
    """Up to `limit` events after the cursor (txid, id), and the cursor to resume from:
    the last event's, or, when fewer than `limit` remain, the horizon's (past every
    event this key may see now, invisible ones included, so that a key that sees few
    events does not read the others again on every poll)."""
    rows, resume = await _page(session, _COLUMNS, after=after, limit=limit, scope=scope)
    return [EventRow._make(r) for r in rows], resume


class ItemRow(NamedTuple):
    id: int
    txid: int | None
    item: str | None  # the feed's JSON of the event; None: older than the feed's `data`


async def items_after(
    session: AsyncSession,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[list[ItemRow], tuple[int, int]]:
    """`events_after`, each event as the feed's JSON text, written by the database: a
    page of 200 is one text column per row for Python to join."""
    columns = (BookingEvent.id, BookingEvent.txid, _ITEM)
    rows, resume = await _page(session, columns, after=after, limit=limit, scope=scope)
    return [ItemRow._make(r) for r in rows], resume


async def _page(
    session: AsyncSession,
    columns: Sequence[Any],
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[Sequence[Any], tuple[int, int]]:
    postgresql = session.get_bind().dialect.name == "postgresql"
    # First the horizon, then the events below it: whatever commits meanwhile is above it.
    if postgresql:
        horizon, own = (await session.execute(_PG_HORIZON)).one()
    else:
        horizon, own = (await session.execute(_SQLITE_HORIZON)).scalar_one(), None
    stmt = select(*columns)
    if postgresql:
        stmt = stmt.where(BookingEvent.txid.is_not(None), BookingEvent.txid < horizon)
        order: Sequence[Any] = (BookingEvent.txid, BookingEvent.id)
        if after is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*after))
    else:
        stmt = stmt.where(BookingEvent.id <= horizon)
        order = (BookingEvent.id,)
        if after is not None:
            stmt = stmt.where(BookingEvent.id > after[1])
    stmt = _visible(stmt, scope).order_by(*order).limit(limit)
    rows = (await session.execute(stmt)).all()
    resume = [after or (0, 0)]
    if rows:
        resume.append((rows[-1].txid or 0, rows[-1].id))
    if len(rows) < limit:
        # Past every event below the horizon (but the reader's own transaction's, which
        # may write more).
        resume.append(
            (min(horizon, own) - 1, PAST_ALL) if own is not None
            else (horizon - 1, PAST_ALL) if postgresql
            else (0, horizon)
        )
    return rows, max(resume)


async def events_by_id(session: AsyncSession, ids: Sequence[int]) -> list[BookingEvent]:
    found = await session.scalars(select(BookingEvent).where(BookingEvent.id.in_(ids)))
    return list(found)


async def current_bookings(session: AsyncSession, ids: Sequence[int]) -> dict[int, Booking]:
    """Bookings by id: the `data` of events written before the feed kept it."""
    found = await session.scalars(select(Booking).where(Booking.id.in_(ids)))
    return {b.id: b for b in found}
