"""The feed's reads. Its order must be one in which no event can appear behind a
cursor already handed out: on PostgreSQL sequence order is not commit order (a
transaction that drew an earlier id can commit later), so events are ordered by the
writing transaction's id (`txid`, then `id`) and only those of transactions older than
every transaction still running (the snapshot's `xmin`) are shown; the rest wait for
the next poll. On SQLite writers are serialized, so `id` is commit order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.visitors import InternalTraversal

from app.bookings.access import BookingScope
from app.bookings.models import Booking, BookingEvent, BookingSeries
from app.core.sql import Hot, Runner
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
    "pg_current_xact_id_if_assigned()::text::bigint + 1)) AS horizon, "
    "pg_current_xact_id_if_assigned()::text::bigint AS own "
    "FROM (SELECT pg_current_snapshot() AS snap) AS s"
)
_SQLITE_HORIZON = select(func.coalesce(func.max(BookingEvent.id), 0))


class _Rfc3339(ColumnElement[str]):
    """An instant column as pydantic writes it: `2027-01-04T17:00:00Z`, with six digits
    of microseconds when there are any (`...:00.120000Z`)."""

    type = Text()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column


@compiles(_Rfc3339, "postgresql")
def _rfc3339_pg(element: _Rfc3339, compiler: Any, **kw: Any) -> str:
    utc = f"({compiler.process(element.column, **kw)} AT TIME ZONE 'UTC')"
    # One to_char (each costs the page's statement ~2 µs an item), then whole seconds
    # lose their fraction.
    return f"replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"


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


def _visible(stmt: Select[Any], scope: BookingScope, party_id: Any = None) -> Select[Any]:
    """The events of the bookings (and series) a key may see (`bookings.access`); its
    party `party_id` if given (a bound parameter), else the scope's."""
    party_id = scope.party_id if party_id is None else party_id
    stmt = stmt.outerjoin(Booking, Booking.id == BookingEvent.booking_id).outerjoin(
        BookingSeries,
        and_(BookingEvent.booking_id.is_(None), BookingSeries.id == BookingEvent.series_id),
    )
    party = func.coalesce(Booking.party_id, BookingSeries.party_id)
    own = party == party_id
    if not scope.with_owned_sites:
        return stmt.where(own)
    site = func.coalesce(Booking.site_id, BookingSeries.site_id)
    owned_sites = select(Site.id).where(Site.owner_party_id == party_id)
    return stmt.where(or_(own, site.in_(owned_sites)))


# A key that sees some events only looks at this many events after its cursor per page
# (its page holds those it may see among them): the page's work is bounded by this, not
# by how many events it may not see, and the plan is an index range whatever the
# planner guesses of the key's share.
SCAN_PER_ITEM = 5


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
    window = await _window(session, after=after, limit=limit, scope=scope)
    rows = [EventRow._make(r) for r in (await session.execute(window.rows(_COLUMNS))).all()]
    last = (rows[-1].txid or 0, rows[-1].id) if rows else None
    return rows, await window.resume(session, len(rows), last)


class Items(NamedTuple):
    joined: str  # the page's items as the feed's JSON, comma-separated
    complete: bool  # False: some event is older than the feed's `data` (`events_after`)


# Which events a key sees, as the feed statement's variants (`bookings.access`).
ALL, OWN, OWN_AND_SITES = "all", "own", "own-and-sites"


def scope_kind(scope: BookingScope | None) -> str:
    if scope is None:
        return ALL
    return OWN_AND_SITES if scope.with_owned_sites else OWN


def _sees(event_id: Any, kind: str, party_id: Any) -> ColumnElement[bool]:
    """`_visible` for the event `event_id`, as scalar subqueries (a primary-key lookup
    each, whatever the plan: a page's work is the events it looks at, not the table)."""
    x = aliased(BookingEvent, name="x")

    def of_event(booking_column: Any, series_column: Any) -> ColumnElement[Any]:
        either = func.coalesce(
            select(booking_column).where(Booking.id == x.booking_id).scalar_subquery(),
            select(series_column)
            .where(x.booking_id.is_(None), BookingSeries.id == x.series_id)
            .scalar_subquery(),
        )
        return select(either).where(x.id == event_id).scalar_subquery()

    own: ColumnElement[bool] = of_event(Booking.party_id, BookingSeries.party_id) == party_id
    if kind != OWN_AND_SITES:
        return own
    owned_sites = select(Site.id).where(Site.owner_party_id == party_id)
    return or_(own, of_event(Booking.site_id, BookingSeries.site_id).in_(owned_sites))


