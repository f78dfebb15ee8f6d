"""A worker's kept booking facts (`FactsCache`): only the latest catalog version seen
is tried, only for bookings the kept calendar and agreements reach, never with other
bookings' windows, and never more than its size."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from app.bookings.facts_cache import FactsCache
from app.bookings.repository import BookingFacts, CallerFacts, SpaceContext
from app.core.time import weekly_minutes

SINCE = date(2027, 1, 10)


def found(version: int, *, space_id: int = 1, since: date = SINCE) -> CallerFacts:
    hours = weekly_minutes({"mon": [["06:00", "22:00"]]})
    ctx = SpaceContext(
        space_id, 40, 3000, 7, 2, ZoneInfo("America/Los_Angeles"), hours, hours, hours, 4200
    )
    facts = BookingFacts(ctx, (), (), (), held_us=((1_800_000_000_000_000, 1_800_003_600_000_000),))
    return CallerFacts((5, "hash", 3, "partner"), facts, True, version, since)


def test_kept_facts_serve_bookings_from_their_first_date_on():
    cache = FactsCache()
    cache.keep(("abc", 1, None), found(7))
    assert cache.get(("abc", 1, None), SINCE) is not None
    assert cache.get(("abc", 1, None), date(2027, 6, 1)) is not None
    assert cache.get(("abc", 1, None), date(2027, 1, 9)) is None


def test_kept_facts_hold_no_other_bookings():
    cache = FactsCache()
    cache.keep(("abc", 1, None), found(7))
    kept = cache.get(("abc", 1, None), SINCE)
    assert kept is not None and kept.facts is not None
    assert kept.facts.held_us == ()
    assert kept.key_row == (5, "hash", 3, "partner") and kept.catalog_version == 7


def test_facts_from_an_older_version_than_the_last_read_are_not_tried():
    cache = FactsCache()
    cache.keep(("abc", 1, None), found(7))
    cache.keep(("abc", 2, None), found(8, space_id=2))
    assert cache.get(("abc", 1, None), SINCE) is None
    assert cache.get(("abc", 2, None), SINCE) is not None


def test_facts_are_kept_per_key_space_and_party_asked_for():
    cache = FactsCache()
    cache.keep(("abc", 1, None), found(7))
    assert cache.get(("abd", 1, None), SINCE) is None
    assert cache.get(("abc", 2, None), SINCE) is None
    assert cache.get(("abc", 1, 3), SINCE) is None


def test_the_oldest_entry_leaves_when_the_cache_is_full():
    cache = FactsCache(size=2)
    for space_id in (1, 2, 3):
        cache.keep(("abc", space_id, None), found(7, space_id=space_id))
    assert len(cache) == 2
    assert cache.get(("abc", 1, None), SINCE) is None
    assert cache.get(("abc", 3, None), SINCE) is not None


def test_reading_facts_again_replaces_the_kept_ones():
    cache = FactsCache(size=2)
    cache.keep(("abc", 1, None), found(7))
    cache.keep(("abc", 1, None), found(9, since=date(2027, 2, 1)))
    assert len(cache) == 1
    kept = cache.get(("abc", 1, None), date(2027, 2, 1))
    assert kept is not None and kept.catalog_version == 9
