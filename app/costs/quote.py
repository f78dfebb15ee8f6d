"""A booking's standalone quote: the rent it does not pay, and its custodial cost as
if it were alone on its site date(s), split between the agreement's parties."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.core.money import cost_of_minutes, largest_remainder
from app.core.time import WeeklyMinutes, local_days
from app.costs.allocation import custodial_windows, day_spans, midnight_shift_edges, minutes_of
from app.costs.custodial import bill_site_date as bill_segments


@dataclass(frozen=True, slots=True)
class QuoteFigures:
    rental_fee_waived_cents: int
    custodial_minutes: int
    custodial_cost_cents: int
    cost_shares_cents: dict[str, int]


NO_COST = QuoteFigures(0, 0, 0, {})


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
    """The booking billed exactly as a statement bills it, as if alone on its site date:
    `allocation.bill_site_date` for one booking, without the allocation (the booking
    bears all of it), since every new booking is quoted."""
    billed = 0
    cost = 0
    for day in local_days(held[0], held[1], tz):
        spans = day_spans(day, tz, [held])
        if not spans:
            continue
        bill = bill_segments(
            spans, custodial_windows(day, tz, custodial_hours), min_callout_minutes,
            shift_edges=midnight_shift_edges(day, tz, custodial_hours),
        )
        billed += bill.billed_minutes
        cost += cost_of_minutes(bill.billed_minutes, custodial_rate_cents_per_hour)
    return QuoteFigures(
        rental_fee_waived_cents=cost_of_minutes(
            minutes_of(end - start), standard_rate_cents_per_hour
        ),
        custodial_minutes=billed,
        custodial_cost_cents=cost,
        cost_shares_cents=split_by_shares(cost, shares),
    )
