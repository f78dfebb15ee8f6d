"""A booking's standalone quote: the rent it does not pay, and its custodial cost as
if it were alone on its site date(s), split between the agreement's parties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.core.money import cost_of_minutes, largest_remainder
from app.core.time import WeeklyMinutes, local_days, wall_to_utc
from app.costs.custodial import Span, bill_site_date


@dataclass(frozen=True, slots=True)
class QuoteFigures:
    rental_fee_waived_cents: int
    custodial_minutes: int
    custodial_cost_cents: int
    cost_shares_cents: dict[str, int]


NO_COST = QuoteFigures(0, 0, 0, {})


def _minutes(delta: timedelta) -> int:
    return int(delta // timedelta(minutes=1))


def day_spans(
    day: date, tz: ZoneInfo, intervals: Sequence[tuple[datetime, datetime]]
) -> list[Span]:
    """Instants clipped to a local date, as elapsed minutes from its local midnight."""
    day_start, day_end = wall_to_utc(day, 0, tz), wall_to_utc(day, 24 * 60, tz)
    return [
        (_minutes(max(s, day_start) - day_start), _minutes(min(e, day_end) - day_start))
        for s, e in intervals
        if s < day_end and e > day_start
    ]


def custodial_windows(day: date, tz: ZoneInfo, custodial_hours: WeeklyMinutes) -> list[Span]:
    windows = [(wall_to_utc(day, s, tz), wall_to_utc(day, e, tz)) for s, e in custodial_hours[day.weekday()]]
    return day_spans(day, tz, windows)


def split_by_shares(amount: int, shares: Sequence[tuple[int, int]]) -> dict[str, int]:
    """`shares` are (party_id, percent) in `party_ids` order: the first party gets ties."""
    return {str(k): v for k, v in largest_remainder(amount, list(shares)).items()}


def standalone_quote(
    *,
    start: datetime,
    end: datetime,
    held: tuple[datetime, datetime],
    tz: ZoneInfo,
    custodial_hours: WeeklyMinutes,
    custodial_rate_cents_per_hour: int,
    standard_rate_cents_per_hour: int,
    min_callout_minutes: int,
    shares: Sequence[tuple[int, int]],
) -> QuoteFigures:
    billed = 0
    cost = 0
    for day in local_days(held[0], held[1], tz):
        bill = bill_site_date(
            day_spans(day, tz, [held]), custodial_windows(day, tz, custodial_hours), min_callout_minutes
        )
        billed += bill.billed_minutes
        cost += cost_of_minutes(bill.billed_minutes, custodial_rate_cents_per_hour)
    return QuoteFigures(
        rental_fee_waived_cents=cost_of_minutes(_minutes(end - start), standard_rate_cents_per_hour),
        custodial_minutes=billed,
        custodial_cost_cents=cost,
        cost_shares_cents=split_by_shares(cost, shares),
    )
