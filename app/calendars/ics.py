"""A feed's bookings as an RFC 5545 calendar (`icalendar`): one VEVENT per booking, its
times in the site's zone with a VTIMEZONE for each zone used. Pure functions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from app.calendars.rules import EVENT_STATUS

PRODID = "-//jointuse//calendar feeds 1.0//EN"
MEDIA_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One booking as a feed shows it. `summary` and the rest are what the reader may
    see: `Booked` alone on the public feeds."""

    booking_id: int
    status: str
    start: datetime
    end: datetime
    version: int
    updated_at: datetime
    timezone: str
    summary: str = "Booked"
    description: str | None = None
    location: str | None = None


def uid(booking_id: int) -> str:
    return f"booking-{booking_id}@jointuse"


@lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE over whole years (few keys, so it is made once per zone)."""
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def _event(e: FeedEvent) -> Event:
    zone = ZoneInfo(e.timezone)
    event = Event()
    event.add("uid", uid(e.booking_id))
    event.add("dtstamp", e.updated_at.astimezone(UTC))
    event.add("last-modified", e.updated_at.astimezone(UTC))
    # The booking's version starts at 1 and grows with every change; SEQUENCE from 0.
    event.add("sequence", e.version - 1)
    event.add("dtstart", e.start.astimezone(zone))
    event.add("dtend", e.end.astimezone(zone))
    status = EVENT_STATUS[e.status]
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    event.add("summary", e.summary)
    if e.description is not None:
        event.add("description", e.description)
    if e.location is not None:
        event.add("location", e.location)
    return event


def calendar(name: str, events: Sequence[FeedEvent], *, window: tuple[datetime, datetime]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    first, last = window[0].year - 1, window[1].year + 1  # a zone's local year around UTC's
    for tzid in sorted({e.timezone for e in events}):
        cal.add_component(vtimezone(tzid, first, last))
    for e in events:
        cal.add_component(_event(e))
    return cal.to_ical()


def feed_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'
