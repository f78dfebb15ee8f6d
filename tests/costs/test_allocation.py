"""Contract section 5, one site date billed and allocated: one custodian for
overlapping bookings, parts in proportion to each booking's own beyond-hours minutes,
exact splits with the documented tie order, DST days, call-outs and extensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.time import WeeklyMinutes, wall_to_utc
from app.costs.allocation import CoveringBooking, SiteDateBill, bill_site_date, custodial_windows
from tests.unit.support import FALL_BACK, LA, SCHOOL_DAYS, SPRING_FORWARD, TUESDAY, at, weekly

CITY, DISTRICT, CHARTER = 1, 2, 3
HALVES = ((CITY, 50), (DISTRICT, 50))
DAY_SHIFT = weekly(("06:00", "18:00"), days=SCHOOL_DAYS)  # no custodian at weekends
RATE = 4200  # cents per hour


def booking(
    booking_id: int,
    start: str,
    end: str,
    *,
    day: date = TUESDAY,
    callout: int = 120,
    shares: tuple[tuple[int, int], ...] = HALVES,
) -> CoveringBooking:
    """A booking whose held window is `start`-`end` on the site's wall clock."""
    s, e = at(day, start), at(day, end)
    return CoveringBooking(booking_id, s, s, e, callout, shares)


def bill(
    *bookings: CoveringBooking,
    day: date = TUESDAY,
    custodial: WeeklyMinutes = DAY_SHIFT,
    rate: int = RATE,
) -> SiteDateBill:
    return bill_site_date(day, LA, custodial, rate, list(bookings))


def parts(b: SiteDateBill) -> dict[int, tuple[int, int]]:
    """Each booking's (billed minutes, cost cents)."""
    return {c.booking_id: (c.billed_minutes, c.cost_cents) for c in b.charges}


def splits(b: SiteDateBill) -> dict[int, dict[int, int]]:
    return {c.booking_id: c.shares_cents for c in b.charges}


# --- one custodian, allocation by own beyond-hours minutes ---------------------------


def test_overlapping_bookings_share_one_custodian():
    gym, multipurpose_room = booking(1, "18:00", "20:00"), booking(2, "19:00", "21:00")
    b = bill(gym, multipurpose_room)
    # One coverage 18:00-21:00 (180 minutes), not two of 120 each (240).
    assert (b.beyond_minutes, b.billed_minutes, b.cost_cents) == (180, 180, 12600)
    assert bill(gym).billed_minutes + bill(multipurpose_room).billed_minutes == 240


def test_the_cost_is_allocated_in_proportion_to_each_bookings_own_beyond_hours_minutes():
    # Beyond 18:00 the gym runs 120 minutes and the room 60: a 2:1 split of one coverage.
    b = bill(booking(1, "17:00", "20:00"), booking(2, "19:00", "20:00"))
    assert (b.billed_minutes, b.cost_cents) == (120, 8400)
    assert parts(b) == {1: (80, 5600), 2: (40, 2800)}


def test_a_tie_between_bookings_goes_to_the_one_that_starts_first():
    # 45 minutes at $42.01/h = 3151 cents; equal own minutes (30 each) leave 1 cent and
    # 1 minute over: the 18:00 booking gets them though it has the higher id and comes last.
    later, earlier = booking(1, "18:15", "18:45"), booking(2, "18:00", "18:30")
    b = bill(later, earlier, rate=4201)
    assert (b.billed_minutes, b.cost_cents) == (45, 3151)
    assert parts(b) == {2: (23, 1576), 1: (22, 1575)}


def test_a_tie_between_bookings_starting_together_goes_to_the_lower_id():
    b = bill(booking(7, "18:00", "18:45"), booking(3, "18:00", "18:45"), rate=4201)
    assert parts(b) == {3: (23, 1576), 7: (22, 1575)}


def test_each_bookings_part_is_split_by_its_own_agreements_cost_shares():
    # 60 minutes at $42.04/h = 4204 cents, 3:1 by own minutes: 3153 and 1051.
    b = bill(
        booking(1, "18:00", "19:00", shares=((CITY, 60), (DISTRICT, 40))),
        booking(2, "18:00", "18:20", shares=((CITY, 25), (CHARTER, 75))),
        rate=4204,
    )
    assert parts(b) == {1: (45, 3153), 2: (15, 1051)}
    assert splits(b) == {1: {CITY: 1892, DISTRICT: 1261}, 2: {CITY: 263, CHARTER: 788}}


