"""Custodial cost of a site date, allocated to the bookings that caused it and split
between each booking's agreement parties (contract section 5). Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.core.money import cost_of_minutes, largest_remainder
from app.core.time import WeeklyMinutes, wall_to_utc
from app.costs.custodial import Span, merge, subtract
from app.costs.custodial import bill_site_date as bill_segments


def minutes_of(delta: timedelta) -> int:
    return int(delta // timedelta(minutes=1))


# A site date's bounds and scheduled windows depend only on the date, the zone and the
# weekly hours: memoized, since every quote and every re-billing asks for them.


@lru_cache(maxsize=8192)
def _bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return wall_to_utc(day, 0, tz), wall_to_utc(day, 24 * 60, tz)


def day_spans(
    day: date, tz: ZoneInfo, intervals: Sequence[tuple[datetime, datetime]]
) -> list[Span]:
    """Instants clipped to a local date, as elapsed minutes from its local midnight."""
    day_start, day_end = _bounds(day, tz)
    return [
        (minutes_of(max(s, day_start) - day_start), minutes_of(min(e, day_end) - day_start))
        for s, e in intervals
        if s < day_end and e > day_start
    ]


@lru_cache(maxsize=8192)
def midnight_shift_edges(
    day: date, tz: ZoneInfo, custodial_hours: WeeklyMinutes
) -> tuple[int, ...]:
    """A shift ending at 24:00 the day before, or starting at 00:00 the day after, meets
    this date at its midnights: coverage continuing it is not a call-out."""
    edges = []
    if any(e == 24 * 60 for _, e in custodial_hours[(day - timedelta(days=1)).weekday()]):
        edges.append(0)
    if any(s == 0 for s, _ in custodial_hours[(day + timedelta(days=1)).weekday()]):
        day_start, day_end = _bounds(day, tz)
        edges.append(minutes_of(day_end - day_start))
    return tuple(edges)


@lru_cache(maxsize=8192)
def custodial_windows(day: date, tz: ZoneInfo, custodial_hours: WeeklyMinutes) -> tuple[Span, ...]:
    """The date's scheduled custodial windows, merged, in minutes from local midnight."""
    windows = [
        (wall_to_utc(day, s, tz), wall_to_utc(day, e, tz))
        for s, e in custodial_hours[day.weekday()]
    ]
    return tuple(merge(day_spans(day, tz, windows)))


@dataclass(frozen=True, slots=True)
class CoveringBooking:
    """A booking that counts in coverage: confirmed under an agreement, or cancelled
    late. `shares` are (party_id, percent) in the agreement's `party_ids` order."""

    id: int
    start: datetime
    held_start: datetime
    held_end: datetime
    min_callout_minutes: int
    shares: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Charge:
    """One booking's part of one site date."""

    booking_id: int
    beyond_minutes: int  # the booking's own minutes outside custodial hours
    billed_minutes: int
    cost_cents: int
    shares_cents: dict[int, int]


@dataclass(frozen=True, slots=True)
class SiteDateBill:
    day: date
    coverage_minutes: int
    beyond_minutes: int
    billed_minutes: int
    cost_cents: int
    charges: list[Charge]


def _segment_minimum(segment: Span, spans: dict[int, Span], callout: dict[int, int]) -> int:
    """A call-out is billed at least the largest minimum of the bookings it serves."""
    s, e = segment
    return max((callout[b] for b, (bs, be) in spans.items() if bs < e and s < be), default=0)


def bill_site_date(
    day: date,
    tz: ZoneInfo,
    custodial_hours: WeeklyMinutes,
    rate_cents_per_hour: int,
    bookings: Sequence[CoveringBooking],
) -> SiteDateBill:
    """One custodian covers the union of the held windows: overlapping bookings
    share one coverage. Beyond-hours segments extending a scheduled window are billed
    as they are, call-outs at least the minimum; the total rounds up to 15 minutes;
    cost and billed minutes go to bookings in proportion to their own beyond-hours
    minutes (ties: earlier start, then lower id), each part split by cost shares
    (ties: the party listed first)."""
    ordered = sorted(bookings, key=lambda b: (b.start, b.id))
    spans: dict[int, Span] = {}
    for b in ordered:
        clipped = day_spans(day, tz, [(b.held_start, b.held_end)])
        if clipped:
            spans[b.id] = clipped[0]
    scheduled = list(custodial_windows(day, tz, custodial_hours))
    coverage = merge(spans.values())
    callout = {b.id: b.min_callout_minutes for b in ordered}
    bill = bill_segments(
        coverage,
        scheduled,
        lambda seg: _segment_minimum(seg, spans, callout),
        shift_edges=midnight_shift_edges(day, tz, custodial_hours),
    )
    billed = bill.billed_minutes
    cost = cost_of_minutes(billed, rate_cents_per_hour)
    own_beyond = {
        b_id: sum(e - s for s, e in subtract([span], scheduled)) for b_id, span in spans.items()
    }
    weights = [(b.id, own_beyond.get(b.id, 0)) for b in ordered if b.id in spans]
    cost_parts = largest_remainder(cost, weights) if weights else {}
    minute_parts = largest_remainder(billed, weights) if weights else {}
    charges = [
        Charge(
            booking_id=b.id,
            beyond_minutes=own_beyond[b.id],
            billed_minutes=minute_parts[b.id],
            cost_cents=cost_parts[b.id],
            shares_cents=largest_remainder(cost_parts[b.id], list(b.shares)),
        )
        for b in ordered
        if b.id in spans and own_beyond[b.id] > 0
    ]
    return SiteDateBill(
        day=day,
        coverage_minutes=sum(e - s for s, e in coverage),
        beyond_minutes=bill.beyond_minutes,
        billed_minutes=billed,
        cost_cents=cost,
        charges=charges,
    )
