"""Rendered feeds kept by each worker (PostgreSQL), served again only while the database
says nothing they show has changed (docs/architecture.md, "Calendar feeds").

A feed's body is a function of its bookings in the window, the names and zones of its
anchor and their sites and spaces, the window's UTC day and the zone data. So an entry
holds, besides the body, what it was rendered from:

- the window's day (the window moves a day at a time: `rules.feed_window`);
- `catalog_version` (migration 0006's triggers change it with every change to parties,
  sites and spaces: a rename, a time zone);
- the snapshot its check statement ran in: every booking change writes its
  `booking_events` row in the same transaction, so a change the body may not show is an
  event of the anchor's bookings whose transaction that snapshot did not see
  (`pg_visible_in_snapshot`), which `repository.FEED_CHECK` looks for on each request.

Zone data is read once per process (`zoneinfo` keeps its zones), as is this cache: a
worker with new zone data starts with none. An entry is kept only from a reader whose
transaction has written nothing (`own` null; only tests read in a transaction of their
own writes), so that no entry ever shows rows that may be rolled back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.core.db import Database

# What a feed is of: ("space" | "site" | "party", id) or ("token", the token's hash).
FeedKey = tuple[str, int | str]


@dataclass(slots=True)
class Rendered:
    """A feed's answer as rendered, and what it was rendered from."""

    body: bytes
    etag: str
    last_modified: datetime
    day: date
    catalog_version: int
    snapshot: str  # `pg_current_snapshot()` as text, of the check before the render
    snapshot_xmin: int  # its xmin: no older transaction can hold an unseen change


@dataclass(frozen=True, slots=True)
class Seen:
    """What a request's check statement read: the versions a feed's body depends on."""

    catalog_version: int
    snapshot: str
    snapshot_xmin: int
    own: int | None  # the reader's own transaction, if it has written (tests)


class FeedCache:
    """Rendered feeds by `FeedKey`, at most `size` of them and `max_bytes` of bodies,
    least recently served out first."""

    def __init__(self, size: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: dict[FeedKey, Rendered] = {}

    def get(self, key: FeedKey) -> Rendered | None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._entries[key] = found  # most recently served last
        return found

    def keep(self, key: FeedKey, rendered: Rendered) -> None:
        self.drop(key)
        if len(rendered.body) > self._max_bytes:
            return
        while self._entries and (
            len(self._entries) >= self._size or self._bytes + len(rendered.body) > self._max_bytes
        ):
            self.drop(next(iter(self._entries)))
        self._entries[key] = rendered
        self._bytes += len(rendered.body)

    def drop(self, key: FeedKey) -> None:
        gone = self._entries.pop(key, None)
        if gone is not None:
            self._bytes -= len(gone.body)

    def __len__(self) -> int:
        return len(self._entries)


def feed_cache(db: Database) -> FeedCache | None:
    """The database's cache of rendered feeds (None on SQLite, which has no
    `catalog_version` triggers nor transaction ids: every read renders)."""
    if db.engine.dialect.name != "postgresql":
        return None
    caches: dict[str, Any] = db.caches
    cache = caches.get("calendar_feeds")
    if not isinstance(cache, FeedCache):
        cache = caches["calendar_feeds"] = FeedCache()
    return cache


def current(entry: Rendered | None, seen: Seen, day: date, changed: bool) -> bool:
    """The entry shows what the feed shows now: same day, same catalog, and no event of
    its bookings that its snapshot did not see."""
    return (
        entry is not None
        and not changed
        and entry.day == day
        and entry.catalog_version == seen.catalog_version
    )
