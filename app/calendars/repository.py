"""The feeds' SQL: one statement per feed read, its anchor (space, site, party or secret
address) outer-joined to the bookings starting in the window, on a bookings index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Text, and_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings.models import Booking
from app.calendars.ics import FeedEvent
from app.calendars.models import CalendarFeed
from app.core.sql import Hot
from app.parties.models import Party
from app.sites.models import Site, Space

Window = tuple[datetime, datetime]

_BUSY = (
    Booking.id, Booking.status, Booking.held_start, Booking.held_end, Booking.version,
    Booking.updated_at,
)


@dataclass(frozen=True, slots=True)
class Feed:
    """What a feed is of (its name) and its bookings' events, oldest first."""

    name: str
    events: list[FeedEvent]


def _busy(rows: Sequence[Sequence[Any]], timezone_at: int) -> list[FeedEvent]:
    return [
        FeedEvent(
            booking_id=r[0], status=r[1], start=r[2], end=r[3], version=r[4],
            updated_at=r[5], timezone=r[timezone_at],
        )
        for r in rows
        if r[0] is not None
    ]


async def space_busy(session: AsyncSession, space_id: int, window: Window) -> Feed | None:
    """A space's held windows (setup and cleanup included: the time it is busy), on
    `ix_bookings_space_held`."""
    start, end = window
    stmt = (
        select(*_BUSY, Site.timezone, Space.name, Site.name)
        .select_from(Space)
        .join(Site, Site.id == Space.site_id)
        .outerjoin(
            Booking,
            and_(
                Booking.space_id == Space.id,
                Booking.held_start >= start,
                Booking.held_start < end,
            ),
        )
        .where(Space.id == space_id)
        .order_by(Booking.held_start, Booking.id)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None
    return Feed(f"{rows[0][8]}: {rows[0][7]} (busy)", _busy(rows, 6))


def _dates_around(window: Window) -> tuple[date, date]:
    # Site-local dates of the window's instants lie within a day of their UTC dates.
    return window[0].date() - timedelta(days=1), window[1].date() + timedelta(days=1)


async def site_busy(session: AsyncSession, site_id: int, window: Window) -> Feed | None:
    """Every space's held windows at a site, on `ix_bookings_site_date`."""
    start, end = window
    first, last = _dates_around(window)
    stmt = (
        select(*_BUSY, Site.timezone, Site.name)
        .select_from(Site)
        .outerjoin(
            Booking,
            and_(
                Booking.site_id == Site.id,
                Booking.local_date >= first,
                Booking.local_date <= last,
                Booking.held_start >= start,
                Booking.held_start < end,
            ),
        )
        .where(Site.id == site_id)
        .order_by(Booking.held_start, Booking.id)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None
    return Feed(f"{rows[0][7]} (busy)", _busy(rows, 6))


def _party_bookings(anchored: Any, window: Window) -> Any:
    """The bookings of the party that `anchored` (a subquery: id, name) names."""
    start, end = window
    return (
        select(
            Booking.id, Booking.status, Booking.start, Booking.end, Booking.version,
            Booking.updated_at, Site.timezone, Site.name, Space.name, Booking.purpose,
            Booking.attendance, Booking.setup_minutes, Booking.cleanup_minutes,
            anchored.c.name,
        )
        .select_from(anchored)
        .outerjoin(
            Booking,
            and_(
                Booking.party_id == anchored.c.id,
                Booking.start >= start,
                Booking.start < end,
            ),
        )
        .outerjoin(Space, Space.id == Booking.space_id)
        .outerjoin(Site, Site.id == Booking.site_id)
        .order_by(Booking.start, Booking.id)
    )


def _party_events(rows: Sequence[Sequence[Any]]) -> list[FeedEvent]:
    events = []
    for r in rows:
        if r[0] is None:
            continue
        booking_id, status, start, end, version, updated_at, tz, site, space, purpose = r[:10]
        attendance, setup, cleanup = r[10:13]
        events.append(
            FeedEvent(
                booking_id=booking_id, status=status, start=start, end=end,
                version=version, updated_at=updated_at, timezone=tz,
                summary=str(purpose),
                description=f"Status: {status}\nAttendance: {attendance}\n"
                f"Setup: {setup} minutes\nCleanup: {cleanup} minutes",
                location=f"{space}, {site}",
            )
        )
    return events


async def _party_feed(
    session: AsyncSession, where: ColumnElement[bool], window: Window, *, by_token: bool
) -> Feed | None:
    anchor = select(Party.id, Party.name)
    if by_token:
        anchor = anchor.join(CalendarFeed, CalendarFeed.party_id == Party.id)
    stmt = _party_bookings(anchor.where(where).subquery(), window)
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None
    return Feed(f"{rows[0][13]}: bookings", _party_events(rows))


async def party_bookings(session: AsyncSession, party_id: int, window: Window) -> Feed | None:
    """A party's bookings with their details, on `ix_bookings_party_start`."""
    return await _party_feed(session, Party.id == party_id, window, by_token=False)


async def feed_bookings(session: AsyncSession, token_hash: str, window: Window) -> Feed | None:
    """The party's bookings that a secret address serves (none once it is deleted)."""
    return await _party_feed(session, CalendarFeed.token_hash == token_hash, window, by_token=True)


# --- the check before a kept feed is served (PostgreSQL; `calendars.cache`) -----------

# No entry to check: nothing is looked for.
NOTHING_SINCE = 2**62
NO_SNAPSHOT = "1:1:"
# Events past this many not seen by the entry's snapshot: changed, without looking.
CHECK_SCAN = 1000


def _feed_check(anchor_column: str, *, by_token: bool) -> Hot:
    """One statement: the versions a feed's body depends on (the catalog's, this
    snapshot), whether any event of the anchor's bookings is one that the entry's
    snapshot (`:seen`, its xmin `:since`) did not see, and the anchor (a secret
    address's party; NULL: no such address). The events are an ordered range of
    `ix_booking_events_txid` (transactions from the entry's xmin on, so a few), each
    booking's anchor a primary-key lookup, whatever plan is chosen."""
    anchor = (
        "(SELECT f.party_id FROM calendar_feeds AS f WHERE f.token_hash = :token_hash)"
        if by_token
        else "CAST(:anchor_id AS integer)"
    )
    sql = f"""
WITH s AS (SELECT pg_current_snapshot() AS snap),
recent AS (
  SELECT e.booking_id FROM booking_events AS e
  WHERE e.txid IS NOT NULL AND e.txid >= :since
    AND NOT pg_visible_in_snapshot(e.txid::text::xid8, CAST(:seen AS pg_snapshot))
  ORDER BY e.txid, e.id
  LIMIT {CHECK_SCAN + 1}
)
SELECT
  (SELECT c.version FROM catalog_version AS c WHERE c.id = 1) AS catalog_version,
  s.snap::text AS snapshot,
  pg_snapshot_xmin(s.snap)::text::bigint AS snapshot_xmin,
  pg_current_xact_id_if_assigned()::text::bigint AS own,
  (SELECT count(*) FROM recent) > {CHECK_SCAN} OR EXISTS (
    SELECT 1 FROM recent AS r
    WHERE (SELECT b.{anchor_column} FROM bookings AS b WHERE b.id = r.booking_id) = {anchor}
  ) AS changed,
  {anchor} AS anchor
FROM s"""
    last = (
        bindparam("token_hash", type_=Text())
        if by_token
        else bindparam("anchor_id", type_=Integer())
    )
    return Hot(
        text(sql).bindparams(
            bindparam("since", type_=BigInteger()), bindparam("seen", type_=Text()), last
        )
    )


FEED_CHECK = {
    "space": _feed_check("space_id", by_token=False),
    "site": _feed_check("site_id", by_token=False),
    "party": _feed_check("party_id", by_token=False),
    "token": _feed_check("party_id", by_token=True),
}
