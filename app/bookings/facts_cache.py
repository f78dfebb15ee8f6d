"""What booking a space needs to know besides other bookings (the caller's key, the
space, its site and calendar, the agreements), kept by each worker between requests.

Those facts change rarely, and reading them is half of a booking's database work. A
kept entry is only a guess: the booking judged on it is inserted only if the catalog
version (`CatalogVersion`, bumped by triggers on every change to those tables) is still
the one the entry was read at and the key is not revoked, both checked by the insert
itself; conflicts with other bookings are refused by the exclusion constraint. Any
doubt sends the request down the full path, which reads everything afresh and reports
every violation. PostgreSQL only: SQLite has no exclusion constraint to fall back on.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from app.bookings.repository import CallerFacts
from app.core.db import Database

# (lookup id of the caller's key, space id, party id asked for)
FactsKey = tuple[str | None, int, int | None]


class FactsCache:
    """Entries from the latest catalog version seen; at most `size`, oldest out first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: dict[FactsKey, CallerFacts] = {}
        # The version the last full read saw: entries from another are not tried (with
        # many entries, one catalog change would otherwise cost each a wasted insert).
        self.latest: int | None = None

    def get(self, key: FactsKey, needed_from: date) -> CallerFacts | None:
        """The kept facts for `key`, if they are from the latest version seen and
        reach back to `needed_from`."""
        kept = self._entries.get(key)
        if kept is None or kept.catalog_version != self.latest or needed_from < kept.since:
            return None
        return kept

    def keep(self, key: FactsKey, found: CallerFacts) -> None:
        """Keep what a full read found (checked: a known caller, space and party),
        without its held windows, which only the exclusion constraint may judge later."""
        assert found.facts is not None
        self.latest = found.catalog_version
        self._entries.pop(key, None)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = dataclasses.replace(
            found, facts=dataclasses.replace(found.facts, held_us=())
        )

    def __len__(self) -> int:
        return len(self._entries)


def facts_cache(db: Database) -> FactsCache | None:
    """The database's cache of booking facts (None on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return None
    caches: dict[str, Any] = db.caches
    cache = caches.get("booking_facts")
    if not isinstance(cache, FactsCache):
        cache = caches["booking_facts"] = FactsCache()
    return cache
