"""A space's free and busy time: open hours, reserved hours (outside recess),
closures and held bookings, merged into one sorted timeline. Pure functions.

Instants are integer microseconds since the epoch here: availability is a hot read,
and a week of it is a few hundred comparisons that datetime objects would make
several times slower. A site date's calendar spans depend only on its weekday's
windows, its zone and whether it is closed or in recess, so they are memoized."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.bookings.rules import Held, SiteCalendar
from app.core.time import MINUTES_PER_DAY, merged_windows, wall_to_utc

# When reasons overlap, the block shows the strongest one (lowest rank).
REASONS = ("closure", "closed", "booking", "reserved")
CLOSURE, CLOSED, BOOKING, RESERVED = range(4)
US = 1_000_000  # microseconds per second

Span = tuple[int, int, int]  # (start µs, end µs, reason rank)
Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Block:
    start: datetime
    end: datetime
    reason: str | None = None


def micros(t: datetime) -> int:
    """An aware instant as integer microseconds since the epoch (exact)."""
    delta = t - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _wall_us(day: date, minute: int, tz: ZoneInfo) -> int:
    return micros(wall_to_utc(day, minute, tz))


@lru_cache(maxsize=8192)
def day_spans(
    day: date,
    tz: ZoneInfo,
    open_windows: tuple[tuple[int, int], ...],
    reserved_windows: tuple[tuple[int, int], ...],
    closed: bool,
    recess: bool,
) -> tuple[Span, ...]:
    """The calendar's busy spans of one local date: a closure, or outside open hours
    (`closed`) and the owner's reserved hours unless in recess."""
    day_start, day_end = _wall_us(day, 0, tz), _wall_us(day, MINUTES_PER_DAY, tz)
    if closed:
        return ((day_start, day_end, CLOSURE),)
    spans: list[Span] = []
    cursor = day_start
    for s, e in merged_windows(open_windows):
        ws, we = _wall_us(day, s, tz), _wall_us(day, e, tz)
        if ws > cursor:
            spans.append((cursor, ws, CLOSED))
        cursor = max(cursor, we)
    if cursor < day_end:
        spans.append((cursor, day_end, CLOSED))
    if not recess:
        spans.extend(
            (_wall_us(day, s, tz), _wall_us(day, e, tz), RESERVED) for s, e in reserved_windows
        )
    return tuple(spans)


def calendar_spans(cal: SiteCalendar, start: int, end: int) -> list[Span]:
    """Calendar spans of every local date that [start, end) touches."""
    tz = cal.tz
    first = instant(start).astimezone(tz).date()
    last = instant(end - 1).astimezone(tz).date()
    spans: list[Span] = []
    day = first
    while day <= last:
        weekday = day.weekday()
        spans.extend(
            day_spans(
                day, tz, cal.open_hours[weekday], cal.reserved_hours[weekday],
                cal.closed_on(day), cal.in_recess(day),
            )
        )
        day += timedelta(days=1)
    return spans


def sweep(spans: Sequence[Span], start: int, end: int) -> tuple[list[Interval], list[Span]]:
    """(free, busy) covering [start, end) exactly, sorted; where spans overlap, the
    strongest reason wins; adjacent busy time with the same reason is one block."""
    events: list[tuple[int, int, int]] = []
    for s, e, rank in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            events.append((s, 1, rank))
            events.append((e, -1, rank))
    events.sort()
    active = [0, 0, 0, 0]
    free: list[Interval] = []
    busy: list[Span] = []
    cut, current = start, -1  # -1: free
    i, n = 0, len(events)
    while i < n:
        t = events[i][0]
        while i < n and events[i][0] == t:
            active[events[i][2]] += events[i][1]
            i += 1
        strongest = (
            CLOSURE if active[CLOSURE] else CLOSED if active[CLOSED]
            else BOOKING if active[BOOKING] else RESERVED if active[RESERVED] else -1
        )
        if strongest != current:
            if t > cut:
                if current < 0:
                    free.append((cut, t))
                else:
                    busy.append((cut, t, current))
            cut, current = t, strongest
    if cut < end:
        if current < 0:
            free.append((cut, end))
        else:
            busy.append((cut, end, current))
    return free, busy


def timeline_us(
    cal: SiteCalendar, held: Sequence[Interval], start: int, end: int
) -> tuple[list[Interval], list[Span]]:
    """The space's timeline over [start, end) in microseconds; `held` are the held
    windows of its bookings. No block names who booked."""
    spans = calendar_spans(cal, start, end)
    # Joined first: a busy evening of back-to-back bookings is one run, not a dozen pairs
    # of events for the sweep to sort.
    spans.extend((s, e, BOOKING) for s, e in merged_windows(held))
    return sweep(spans, start, end)


def timeline(
    cal: SiteCalendar, held: Sequence[Held], start: datetime, end: datetime
) -> tuple[list[Block], list[Block]]:
    """`timeline_us` in datetimes."""
    free, busy = timeline_us(
        cal, [(micros(h.start), micros(h.end)) for h in held], micros(start), micros(end)
    )
    return (
        [Block(instant(s), instant(e)) for s, e in free],
        [Block(instant(s), instant(e), REASONS[r]) for s, e, r in busy],
    )


@lru_cache(maxsize=16384)
def iso(us: int) -> str:
    """An instant as RFC 3339 in UTC, as pydantic writes a UTC datetime."""
    seconds, fraction = divmod(us, US)
    text = (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{fraction:06d}Z" if fraction else f"{text}Z"
