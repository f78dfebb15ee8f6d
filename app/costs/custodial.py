"""Custodial coverage beyond normal scheduled hours (contract section 5), as pure
functions over minutes of one site date. A site date is measured in elapsed minutes
from its local midnight, so DST days have 1380 or 1500 minutes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.core.time import merged_windows

Span = tuple[int, int]  # [start, end) in elapsed minutes of a site date
BILLING_STEP_MINUTES = 15


def merge(spans: Iterable[Span]) -> list[Span]:
    """Union of spans, sorted; touching spans join; empty ones are dropped."""
    return merged_windows(x for x in spans if x[0] < x[1])


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """`spans` minus `holes` (both merged), as maximal spans."""
    out: list[Span] = []
    for s, e in spans:
        cur = s
        for hs, he in holes:
            if he <= cur or hs >= e:
                continue
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
            if cur >= e:
                break
        if cur < e:
            out.append((cur, e))
    return out


def beyond_hours(coverage: Iterable[Span], custodial: Iterable[Span]) -> list[Span]:
    """Maximal segments of coverage outside scheduled custodial hours."""
    return subtract(merge(coverage), merge(custodial))


def round_up(minutes: int, step: int = BILLING_STEP_MINUTES) -> int:
    return -(-minutes // step) * step


@dataclass(frozen=True, slots=True)
class SiteDateBill:
    beyond_minutes: int  # coverage minutes outside custodial hours
    billed_minutes: int  # after call-out minimums and rounding up to 15


def bill_site_date(
    coverage: Iterable[Span],
    custodial: Iterable[Span],
    min_callout_minutes: int | Callable[[Span], int],
    *,
    shift_edges: Iterable[int] = (),
) -> SiteDateBill:
    """A segment that extends a scheduled window is billed as it is; one that does not
    touch any (a call-out) is billed at least `min_callout_minutes` (a number, or a
    function of the segment when bookings with different terms share a site date).
    `shift_edges` are further instants where a shift starts or ends: midnight, when the
    day before ends its shift at 24:00 or the day after starts one at 00:00."""
    scheduled = merge(custodial)
    edges = {s for s, _ in scheduled} | {e for _, e in scheduled} | set(shift_edges)
    minimum = (
        min_callout_minutes if callable(min_callout_minutes) else (lambda _: min_callout_minutes)
    )
    beyond = 0
    billed = 0
    for s, e in subtract(merge(coverage), scheduled):
        length = e - s
        beyond += length
        billed += length if (s in edges or e in edges) else max(length, minimum((s, e)))
    return SiteDateBill(beyond_minutes=beyond, billed_minutes=round_up(billed))
