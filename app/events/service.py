"""The change feed, page by page: each event as `{id, type, occurred_at, data}`, its
`data` sent as it was stored with the change."""

from __future__ import annotations

import typing

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings.access import booking_scope
from app.bookings.views import booking_data
from app.core.auth import Principal
from app.core.errors import ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor
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
        raise ValidationFailed(["query", "after"], "not a cursor this feed returned")
    return values[0], values[1]


async def feed_page(
    session: AsyncSession, *, principal: Principal, after: str | None, limit: int
) -> bytes:
    """The page as JSON (`EventPage`), oldest first."""
    rows, resume = await repo.items_after(
        session, after=parse_after(after), limit=limit, scope=booking_scope(principal)
    )
    items = [r.item for r in rows]
    if None in items:
        older = await _older_items(session, [r.id for r in rows if r.item is None])
        items = [r.item if r.item is not None else older[r.id] for r in rows]
    joined = ",".join(typing.cast(list[str], items))
    cursor = to_json(encode_cursor(resume)).decode()
    return f'{{"items":[{joined}],"next_cursor":{cursor}}}'.encode()


async def _older_items(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """Events written before the feed kept `data`: the booking as it is now."""
    events = await repo.events_by_id(session, ids)
    bookings = await repo.current_bookings(
        session, [e.booking_id for e in events if e.booking_id is not None]
    )
    found = {}
    for e in events:
        head = to_json(
            {
                "id": e.id,
                "type": event_type(e.action, e.status, of_series=e.booking_id is None),
                "occurred_at": e.occurred_at,
            }
        )
        data = booking_data(bookings[e.booking_id or 0])
        found[e.id] = f'{head[:-1].decode()},"data":{data}}}'
    return found
