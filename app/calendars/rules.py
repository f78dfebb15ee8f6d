"""What a feed holds and who may read it: pure functions over plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.bookings.access import booking_scope
from app.core.auth import Principal, acts_for
from app.core.errors import Forbidden

# A feed holds the bookings starting from 30 days ago (so that recent cancellations
# reach the apps that showed them) to 366 days ahead (a year of the default terms'
# `max_advance_days`): bounded, whatever the number of years booked.
DAYS_BACK = 30
DAYS_AHEAD = 366

# RFC 5545 STATUS of a VEVENT by booking status: a booking that no longer holds its
# time is CANCELLED, so that apps remove it.
EVENT_STATUS = {
    "confirmed": "CONFIRMED",
    "requested": "TENTATIVE",
    "declined": "CANCELLED",
    "cancelled": "CANCELLED",
}


def window_day(now: datetime) -> date:
    """The UTC day a feed's window is of: it moves a day at a time, so that a feed's
    body stays the same all day while nothing it shows changes (`calendars.cache`)."""
    return now.astimezone(UTC).date()


def feed_window(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the instants a feed's bookings start in: whole UTC days, from
    `DAYS_BACK` days before `day` to the end of the day `DAYS_AHEAD` days after it."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight - timedelta(days=DAYS_BACK), midnight + timedelta(days=DAYS_AHEAD + 1)


def require_may_see_party_bookings(principal: Principal, party_id: int) -> None:
    """A party's feed, and the secret addresses of it: its own keys, or admin."""
    scope = booking_scope(principal)
    if scope is not None and scope.party_id != party_id:
        raise Forbidden("only the party's own keys or an admin may see its calendar")


def may_delete_feed(principal: Principal, party_id: int) -> bool:
    return principal.is_admin or acts_for(principal, party_id)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """`If-None-Match` (RFC 9110 13.1.2, weak comparison) names the current `etag`."""
    if if_none_match is None:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False