def test_the_odd_cent_of_a_part_goes_to_the_party_listed_first():
    b = bill(
        booking(1, "18:00", "19:00", shares=((CITY, 50), (DISTRICT, 50))),
        booking(2, "18:00", "18:20", shares=((DISTRICT, 50), (CITY, 50))),
        rate=4204,
    )
    assert splits(b) == {1: {CITY: 1577, DISTRICT: 1576}, 2: {DISTRICT: 526, CITY: 525}}


def test_billed_minutes_are_allocated_the_same_way_as_the_cost():
    # 60 billed minutes over own minutes 60:50 -> 32.7 and 27.3: the spare minute, like
    # the spare cent of 4200 cents (2290.9 and 1909.1), goes to the larger remainder.
    b = bill(booking(1, "18:00", "19:00"), booking(2, "18:00", "18:50"))
    assert parts(b) == {1: (33, 2291), 2: (27, 1909)}


def test_the_minutes_added_by_rounding_up_are_allocated_too():
    # 10 beyond-hours minutes round up to 15, shared 5:10 like the cost of 1050 cents.
    b = bill(booking(1, "18:00", "18:05"), booking(2, "18:00", "18:10"))
    assert (b.beyond_minutes, b.billed_minutes) == (10, 15)
    assert parts(b) == {1: (5, 350), 2: (10, 700)}


def test_a_booking_entirely_inside_custodial_hours_gets_nothing():
    # It touches the evening booking, so coverage runs 16:00-19:00 without a break.
    inside, evening = booking(1, "16:00", "18:00"), booking(2, "18:00", "19:00")
    b = bill(inside, evening)
    assert parts(b) == {2: (60, 4200)}


# --- call-outs and extensions ---------------------------------------------------


def test_an_extension_is_billed_as_it_is_and_a_call_out_at_least_the_minimum():
    assert parts(bill(booking(1, "18:00", "19:00"))) == {1: (60, 4200)}
    assert parts(bill(booking(1, "19:00", "20:00"))) == {1: (120, 8400)}


def test_the_call_out_minimum_is_allocated_by_own_beyond_hours_minutes():
    # 60 extended + a 30-minute call-out billed 120: 180 minutes, shared 60:30.
    b = bill(booking(1, "18:00", "19:00"), booking(2, "20:00", "20:30"))
    assert (b.beyond_minutes, b.billed_minutes, b.cost_cents) == (90, 180, 12600)
    assert parts(b) == {1: (120, 8400), 2: (60, 4200)}


def test_coverage_up_to_a_shift_starting_at_midnight_extends_it():
    starts_wednesday = weekly(("00:00", "06:00"), days=("wed",))  # none on Tuesday itself
    b = bill(booking(1, "23:00", "24:00"), custodial=starts_wednesday)
    assert parts(b) == {1: (60, 4200)}


def test_coverage_after_a_shift_ending_at_midnight_extends_it():
    ends_monday = weekly(("18:00", "24:00"), days=("mon",))
    b = bill(booking(1, "00:00", "01:00"), custodial=ends_monday)
    assert parts(b) == {1: (60, 4200)}


def test_bookings_sharing_a_call_out_are_billed_the_largest_of_their_minimums():
    short = booking(1, "19:00", "20:00", callout=60)
    long = booking(2, "19:30", "20:00", callout=180)
    for given_order in ((short, long), (long, short)):
        b = bill(*given_order)
        assert (b.billed_minutes, b.cost_cents) == (180, 12600)
        assert parts(b) == {1: (120, 8400), 2: (60, 4200)}


def test_separate_call_outs_each_take_the_minimum_of_the_bookings_they_serve():
    b = bill(booking(1, "19:00", "19:30", callout=60), booking(2, "21:00", "21:30", callout=180))
    assert b.billed_minutes == 60 + 180


# --- DST days ---------------------------------------------------------------------


