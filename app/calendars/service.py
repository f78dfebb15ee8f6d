"""The feeds, read and made: stateless functions over the session."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendars import ics
from app.calendars import repository as repo
from app.calendars.cache import FeedKey, Rendered, Seen, current, feed_cache
from app.calendars.models import CalendarFeed
from app.calendars.rules import (
    feed_window,
    may_delete_feed,
    require_may_see_party_bookings,
    window_day,
)
from app.core.auth import Principal
from app.core.db import Database
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


Render = Callable[[AsyncSession, repo.Window], Awaitable[repo.Feed | None]]


async def _render(db: Database, render: Render, window: repo.Window, missing: str) -> Ics:
    # A read of its own (closing it ends the read transaction: nothing to commit).
    async with db.read_sessions() as session:
        feed = await render(session, window)
    if feed is None:
        raise NotFound(missing)
    return _answer(feed, window)


async def _feed(
    db: Database, kind: str, anchor: int | str, render: Render, missing: str
) -> Ics:
    """A feed's answer: its kept rendering if the database says nothing it shows has
    changed (one statement, `repository.FEED_CHECK`), else rendered afresh (and kept)."""
    day = window_day(utcnow())
    window = feed_window(day)
    cache = feed_cache(db)
    if cache is None:
        return await _render(db, render, window, missing)
    key: FeedKey = (kind, anchor)
    entry = cache.get(key)
    params: dict[str, Any] = {
        "since": entry.snapshot_xmin if entry else repo.NOTHING_SINCE,
        "seen": entry.snapshot if entry else repo.NO_SNAPSHOT,
        ("token_hash" if kind == "token" else "anchor_id"): anchor,
    }
    async with db.runner() as runner:
        row = await runner.first(repo.FEED_CHECK[kind], params)
    assert row is not None  # one row, always
    catalog_version, snapshot, snapshot_xmin, own, changed, found = row
    if found is None:  # a secret address deleted
        cache.drop(key)
        raise NotFound(missing)
    seen = Seen(catalog_version, snapshot, snapshot_xmin, own)
    if entry is not None and current(entry, seen, day, changed):
        if own is None:  # nothing new up to this snapshot: look from it on next time
            entry.snapshot, entry.snapshot_xmin = snapshot, snapshot_xmin
        return Ics(entry.body, entry.etag, entry.last_modified)
    # Rendered after the check: a change committed meanwhile is in the body and is still
    # unseen by the check's snapshot, so the next request renders again (never stale).
    answer = await _render(db, render, window, missing)
    if own is None:
        cache.keep(key, Rendered(
            answer.body, answer.etag, answer.last_modified, day, catalog_version,
            snapshot, snapshot_xmin,
        ))
    else:
        cache.drop(key)
    return answer


async def space_calendar(db: Database, *, space_id: int) -> Ics:
    return await _feed(
        db, "space", space_id, lambda s, w: repo.space_busy(s, space_id, w), "no such space"
    )


async def site_calendar(db: Database, *, site_id: int) -> Ics:
    return await _feed(
        db, "site", site_id, lambda s, w: repo.site_busy(s, site_id, w), "no such site"
    )


async def party_calendar(db: Database, *, principal: Principal, party_id: int) -> Ics:
    require_may_see_party_bookings(principal, party_id)
    return await _feed(
        db, "party", party_id, lambda s, w: repo.party_bookings(s, party_id, w), "no such party"
    )


def token_hash(token: str) -> str:
    # Tokens are 256-bit random: a fast hash is enough (as for API keys).
    return hashlib.sha256(token.encode()).hexdigest()


async def secret_calendar(db: Database, *, token: str) -> Ics:
    if not _TOKEN.fullmatch(token):
        raise NotFound("no such calendar feed")
    hashed = token_hash(token)
    return await _feed(
        db, "token", hashed, lambda s, w: repo.feed_bookings(s, hashed, w),
        "no such calendar feed",
    )


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