def _feed_statement(dialect: str, kind: str) -> Any:
    """A feed page in one statement, whatever its size: the horizon, the window of
    events after the cursor (`:scan` of them, in feed order: its end is the `:skip`-th
    event after the first), those of it the key may see (`:limit`), each as the feed's
    JSON; and what the cursor needs (the page's last event, its counts, the window's
    end if it is full). One snapshot: every transaction below the horizon has ended in
    it. The page is one ordered range of the feed's index (`ix_booking_events_txid`,
    the primary key on SQLite) that stops at its `:limit`-th visible event; each event's
    visibility is a lookup by primary key. On PostgreSQL one row (the page joined by
    the database); on SQLite, whose `group_concat` has no order, a row per item."""
    e = BookingEvent
    postgresql = dialect == "postgresql"
    h = (
        (
            _PG_HORIZON
            if postgresql
            else text("SELECT coalesce(max(id), 0) AS horizon, NULL AS own FROM booking_events")
        )
        .columns(horizon=BigInteger(), own=BigInteger())
        .cte("h")
    )
    horizon = select(h.c.horizon).scalar_subquery()
    after_txid, after_id = (
        bindparam("after_txid", type_=BigInteger),
        bindparam("after_id", type_=BigInteger),
    )
    if postgresql:
        order: tuple[Any, ...] = (e.txid, e.id)
        span = [
            e.txid.is_not(None),
            e.txid < horizon,
            tuple_(e.txid, e.id) > tuple_(after_txid, after_id),
        ]
    else:
        order = (e.id,)
        span = [e.id <= horizon, e.id > after_id]
    # The window in feed order, an index range read lazily: the page stops at its
    # `:limit`-th event the key may see (a subquery's order is kept: nothing is sorted).
    window = (
        select(e.id, e.txid)
        .where(*span)
        .order_by(*order)
        .limit(bindparam("scan", type_=Integer))
        .subquery("window")
    )
    page = select(window.c.id, window.c.txid).select_from(window)
    w = None
    if kind != ALL:
        page = page.where(
            _sees(window.c.id, kind, bindparam("party_id", type_=Integer))
        )
        # The window's last event, if it has `:scan` of them.
        w = (
            select(e.txid, e.id)
            .where(*span)
            .order_by(*order)
            .offset(bindparam("skip", type_=Integer))
            .limit(1)
            .cte("w")
        )
    chosen = (
        page.order_by(window.c.txid, window.c.id) if postgresql else page.order_by(window.c.id)
    ).limit(bindparam("limit", type_=Integer)).subquery("chosen")
    # Each item's text for the page's events alone.
    p = (
        select(e.id, e.txid, _ITEM.label("item"))
        .select_from(chosen.join(e, e.id == chosen.c.id))
        .cte("p")
    )

    def last(cte: Any, column: str) -> Any:
        return (
            select(cte.c[column])
            .order_by(*(cte.c[c].desc() for c in ("txid", "id")))
            .limit(1)
            .scalar_subquery()
        )

    full: Any = literal(0) if w is None else select(func.count()).select_from(w).scalar_subquery()
    window_end: list[Any] = (
        [null(), null()] if w is None
        else [select(w.c.txid).scalar_subquery(), select(w.c.id).scalar_subquery()]
    )
    stats = [
        horizon,
        select(h.c.own).scalar_subquery(),
        select(func.count()).select_from(p).scalar_subquery(),
        select(func.count(p.c.item)).select_from(p).scalar_subquery(),
        last(p, "txid"),
        last(p, "id"),
        full,
        *window_end,
    ]
    if postgresql:
        joined = select(
            func.coalesce(
                func.string_agg(p.c.item, aggregate_order_by(literal(","), p.c.txid, p.c.id)), ""
            )
        ).scalar_subquery()
        return select(*stats, joined)
    one = select(*(c.label(f"s{i}") for i, c in enumerate(stats))).subquery()
    return select(one, p.c.item).select_from(one.outerjoin(p, true())).order_by(p.c.id)


def _feed_hot(kind: str) -> Hot:
    return Hot(lambda dialect: _feed_statement(dialect, kind))


_FEED = {kind: _feed_hot(kind) for kind in (ALL, OWN, OWN_AND_SITES)}