def test_a_spring_forward_site_date_has_23_hours():
    b = bill(booking(1, "00:00", "24:00", day=SPRING_FORWARD), day=SPRING_FORWARD)
    assert (b.coverage_minutes, b.billed_minutes, b.cost_cents) == (1380, 1380, 1380 * 70)


def test_a_fall_back_site_date_has_25_hours():
    b = bill(booking(1, "00:00", "24:00", day=FALL_BACK), day=FALL_BACK)
    assert (b.coverage_minutes, b.billed_minutes, b.cost_cents) == (1500, 1500, 1500 * 70)


def test_on_a_fall_back_night_each_booking_is_weighted_by_its_real_minutes():
    # 00:00-03:00 lasts four real hours (01:00-02:00 happens twice); 02:00-04:00 two.
    b = bill(
        booking(1, "00:00", "03:00", day=FALL_BACK),
        booking(2, "02:00", "04:00", day=FALL_BACK),
        day=FALL_BACK,
    )
    assert (b.beyond_minutes, b.billed_minutes, b.cost_cents) == (300, 300, 21000)
    assert parts(b) == {1: (200, 14000), 2: (100, 7000)}


def test_on_a_spring_forward_night_each_booking_is_weighted_by_its_real_minutes():
    # 00:00-03:00 lasts two real hours (02:00 jumps to 03:00); 03:00-04:00 one.
    day = SPRING_FORWARD
    b = bill(booking(1, "00:00", "03:00", day=day), booking(2, "03:00", "04:00", day=day), day=day)
    assert (b.beyond_minutes, b.billed_minutes, b.cost_cents) == (180, 180, 12600)
    assert parts(b) == {1: (120, 8400), 2: (60, 4200)}


# --- adding a booking with a call-out minimum -------------------------------------


def test_with_a_call_out_minimum_a_booking_bridging_two_call_outs_lowers_the_billed_minutes():
    two_call_outs = [booking(1, "19:00", "19:30"), booking(2, "20:00", "20:30")]
    assert bill(*two_call_outs).billed_minutes == 240
    # The contract's own rule: one maximal segment of 90 minutes is one call-out of 120.
    assert bill(*two_call_outs, booking(3, "19:30", "20:00")).billed_minutes == 120


def test_with_a_call_out_minimum_joining_a_call_out_to_the_shift_lowers_the_billed_minutes():
    assert bill(booking(1, "19:00", "19:30")).billed_minutes == 120
    # 18:00-19:30 now extends the shift: billed as it is.
    assert bill(booking(1, "19:00", "19:30"), booking(2, "18:00", "19:00")).billed_minutes == 90


# --- properties -----------------------------------------------------------------

DAYS = [TUESDAY, TUESDAY + timedelta(days=4), SPRING_FORWARD, FALL_BACK]  # weekday, Saturday, DST
SHIFTS = [
    DAY_SHIFT,
    weekly(("06:00", "22:00")),
    weekly(("06:00", "10:00"), ("14:00", "22:00")),
    weekly(("00:00", "06:00"), ("18:00", "24:00")),
    weekly(),
]
PARTY_PAIRS = [(CITY, DISTRICT), (DISTRICT, CITY), (CITY, CHARTER)]


@dataclass
class SiteDate:
    day: date
    custodial: WeeklyMinutes
    rate: int
    bookings: list[CoveringBooking]

    def bill(self, bookings: list[CoveringBooking] | None = None) -> SiteDateBill:
        return bill_site_date(
            self.day, LA, self.custodial, self.rate, self.bookings if bookings is None else bookings
        )


@st.composite
def covering(draw: st.DrawFn, day: date, booking_id: int, callouts: list[int]) -> CoveringBooking:
    """Any held window touching the site date (it may begin the day before)."""
    midnight = at(day, "00:00")
    start = midnight + timedelta(minutes=draw(st.integers(-120, 1499)))
    setup, cleanup = draw(st.integers(0, 60)), draw(st.integers(0, 60))
    end = start + timedelta(minutes=draw(st.integers(1, 720)))
    first, second = draw(st.sampled_from(PARTY_PAIRS))
    percent = draw(st.integers(0, 100))
    return CoveringBooking(
        booking_id, start, start - timedelta(minutes=setup), end + timedelta(minutes=cleanup),
        draw(st.sampled_from(callouts)), ((first, percent), (second, 100 - percent)),
    )


