"""The feeds, read and made: stateless functions over the session."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendars import ics
from app.calendars import repository as repo
from app.calendars.models import CalendarFeed
from app.calendars.rules import (
    feed_window,
    may_delete_feed,
    require_may_see_party_bookings,
)
from app.core.auth import Principal
from app.core.errors import NotFound
from app.core.time import utcnow
from app.parties.models import Party

# `secrets.token_urlsafe(32)`: 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Ics:
    """A feed's answer: the calendar, its `ETag`, and the newest change it shows."""

    body: bytes
    etag: str
    last_modified: datetime


def _answer(feed: repo.Feed, window: repo.Window) -> Ics:
    body = ics.calendar(feed.name, feed.events, window=window)
    # No booking: the feed last changed when its window last moved past one, at most.
    newest = max((e.updated_at for e in feed.events), default=window[0])
    return Ics(body, ics.feed_etag(body), newest)


async def space_calendar(session: AsyncSession, *, space_id: int) -> Ics:
    window = feed_window(utcnow())
    feed = await repo.space_busy(session, space_id, window)
    if feed is None:
        raise NotFound("no such space")
    return _answer(feed, window)


async def site_calendar(session: AsyncSession, *, site_id: int) -> Ics:
    window = feed_window(utcnow())
    feed = await repo.site_busy(session, site_id, window)
    if feed is None:
        raise NotFound("no such site")
    return _answer(feed, window)


async def party_calendar(session: AsyncSession, *, principal: Principal, party_id: int) -> Ics:
    require_may_see_party_bookings(principal, party_id)
    window = feed_window(utcnow())
    feed = await repo.party_bookings(session, party_id, window)
    if feed is None:
        raise NotFound("no such party")
    return _answer(feed, window)


def token_hash(token: str) -> str:
    # Tokens are 256-bit random: a fast hash is enough (as for API keys).
    return hashlib.sha256(token.encode()).hexdigest()


async def secret_calendar(session: AsyncSession, *, token: str) -> Ics:
    if not _TOKEN.fullmatch(token):
        raise NotFound("no such calendar feed")
    window = feed_window(utcnow())
    feed = await repo.feed_bookings(session, token_hash(token), window)
    if feed is None:
        raise NotFound("no such calendar feed")
    return _answer(feed, window)


async def create_feed(
    session: AsyncSession, *, principal: Principal, party_id: int
) -> tuple[CalendarFeed, str]:
    """A new secret address of the party's feed, and its token (shown once)."""
    require_may_see_party_bookings(principal, party_id)
    if await session.get(Party, party_id) is None:
        raise NotFound("no such party")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        party_id=party_id,
        token_hash=token_hash(token),
        created_at=utcnow(),
        created_by_key_id=principal.key_id,
    )
    session.add(feed)
    await session.flush()
    return feed, token


async def delete_feed(session: AsyncSession, *, principal: Principal, feed_id: int) -> None:
    feed = await session.get(CalendarFeed, feed_id)
    # Another party's feed is as if it did not exist.
    if feed is None or not may_delete_feed(principal, feed.party_id):
        raise NotFound("no such calendar feed")
    await session.delete(feed)
    await session.flush()
