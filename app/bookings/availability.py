"""A space's free and busy time: open hours, reserved hours (outside recess),
closures and held bookings, merged into one sorted timeline. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.bookings.rules import Held, SiteCalendar
from app.core.time import day_windows_utc, local_days, wall_to_utc

# When reasons overlap, the block shows the strongest one.
REASON_RANK = {"closure": 0, "closed": 1, "booking": 2, "reserved": 3}


@dataclass(frozen=True, slots=True)
class Block:
    start: datetime
    end: datetime
    reason: str | None = None


def busy_spans(cal: SiteCalendar, held: Sequence[Held], start: datetime, end: datetime) -> list[Block]:
    """Every reason the space is busy in [start, end), before merging."""
    spans: list[Block] = [Block(h.start, h.end, "booking") for h in held]
    for day in local_days(start, end, cal.tz):
        day_start, day_end = wall_to_utc(day, 0, cal.tz), wall_to_utc(day, 24 * 60, cal.tz)
        if cal.closed_on(day):
            spans.append(Block(day_start, day_end, "closure"))
            continue
        cursor = day_start
        for ws, we in day_windows_utc(day, cal.open_hours, cal.tz, merge_touching=True):
            if ws > cursor:
                spans.append(Block(cursor, ws, "closed"))
            cursor = max(cursor, we)
        if cursor < day_end:
            spans.append(Block(cursor, day_end, "closed"))
        if not cal.in_recess(day):
            spans.extend(Block(s, e, "reserved") for s, e in day_windows_utc(day, cal.reserved_hours, cal.tz))
    return spans


def timeline(
    cal: SiteCalendar, held: Sequence[Held], start: datetime, end: datetime
) -> tuple[list[Block], list[Block]]:
    """(free, busy) blocks covering [start, end) exactly, sorted; adjacent busy blocks
    with the same reason merged; no block names who booked."""
    spans = [
        Block(max(b.start, start), min(b.end, end), b.reason)
        for b in busy_spans(cal, held, start, end)
        if b.start < end and b.end > start
    ]
    points = sorted({start, end, *(b.start for b in spans), *(b.end for b in spans)})
    # Sweep elementary intervals; for each, the strongest reason active over it.
    by_start = sorted(spans, key=lambda b: b.start)
    active: list[Block] = []
    i = 0
    free: list[Block] = []
    busy: list[Block] = []
    for a, b in zip(points, points[1:], strict=False):
        while i < len(by_start) and by_start[i].start <= a:
            active.append(by_start[i])
            i += 1
        active = [x for x in active if x.end > a]
        reason = min((x.reason for x in active), key=lambda r: REASON_RANK[r or "booking"], default=None)
        out = busy if reason else free
        if out and out[-1].end == a and out[-1].reason == reason:
            out[-1] = Block(out[-1].start, b, reason)
        else:
            out.append(Block(a, b, reason))
    return free, busy