@st.composite
def site_dates(
    draw: st.DrawFn, callouts: tuple[int, ...] = (0, 60, 120, 180), max_bookings: int = 6
) -> SiteDate:
    day = draw(st.sampled_from(DAYS))
    ids = draw(st.lists(st.integers(1, 10**6), unique=True, max_size=max_bookings))
    return SiteDate(
        day=day,
        custodial=draw(st.sampled_from(SHIFTS)),
        rate=draw(st.integers(0, 20_000)),
        bookings=[draw(covering(day, i, list(callouts))) for i in ids],
    )


def new_id(sd: SiteDate) -> int:
    return max((b.id for b in sd.bookings), default=0) + 1


@settings(max_examples=200, deadline=None)
@given(site_dates())
def test_allocations_always_add_up_to_the_site_dates_cost_and_billed_minutes(sd: SiteDate):
    b = sd.bill()
    assert sum(c.cost_cents for c in b.charges) == b.cost_cents
    assert sum(c.billed_minutes for c in b.charges) == b.billed_minutes


@settings(max_examples=200, deadline=None)
@given(site_dates())
def test_each_bookings_party_split_adds_up_to_its_part(sd: SiteDate):
    for c in sd.bill().charges:
        assert sum(c.shares_cents.values()) == c.cost_cents
        assert all(v >= 0 for v in c.shares_cents.values())


@settings(max_examples=200, deadline=None)
@given(site_dates(), st.randoms(use_true_random=False))
def test_the_bill_does_not_depend_on_the_order_bookings_are_given_in(sd: SiteDate, rnd):
    shuffled = list(sd.bookings)
    rnd.shuffle(shuffled)
    assert sd.bill(shuffled) == sd.bill()


def inside_windows(day: date, custodial: WeeklyMinutes) -> list[tuple[datetime, datetime]]:
    """The site date's scheduled custodial windows as instants."""
    midnight = wall_to_utc(day, 0, LA)
    return [
        (midnight + timedelta(minutes=s), midnight + timedelta(minutes=e))
        for s, e in custodial_windows(day, LA, custodial)
    ]


@settings(max_examples=200, deadline=None)
@given(site_dates(), st.data())
def test_a_booking_entirely_inside_custodial_hours_costs_nothing_and_changes_no_other_part(
    sd: SiteDate, data: st.DataObject
):
    windows = inside_windows(sd.day, sd.custodial)
    if not windows:
        return
    w_start, w_end = data.draw(st.sampled_from(windows))
    length = int((w_end - w_start) / timedelta(minutes=1))
    s = data.draw(st.integers(0, length - 1))
    e = data.draw(st.integers(s + 1, length))
    start, end = w_start + timedelta(minutes=s), w_start + timedelta(minutes=e)
    inside = CoveringBooking(
        new_id(sd), start, start, end, data.draw(st.sampled_from([0, 120, 600])), HALVES
    )
    before, after = sd.bill(), sd.bill([*sd.bookings, inside])
    assert inside.id not in parts(after)
    assert (after.beyond_minutes, after.billed_minutes, after.cost_cents, after.charges) == (
        before.beyond_minutes, before.billed_minutes, before.cost_cents, before.charges
    )


@settings(max_examples=200, deadline=None)
@given(site_dates(), st.data())
def test_adding_a_booking_never_lowers_the_site_dates_beyond_hours_minutes(
    sd: SiteDate, data: st.DataObject
):
    more = data.draw(covering(sd.day, new_id(sd), [0, 60, 120, 180]))
    assert sd.bill([*sd.bookings, more]).beyond_minutes >= sd.bill().beyond_minutes


@settings(max_examples=200, deadline=None)
@given(site_dates(callouts=(0,)), st.data())
def test_without_a_call_out_minimum_adding_a_booking_never_lowers_the_billed_minutes(
    sd: SiteDate, data: st.DataObject
):
    more = data.draw(covering(sd.day, new_id(sd), [0]))
    after, before = sd.bill([*sd.bookings, more]), sd.bill()
    assert after.billed_minutes >= before.billed_minutes
    assert after.cost_cents >= before.cost_cents
