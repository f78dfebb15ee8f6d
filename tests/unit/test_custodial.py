"""Contract section 5, custodial coverage of one site date: beyond-hours minutes, the
call-out minimum, one custodian for overlapping bookings, rounding up to 15 minutes."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.time import parse_hhmm
from app.costs.custodial import Span, beyond_hours, bill_site_date, merge, round_up, subtract

CALLOUT = 120  # the contract's default min_callout_minutes


def span(start: str, end: str) -> Span:
    return (parse_hhmm(start, is_end=False), parse_hhmm(end, is_end=True))


DAY_SHIFT = [span("06:00", "18:00")]


def bill(
    *coverage: Span, custodial: list[Span] = DAY_SHIFT, callout: int = CALLOUT
) -> tuple[int, int]:
    """(beyond-hours minutes, billed minutes) of one site date."""
    b = bill_site_date(list(coverage), custodial, callout)
    return b.beyond_minutes, b.billed_minutes


# --- coverage and beyond-hours minutes -----------------------------------------------


def test_coverage_inside_custodial_hours_bills_nothing() -> None:
    assert bill(span("09:00", "17:00")) == (0, 0)


def test_a_booking_ending_when_the_shift_ends_bills_nothing() -> None:
    assert bill(span("16:00", "18:00")) == (0, 0)


def test_only_the_minutes_outside_custodial_hours_are_beyond_hours() -> None:
    assert beyond_hours([span("05:00", "20:00")], DAY_SHIFT) == [
        span("05:00", "06:00"),
        span("18:00", "20:00"),
    ]


def test_overlapping_bookings_share_one_custodian() -> None:
    gym, multipurpose_room = span("19:00", "21:00"), span("20:00", "22:00")
    assert bill(gym, multipurpose_room) == (180, 180)  # one coverage 19:00-22:00, not two


def test_the_gap_between_two_bookings_is_not_covered() -> None:
    assert bill(span("18:00", "19:00"), span("20:00", "21:00")) == (
        120,
        180,
    )  # 60 extended + 120 call-out


# --- extensions and call-outs ---------------------------------------------------


def test_a_segment_extending_a_custodial_shift_is_billed_as_it_is() -> None:
    assert bill(span("17:00", "19:30")) == (90, 90)


def test_a_segment_leading_into_a_custodial_shift_is_billed_as_it_is() -> None:
    assert bill(span("05:00", "07:00")) == (60, 60)


def test_a_call_out_is_billed_at_least_the_minimum() -> None:
    assert bill(span("19:00", "20:00")) == (60, 120)


def test_a_call_out_longer_than_the_minimum_is_billed_as_it_is() -> None:
    assert bill(span("19:00", "21:30")) == (150, 150)


def test_the_call_out_minimum_follows_the_agreements_min_callout_minutes() -> None:
    assert bill(span("19:00", "20:00"), callout=180) == (60, 180)


def test_a_segment_starting_one_minute_after_the_shift_is_a_call_out() -> None:
    assert bill(span("18:01", "19:00")) == (59, 120)


def test_two_separate_call_outs_each_get_the_minimum() -> None:
    assert bill(span("19:00", "19:30"), span("21:00", "21:30")) == (60, 240)


def test_bridging_two_call_outs_makes_one_segment_billed_one_minimum() -> None:
    assert bill(span("19:00", "19:30"), span("20:00", "20:30")) == (60, 240)
    assert bill(span("19:00", "19:30"), span("19:30", "20:00"), span("20:00", "20:30")) == (90, 120)


def test_coverage_between_two_custodial_windows_extends_both_and_is_billed_as_it_is() -> None:
    split_shift = [span("06:00", "10:00"), span("14:00", "22:00")]
    assert bill(span("09:00", "15:00"), custodial=split_shift, callout=300) == (240, 240)


def test_on_a_day_without_custodial_hours_every_segment_is_a_call_out() -> None:
    assert bill(span("10:00", "11:00"), custodial=[]) == (60, 120)


def test_a_shift_ending_at_24_00_covers_the_last_hour_of_the_day() -> None:
    assert bill(span("23:00", "24:00"), custodial=[span("14:00", "24:00")]) == (0, 0)


def test_a_booking_until_midnight_after_an_evening_shift_extends_it() -> None:
    assert bill(span("20:00", "24:00"), custodial=[span("14:00", "22:00")]) == (120, 120)


# --- rounding up ----------------------------------------------------------------


def test_the_site_dates_total_is_rounded_up_to_a_multiple_of_15() -> None:
    assert bill(span("18:00", "18:01")) == (1, 15)


def test_a_total_already_a_multiple_of_15_is_not_rounded() -> None:
    assert bill(span("18:00", "18:45")) == (45, 45)


def test_rounding_applies_to_the_site_dates_total_not_to_each_segment() -> None:
    assert bill(span("05:53", "06:00"), span("18:00", "18:07")) == (14, 15)


def test_round_up_goes_to_the_next_multiple_of_15() -> None:
    assert [round_up(m) for m in (0, 1, 14, 15, 16, 121)] == [0, 15, 15, 15, 30, 135]


# --- merge and subtract ---------------------------------------------------------


def test_merge_sorts_and_joins_overlapping_and_touching_spans() -> None:
    assert merge([(300, 400), (0, 60), (60, 90), (350, 420)]) == [(0, 90), (300, 420)]


def test_merge_drops_empty_spans() -> None:
    assert merge([(60, 60), (90, 30)]) == []


def test_subtract_leaves_the_maximal_pieces_outside_the_holes() -> None:
    assert subtract([(0, 1440)], [(360, 600), (600, 720), (1000, 1100)]) == [
        (0, 360),
        (720, 1000),
        (1100, 1440),
    ]


# --- properties -----------------------------------------------------------------

DAY = 25 * 60  # the longest site date (fall back)
spans = st.lists(
    st.tuples(st.integers(0, DAY - 1), st.integers(1, 300)).map(
        lambda t: (t[0], min(DAY, t[0] + t[1]))
    ),
    max_size=6,
)
custodial_hours = st.lists(
    st.tuples(st.integers(0, DAY - 1), st.integers(1, 600)).map(
        lambda t: (t[0], min(DAY, t[0] + t[1]))
    ),
    max_size=3,
)
callouts = st.sampled_from([0, 60, 120, 180])


def reference_bill(coverage: list[Span], custodial: list[Span], callout: int) -> tuple[int, int]:
    """Section 5 minute by minute, to check the interval arithmetic against."""
    covered = {m for s, e in coverage for m in range(s, e)}
    scheduled = {m for s, e in custodial for m in range(s, e)}
    beyond = sorted(covered - scheduled)
    runs: list[list[int]] = []
    for m in beyond:
        if runs and runs[-1][-1] == m - 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    billed = 0
    for run in runs:
        touches = run[0] - 1 in scheduled or run[-1] + 1 in scheduled
        billed += len(run) if touches else max(len(run), callout)
    return len(beyond), -(-billed // 15) * 15


@settings(max_examples=200, deadline=None)
@given(spans, custodial_hours, callouts)
def test_billing_matches_a_minute_by_minute_count(
    coverage: list[Span], custodial: list[Span], callout: int
) -> None:
    assert bill(*coverage, custodial=custodial, callout=callout) == reference_bill(
        coverage, custodial, callout
    )


@settings(max_examples=100, deadline=None)
@given(spans, custodial_hours, callouts)
def test_billed_minutes_are_a_multiple_of_15_and_never_below_beyond_minutes(
    coverage: list[Span], custodial: list[Span], callout: int
) -> None:
    beyond, billed = bill(*coverage, custodial=custodial, callout=callout)
    assert billed % 15 == 0 and billed >= beyond


@settings(max_examples=100, deadline=None)
@given(custodial_hours.filter(bool), st.data())
def test_a_booking_entirely_inside_custodial_hours_costs_nothing(
    custodial: list[Span], data: st.DataObject
) -> None:
    s, e = data.draw(st.sampled_from(custodial))
    start = data.draw(st.integers(s, e - 1))
    end = data.draw(st.integers(start + 1, e))
    assert bill((start, end), custodial=custodial) == (0, 0)


@settings(max_examples=100, deadline=None)
@given(spans, st.permutations(range(6)))
def test_merge_does_not_depend_on_the_order_spans_are_given_in(
    given_spans: list[Span], order: list[int]
) -> None:
    shuffled = [given_spans[i] for i in order if i < len(given_spans)]
    merged = merge(given_spans)
    assert merge(shuffled) == merged == merge(merged)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))  # disjoint, not touching, sorted


@settings(max_examples=100, deadline=None)
@given(spans, st.permutations(range(6)), custodial_hours, callouts)
def test_the_bill_does_not_depend_on_the_order_bookings_are_given_in(
    coverage: list[Span], order: list[int], custodial: list[Span], callout: int
) -> None:
    shuffled = [coverage[i] for i in order if i < len(coverage)]
    assert bill(*shuffled, custodial=custodial, callout=callout) == bill(
        *coverage, custodial=custodial, callout=callout
    )


@settings(max_examples=100, deadline=None)
@given(spans, spans, custodial_hours, callouts)
def test_adding_coverage_never_lowers_beyond_hours_minutes(
    coverage: list[Span], more: list[Span], custodial: list[Span], callout: int
) -> None:
    before, _ = bill(*coverage, custodial=custodial, callout=callout)
    after, _ = bill(*coverage, *more, custodial=custodial, callout=callout)
    assert after >= before


@settings(max_examples=100, deadline=None)
@given(spans, spans, custodial_hours)
def test_without_a_call_out_minimum_adding_coverage_never_lowers_billed_minutes(
    coverage: list[Span], more: list[Span], custodial: list[Span]
) -> None:
    # With a minimum, joining two call-outs into one segment can lower the bill (see the
    # bridging test above), so monotonicity holds for billed minutes only without one.
    _, before = bill(*coverage, custodial=custodial, callout=0)
    _, after = bill(*coverage, *more, custodial=custodial, callout=0)
    assert after >= before
