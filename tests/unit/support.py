"""Plain helpers for the pure-function tests: a Los Angeles site and its DST dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.bookings.rules import Held, SiteCalendar
from app.core.time import WEEKDAYS, WeeklyMinutes, weekly_minutes

LA = ZoneInfo("America/Los_Angeles")
SPRING_FORWARD = date(2026, 3, 8)  # a Sunday of 23 hours: 02:00 jumps to 03:00
FALL_BACK = date(2026, 11, 1)  # a Sunday of 25 hours: 01:00-02:00 happens twice
TUESDAY = date(2026, 3, 3)  # an ordinary school day (PST)
SCHOOL_DAYS = WEEKDAYS[:5]


def at(day: date, hhmm: str) -> datetime:
    """Wall-clock time at the site as a UTC instant, as the service passes instants
    (aware datetimes sharing one tzinfo subtract as wall clocks); "24:00" is the next
    local midnight."""
    hours, minutes = int(hhmm[:2]), int(hhmm[3:])
    if hours == 24:
        day, hours = day + timedelta(days=1), 0
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=LA).astimezone(UTC)


def weekly(*windows: tuple[str, str], days: tuple[str, ...] = WEEKDAYS) -> WeeklyMinutes:
    return weekly_minutes({d: list(windows) for d in days})


def held(day: date, start: str, end: str) -> Held:
    return Held(at(day, start), at(day, end))


def school(
    *,
    open_hours: WeeklyMinutes | None = None,
    closures: tuple[tuple[date, date], ...] = (),
    recesses: tuple[tuple[date, date], ...] = (),
) -> SiteCalendar:
    """Open 06:00-22:00 every day; reserved for instruction 08:00-15:00 on school days."""
    return SiteCalendar(
        tz=LA,
        open_hours=open_hours or weekly(("06:00", "22:00")),
        reserved_hours=weekly(("08:00", "15:00"), days=SCHOOL_DAYS),
        closures=closures,
        recesses=recesses,
    )


def minutes(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))
