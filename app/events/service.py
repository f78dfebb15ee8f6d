"""The change feed, page by page: each event as `{id, type, occurred_at, data}`, its
`data` sent as it was stored with the change."""

from __future__ import annotations

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings.access import BookingScope, booking_scope
from app.bookings.views import booking_data
from app.core.auth import Principal
from app.core.db import Database
from app.core.errors import ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor
from app.core.sql import SessionRunner
from app.events import repository as repo
from app.events.rules import event_type


def parse_after(after: str | None) -> tuple[int, int] | None:
    if after is None:
        return None
    values = decode_cursor(after, 2, name="after")
    if not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= repo.PAST_ALL
        for v in values
    ):
        raise ValidationFailed(["query", "after"], "not a cursor this list returned")
    return values[0], values[1]


async def feed_page(
    db: Database, session: AsyncSession, *, principal: Principal, after: str | None, limit: int
) -> bytes:
    """The page as JSON (`EventPage`), oldest first: one statement on the driver."""
    scope = booking_scope(principal)
    cursor = parse_after(after)
    async with db.runner() as runner:
        items, resume = await repo.feed_items(runner, after=cursor, limit=limit, scope=scope)
    joined = items.joined
    if not items.complete:
        joined, resume = await _older_items(session, after=cursor, limit=limit, scope=scope)
    next_cursor = to_json(encode_cursor(resume)).decode()
    return f'{{"items":[{joined}],"next_cursor":{next_cursor}}}'.encode()


async def page_items(
    session: AsyncSession,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[str, tuple[int, int]]:
    """Up to `limit` events after the cursor that `scope` sees, as the feed's JSON items
    joined by commas, and the cursor to resume from; in the session's transaction
    (webhooks turn them into deliveries in the transaction that moves their cursor)."""
    items, resume = await repo.feed_items(
        SessionRunner(session), after=after, limit=limit, scope=scope
    )
    if items.complete:
        return items.joined, resume
    return await _older_items(session, after=after, limit=limit, scope=scope)


async def _older_items(
    session: AsyncSession,
    *,
    after: tuple[int, int] | None,
    limit: int,
    scope: BookingScope | None,
) -> tuple[str, tuple[int, int]]:
    """Some event is older than the feed's `data`: item by item, with the booking as
    it is now."""
    rows, resume = await repo.events_after(session, after=after, limit=limit, scope=scope)
    older = await repo.current_bookings(
        session, [r.booking_id for r in rows if r.data is None and r.booking_id is not None]
    )
    joined = ",".join(
        _item(r, r.data if r.data is not None else booking_data(older[r.booking_id or 0]))
        for r in rows
    )
    return joined, resume


def _item(r: repo.EventRow, data: str) -> str:
    head = to_json(
        {
            "id": r.id,
            "type": event_type(r.action, r.status, of_series=r.booking_id is None),
            "occurred_at": r.occurred_at,
        }
    )
    return f'{head[:-1].decode()},"data":{data}}}'