async def feed_items(
    runner: Runner,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[Items, tuple[int, int]]:
    """`events_after` as the feed's JSON text, in one statement."""
    scan = limit if scope is None else limit * SCAN_PER_ITEM
    params = {
        "after_txid": after[0] if after else -1,
        "after_id": after[1] if after else 0,
        "scan": scan,
        "skip": scan - 1,
        "limit": limit,
        "party_id": scope.party_id if scope else None,
    }
    rows = await runner.all(_FEED[scope_kind(scope)], params)
    postgresql = runner.dialect_name == "postgresql"
    stats = rows[0][:9]
    joined = rows[0][9] if postgresql else ",".join(r[9] for r in rows if r[9] is not None)
    horizon, own, count, items, page_txid, page_id, full, window_txid, window_id = stats
    resume = [after or (0, 0)]
    if count:
        resume.append((page_txid or 0, page_id))
    if count < limit:
        if scope is not None and full:
            # Fewer than asked among a full window: resume after the window.
            resume.append((window_txid or 0, window_id))
        else:
            resume.append(_past_horizon(postgresql, horizon, own))
    return Items(joined, items == count), max(resume)


def _past_horizon(postgresql: bool, horizon: int, own: int | None) -> tuple[int, int]:
    """Past every event below the horizon (but the reader's own transaction's, which
    may write more)."""
    if own is not None:
        return (min(horizon, own) - 1, PAST_ALL)
    if postgresql:
        return (horizon - 1, PAST_ALL)
    return (0, horizon)


@dataclass(frozen=True, slots=True)
class _Window:
    """The events a page may come from: after the cursor, below the horizon, at most
    `scan` of them in feed order; those the key may see."""

    postgresql: bool
    horizon: int
    own: int | None  # the reader's own transaction, if it wrote (tests)
    span: list[Any]
    order: tuple[Any, ...]
    limit: int
    scan: int
    scope: BookingScope | None
    after: tuple[int, int] | None

    def rows(self, columns: Sequence[Any]) -> Select[Any]:
        e = BookingEvent
        window = select(e.id).where(*self.span).order_by(*self.order).limit(self.scan).subquery()
        stmt = select(*columns).join(window, window.c.id == e.id)
        if self.scope is not None:
            stmt = _visible(stmt, self.scope)
        return stmt.order_by(*self.order).limit(self.limit)

    async def resume(
        self, session: AsyncSession, count: int, last: tuple[int, int] | None
    ) -> tuple[int, int]:
        """The cursor after a page of `count` events ending at `last`."""
        resume = [self.after or (0, 0)]
        if last is not None:
            resume.append(last)
        if count == self.limit:
            return max(resume)
        if self.scope is not None:
            # Fewer than asked: how far the window went among events the key may not see.
            e = BookingEvent
            ends = (
                select(e.txid, e.id).where(*self.span).order_by(*self.order).limit(self.scan)
            ).subquery()
            found = (
                await session.execute(
                    select(ends.c.txid, ends.c.id, func.count().over())
                    .order_by(ends.c.txid.desc(), ends.c.id.desc())
                    .limit(1)
                )
            ).first()
            if found is not None and found[2] == self.scan:
                return max([*resume, (found[0] or 0, found[1])])
        resume.append(_past_horizon(self.postgresql, self.horizon, self.own))
        return max(resume)


async def _window(
    session: AsyncSession,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> _Window:
    postgresql = session.get_bind().dialect.name == "postgresql"
    # First the horizon, then the events below it: whatever commits meanwhile is above it.
    if postgresql:
        horizon, own = (await session.execute(_PG_HORIZON)).one()
    else:
        horizon, own = (await session.execute(_SQLITE_HORIZON)).scalar_one(), None
    e = BookingEvent
    if postgresql:
        order: tuple[Any, ...] = (e.txid, e.id)
        span = [e.txid.is_not(None), e.txid < horizon]
        if after is not None:
            span.append(tuple_(*order) > tuple_(*after))
    else:
        order = (e.id,)
        span = [e.id <= horizon]
        if after is not None:
            span.append(e.id > after[1])
    scan = limit if scope is None else limit * SCAN_PER_ITEM
    return _Window(postgresql, horizon, own, span, order, limit, scan, scope, after)


async def current_bookings(session: AsyncSession, ids: Sequence[int]) -> dict[int, Booking]:
    """Bookings by id: the `data` of events written before the feed kept it."""
    found = await session.scalars(select(Booking).where(Booking.id.in_(ids)))
    return {b.id: b for b in found}


async def feed_end(session: AsyncSession) -> tuple[int, int]:
    """The cursor past every event committed now: what a follower that starts now (a new
    webhook) resumes from, so that it gets every later event and no earlier one."""
    if session.get_bind().dialect.name == "postgresql":
        horizon, own = (await session.execute(_PG_HORIZON)).one()
        if own is None:
            return _past_horizon(True, horizon, own)
        # The reader's own transaction wrote (a test's, which holds every request): past
        # its events so far, which are all of this database's that it can see uncommitted.
        mine = select(func.coalesce(func.max(BookingEvent.id), 0)).where(BookingEvent.txid == own)
        return (own, (await session.execute(mine)).scalar_one())
    return _past_horizon(False, (await session.execute(_SQLITE_HORIZON)).scalar_one(), None)
