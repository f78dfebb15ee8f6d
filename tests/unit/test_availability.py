"""Contract section 3, availability: free and busy blocks from open hours, reserved hours
(outside recess), closures and held bookings, merged and sorted."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.bookings.availability import Block, timeline
from app.bookings.rules import Held, SiteCalendar
from tests.unit.support import (
    FALL_BACK,
    LA,
    SPRING_FORWARD,
    TUESDAY,
    at,
    held,
    minutes,
    school,
    weekly,
)

WEDNESDAY = TUESDAY + timedelta(days=1)


def day_view(cal: SiteCalendar, bookings: list[Held], day: date = TUESDAY) -> tuple[list, list]:  # type: ignore[type-arg]
    """One local day as readable (start, end[, reason]) rows in site time."""
    return view(cal, bookings, at(day, "00:00"), at(day, "24:00"))


def view(
    cal: SiteCalendar, bookings: list[Held], start: datetime, end: datetime
) -> tuple[list, list]:  # type: ignore[type-arg]
    free, busy = timeline(cal, bookings, start, end)
    return [(clock(b.start), clock(b.end)) for b in free], [
        (clock(b.start), clock(b.end), b.reason) for b in busy
    ]


def clock(t: datetime) -> str:
    local = t.astimezone(LA)
    return local.strftime("%H:%M") if local.date() == TUESDAY else local.strftime("%a %H:%M")


def test_a_school_day_is_closed_reserved_and_free_as_its_hours_say() -> None:
    free, busy = day_view(school(), [])
    assert free == [("06:00", "08:00"), ("15:00", "22:00")]
    assert busy == [
        ("00:00", "06:00", "closed"),
        ("08:00", "15:00", "reserved"),
        ("22:00", "Wed 00:00", "closed"),
    ]


def test_a_held_booking_is_busy_including_its_setup_and_cleanup() -> None:
    booking = Held(at(TUESDAY, "17:45"), at(TUESDAY, "20:15"))  # 18:00-20:00 plus setup and cleanup
    free, busy = day_view(school(), [booking])
    assert ("17:45", "20:15", "booking") in busy
    assert free == [("06:00", "08:00"), ("15:00", "17:45"), ("20:15", "22:00")]


def test_back_to_back_bookings_merge_into_one_busy_block() -> None:
    _, busy = day_view(school(), [held(TUESDAY, "18:00", "19:00"), held(TUESDAY, "19:00", "20:00")])
    assert ("18:00", "20:00", "booking") in busy


def test_overlapping_bookings_merge_into_one_busy_block() -> None:
    _, busy = day_view(school(), [held(TUESDAY, "18:00", "19:30"), held(TUESDAY, "19:00", "20:00")])
    assert [b for b in busy if b[2] == "booking"] == [("18:00", "20:00", "booking")]


def test_a_booking_outranks_reserved_hours() -> None:
    _, busy = day_view(school(), [held(TUESDAY, "10:00", "11:00")])
    assert busy[1:4] == [
        ("08:00", "10:00", "reserved"),
        ("10:00", "11:00", "booking"),
        ("11:00", "15:00", "reserved"),
    ]


def test_closed_outranks_a_booking() -> None:
    _, busy = day_view(school(), [held(TUESDAY, "21:00", "23:00")])
    assert busy[-2:] == [("21:00", "22:00", "booking"), ("22:00", "Wed 00:00", "closed")]


def test_a_closure_day_is_one_closure_block_over_everything() -> None:
    cal = school(closures=((TUESDAY, TUESDAY),))
    free, busy = day_view(cal, [held(TUESDAY, "18:00", "20:00")])
    assert free == []
    assert busy == [("00:00", "Wed 00:00", "closure")]


def test_adjacent_closure_days_merge_into_one_block() -> None:
    cal = school(closures=((TUESDAY, WEDNESDAY),))
    free, busy = view(cal, [], at(TUESDAY, "00:00"), at(WEDNESDAY, "24:00"))
    assert free == []
    assert busy == [("00:00", "Thu 00:00", "closure")]


def test_reserved_hours_are_not_shown_during_a_recess() -> None:
    free, busy = day_view(school(recesses=((TUESDAY, TUESDAY),)), [])
    assert free == [("06:00", "22:00")]
    assert [b[2] for b in busy] == ["closed", "closed"]


def test_closed_hours_merge_across_midnight() -> None:
    _, busy = view(school(), [], at(TUESDAY, "20:00"), at(WEDNESDAY, "07:00"))
    assert busy == [("22:00", "Wed 06:00", "closed")]


def test_blocks_are_clipped_to_the_window_asked_for() -> None:
    free, busy = view(
        school(), [held(TUESDAY, "18:00", "20:00")], at(TUESDAY, "19:00"), at(TUESDAY, "21:00")
    )
    assert busy == [("19:00", "20:00", "booking")]
    assert free == [("20:00", "21:00")]


def test_a_booking_outside_the_window_is_not_shown() -> None:
    free, busy = view(
        school(), [held(TUESDAY, "18:00", "20:00")], at(TUESDAY, "20:00"), at(TUESDAY, "21:00")
    )
    assert (free, busy) == ([("20:00", "21:00")], [])


def test_open_hours_ending_at_24_00_leave_no_closed_block_before_midnight() -> None:
    _, busy = day_view(school(open_hours=weekly(("06:00", "24:00"))), [])
    assert busy[-1] == ("08:00", "15:00", "reserved")


def test_busy_blocks_do_not_name_who_booked() -> None:
    assert [f.name for f in dataclasses.fields(Block)] == ["start", "end", "reason"]


def test_the_spring_forward_day_shows_23_hours_with_five_closed_before_opening() -> None:
    free, busy = timeline(school(), [], at(SPRING_FORWARD, "00:00"), at(SPRING_FORWARD, "24:00"))
    assert [minutes(b.start, b.end) for b in busy] == [5 * 60, 2 * 60]
    assert sum(minutes(b.start, b.end) for b in free + busy) == 23 * 60


def test_the_fall_back_day_shows_25_hours_with_seven_closed_before_opening() -> None:
    free, busy = timeline(school(), [], at(FALL_BACK, "00:00"), at(FALL_BACK, "24:00"))
    assert [minutes(b.start, b.end) for b in busy] == [7 * 60, 2 * 60]
    assert sum(minutes(b.start, b.end) for b in free + busy) == 25 * 60


def test_an_evening_booking_on_the_fall_back_day_keeps_its_wall_clock_place() -> None:
    free, busy = timeline(
        school(),
        [held(FALL_BACK, "18:00", "20:00")],
        at(FALL_BACK, "00:00"),
        at(FALL_BACK, "24:00"),
    )
    assert [(b.start.astimezone(LA).hour, b.reason) for b in busy] == [
        (0, "closed"),
        (18, "booking"),
        (22, "closed"),
    ]
    assert [(b.start.astimezone(LA).hour, b.end.astimezone(LA).hour) for b in free] == [
        (6, 18),
        (20, 22),
    ]


# --- properties -----------------------------------------------------------------

BASE = at(date(2026, 10, 30), "00:00")  # Friday; the window may cross the fall-back Sunday
DAYS = [date(2026, 10, 30) + timedelta(days=n) for n in range(6)]
Case = tuple[SiteCalendar, list[Held], datetime, datetime]
RANK = {"closure": 0, "closed": 1, "booking": 2, "reserved": 3}


@st.composite
def situations(draw: st.DrawFn) -> Case:
    offset = draw(st.integers(0, 3 * 1440))
    length = draw(st.integers(1, 3 * 1440))
    spans = draw(st.lists(st.tuples(st.integers(0, 5 * 1440), st.integers(1, 600)), max_size=6))
    bookings = [
        Held(BASE + timedelta(minutes=s), BASE + timedelta(minutes=s + n)) for s, n in spans
    ]
    closed_days = draw(st.sets(st.sampled_from(DAYS), max_size=2))
    recess_days = draw(st.sets(st.sampled_from(DAYS), max_size=2))
    cal = school(
        closures=tuple((d, d) for d in closed_days), recesses=tuple((d, d) for d in recess_days)
    )
    start = BASE + timedelta(minutes=offset)
    return cal, bookings, start, start + timedelta(minutes=length)


@settings(max_examples=80, deadline=None)
@given(situations())
def test_free_and_busy_exactly_cover_the_window_sorted_without_overlaps(case: Case) -> None:
    cal, bookings, start, end = case
    free, busy = timeline(cal, bookings, start, end)
    for blocks in (free, busy):
        assert blocks == sorted(blocks, key=lambda b: b.start)
    every = sorted(free + busy, key=lambda b: b.start)
    assert every[0].start == start and every[-1].end == end
    for before, after in itertools.pairwise(every):
        assert before.end == after.start  # no gap, no overlap
        assert before.reason != after.reason  # adjacent blocks of one kind are merged
    assert all(b.start < b.end for b in every)
    assert all(b.reason is None for b in free) and all(b.reason in RANK for b in busy)


@settings(max_examples=80, deadline=None)
@given(situations())
def test_every_held_minute_shows_busy_with_booking_or_a_stronger_reason(case: Case) -> None:
    cal, bookings, start, end = case
    _, busy = timeline(cal, bookings, start, end)
    for h in bookings:
        lo, hi = max(h.start, start), min(h.end, end)
        if lo >= hi:
            continue
        covering = [b for b in busy if b.start < hi and lo < b.end]
        assert covering[0].start <= lo and covering[-1].end >= hi
        assert all(RANK[b.reason] <= RANK["booking"] for b in covering)  # type: ignore[index]
        assert all(x.end == y.start for x, y in itertools.pairwise(covering))


@settings(max_examples=60, deadline=None)
@given(situations())
def test_a_closure_day_is_busy_closure_all_day(case: Case) -> None:
    cal, bookings, start, end = case
    _free, busy = timeline(cal, bookings, start, end)
    for first, _ in cal.closures:
        lo, hi = max(at(first, "00:00"), start), min(at(first, "24:00"), end)
        if lo < hi:
            assert any(b.reason == "closure" and b.start <= lo and hi <= b.end for b in busy)


@settings(max_examples=60, deadline=None)
@given(situations())
def test_no_reserved_block_falls_on_a_recess_day(case: Case) -> None:
    cal, bookings, start, end = case
    _, busy = timeline(cal, bookings, start, end)
    for first, _ in cal.recesses:
        day_start, day_end = at(first, "00:00"), at(first, "24:00")
        assert not any(
            b.reason == "reserved" and b.start < day_end and day_start < b.end for b in busy
        )


def test_held_windows_that_touch_or_overlap_are_one_run():
    from app.core.time import merged_windows

    held = [(25, 30), (0, 10), (10, 20), (15, 18), (28, 40), (41, 42)]
    assert merged_windows(held) == [(0, 20), (25, 40), (41, 42)]
    assert merged_windows([]) == []
