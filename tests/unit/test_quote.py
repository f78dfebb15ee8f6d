"""Contract sections 3 and 5: a booking's standalone quote, as if it were alone on its
site date(s): rent waived, custodial minutes and cost, split by cost shares."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.time import WeeklyMinutes
from app.costs.quote import QuoteFigures, day_spans, split_by_shares, standalone_quote
from tests.unit.support import FALL_BACK, LA, SCHOOL_DAYS, SPRING_FORWARD, TUESDAY, at, weekly

WEDNESDAY = TUESDAY + timedelta(days=1)
SATURDAY = date(2026, 3, 7)
DAY_SHIFT = weekly(("06:00", "18:00"), days=SCHOOL_DAYS)  # no custodian at weekends
RATE = 4500  # custodial cents per hour
STANDARD = 6000  # the space's standard rental cents per hour


def quote(
    start: datetime,
    end: datetime,
    *,
    setup: int = 0,
    cleanup: int = 0,
    custodial: WeeklyMinutes = DAY_SHIFT,
    rate: int = RATE,
    callout: int = 120,
    shares: tuple[tuple[int, int], ...] = ((1, 50), (2, 50)),
) -> QuoteFigures:
    return standalone_quote(
        start=start,
        end=end,
        held=(start - timedelta(minutes=setup), end + timedelta(minutes=cleanup)),
        tz=LA,
        custodial_hours=custodial,
        custodial_rate_cents_per_hour=rate,
        standard_rate_cents_per_hour=STANDARD,
        min_callout_minutes=callout,
        shares=shares,
    )


def custodial(q: QuoteFigures) -> tuple[int, int]:
    return q.custodial_minutes, q.custodial_cost_cents


# --- rent waived ----------------------------------------------------------------


def test_rent_waived_is_the_booked_hours_times_the_standard_rate() -> None:
    assert quote(at(TUESDAY, "18:00"), at(TUESDAY, "20:30")).rental_fee_waived_cents == 15000


def test_setup_and_cleanup_are_not_part_of_the_rent_waived() -> None:
    q = quote(at(TUESDAY, "10:00"), at(TUESDAY, "11:00"), setup=30, cleanup=30)
    assert q.rental_fee_waived_cents == 6000


def test_rent_waived_counts_the_real_hours_of_a_fall_back_night() -> None:
    q = quote(at(FALL_BACK, "00:00"), at(FALL_BACK, "03:00"))  # four real hours
    assert q.rental_fee_waived_cents == 4 * STANDARD


# --- custodial minutes and cost -------------------------------------------------


def test_a_booking_inside_custodial_hours_costs_nothing() -> None:
    q = quote(at(TUESDAY, "09:00"), at(TUESDAY, "17:00"))
    assert (q.custodial_minutes, q.custodial_cost_cents, q.cost_shares_cents) == (
        0,
        0,
        {"1": 0, "2": 0},
    )


def test_an_evening_past_custodial_hours_is_billed_at_the_custodial_rate() -> None:
    assert custodial(quote(at(TUESDAY, "17:00"), at(TUESDAY, "19:00"))) == (60, 4500)


def test_cleanup_past_custodial_hours_counts_in_coverage() -> None:
    assert custodial(quote(at(TUESDAY, "17:00"), at(TUESDAY, "18:00"), cleanup=30)) == (30, 2250)


def test_setup_before_custodial_hours_counts_in_coverage() -> None:
    assert custodial(quote(at(TUESDAY, "06:00"), at(TUESDAY, "08:00"), setup=15)) == (15, 1125)


def test_a_quote_for_a_call_out_bills_the_minimum() -> None:
    assert custodial(quote(at(TUESDAY, "19:00"), at(TUESDAY, "20:00"))) == (120, 9000)


def test_a_quote_uses_the_agreements_call_out_minimum() -> None:
    assert custodial(quote(at(TUESDAY, "19:00"), at(TUESDAY, "20:00"), callout=60)) == (60, 4500)


def test_a_weekend_booking_without_custodial_hours_is_a_call_out() -> None:
    assert custodial(quote(at(SATURDAY, "10:00"), at(SATURDAY, "11:00"))) == (120, 9000)
    assert custodial(quote(at(SATURDAY, "10:00"), at(SATURDAY, "13:00"))) == (180, 13500)


def test_a_quote_rounds_billed_minutes_up_to_15() -> None:
    assert custodial(quote(at(TUESDAY, "17:00"), at(TUESDAY, "18:20"))) == (30, 2250)


def test_a_quote_rounds_the_cost_half_up_to_a_cent() -> None:
    q = quote(at(TUESDAY, "17:00"), at(TUESDAY, "18:15"), rate=4502)  # 15 x 4502 / 60 = 1125.5
    assert custodial(q) == (15, 1126)


def test_a_booking_across_midnight_is_billed_per_site_date() -> None:
    every_day = weekly(("06:00", "22:00"))
    # Tuesday 22:00-24:00 extends the shift (120); Wednesday 00:00-01:00 is a call-out (120).
    q = quote(at(TUESDAY, "21:00"), at(WEDNESDAY, "01:00"), custodial=every_day)
    assert custodial(q) == (240, 18000)


def test_each_site_dates_cost_is_rounded_before_adding_them_up() -> None:
    every_day = weekly(("06:00", "23:00"))
    # 60 minutes on each side of midnight at 4503/h: 4503 + 9006 (a call-out of 120).
    q = quote(at(TUESDAY, "23:00"), at(WEDNESDAY, "01:00"), custodial=every_day, rate=4503)
    assert custodial(q) == (180, 4503 + 9006)


def test_a_segment_continuing_a_shift_that_ends_at_24_00_is_billed_as_it_is() -> None:
    # The custodian on duty until midnight stays until 01:00: the 60 minutes past
    # midnight touch (extend) that scheduled window, so no call-out minimum applies.
    evening_shift = weekly(("14:00", "24:00"), days=("tue",))
    q = quote(at(TUESDAY, "20:00"), at(WEDNESDAY, "01:00"), custodial=evening_shift)
    assert custodial(q) == (60, 4500)


def test_a_night_booking_on_the_fall_back_day_bills_its_25th_hour() -> None:
    # 00:00-04:00 on the clock is five real hours, all beyond hours on a Sunday.
    assert custodial(quote(at(FALL_BACK, "00:00"), at(FALL_BACK, "04:00"))) == (300, 22500)


def test_a_night_booking_on_the_spring_forward_day_bills_only_its_real_hours() -> None:
    assert custodial(quote(at(SPRING_FORWARD, "00:00"), at(SPRING_FORWARD, "04:00"))) == (
        180,
        13500,
    )


def test_an_evening_extension_on_a_dst_change_day_is_billed_as_it_is() -> None:
    every_day = weekly(("06:00", "18:00"))
    for day in (SPRING_FORWARD, FALL_BACK):
        assert custodial(quote(at(day, "17:00"), at(day, "18:45"), custodial=every_day)) == (
            45,
            3375,
        )


def test_an_early_extension_on_the_fall_back_day_is_billed_as_it_is() -> None:
    every_day = weekly(("06:00", "18:00"))
    assert custodial(
        quote(at(FALL_BACK, "05:30"), at(FALL_BACK, "07:00"), custodial=every_day)
    ) == (30, 2250)


# --- split between the agreement's parties ----------------------------------------


def test_the_cost_is_split_by_cost_shares() -> None:
    q = quote(at(TUESDAY, "19:00"), at(TUESDAY, "20:00"), shares=((1, 60), (2, 40)))
    assert q.cost_shares_cents == {"1": 5400, "2": 3600}


def test_the_odd_cent_goes_to_the_party_listed_first_in_party_ids() -> None:
    q = quote(at(TUESDAY, "17:00"), at(TUESDAY, "18:15"), rate=4508, shares=((7, 50), (3, 50)))
    assert q.custodial_cost_cents == 1127
    assert q.cost_shares_cents == {"7": 564, "3": 563}


def test_split_by_shares_keys_parties_by_their_id_as_text_in_listed_order() -> None:
    assert list(split_by_shares(101, [(9, 50), (2, 50)]).items()) == [("9", 51), ("2", 50)]


# --- site-date minutes ------------------------------------------------------------


def test_day_spans_count_elapsed_minutes_from_local_midnight() -> None:
    evening = [(at(TUESDAY, "18:00"), at(TUESDAY, "20:00"))]
    assert day_spans(TUESDAY, LA, evening) == [(1080, 1200)]


def test_day_spans_count_real_minutes_on_dst_change_days() -> None:
    assert day_spans(
        SPRING_FORWARD, LA, [(at(SPRING_FORWARD, "18:00"), at(SPRING_FORWARD, "20:00"))]
    ) == [(1020, 1140)]
    assert day_spans(FALL_BACK, LA, [(at(FALL_BACK, "18:00"), at(FALL_BACK, "20:00"))]) == [
        (1140, 1260)
    ]


def test_day_spans_clip_an_interval_to_the_local_date() -> None:
    across = [(at(date(2026, 10, 31), "23:00"), at(date(2026, 11, 2), "01:00"))]
    assert day_spans(FALL_BACK, LA, across) == [(0, 1500)]


def test_day_spans_leave_out_intervals_on_other_dates() -> None:
    assert day_spans(WEDNESDAY, LA, [(at(TUESDAY, "22:00"), at(TUESDAY, "24:00"))]) == []


# --- properties -----------------------------------------------------------------

DAYS = [SPRING_FORWARD, FALL_BACK, TUESDAY, SATURDAY]
EVERY_DAY_SHIFT = weekly(("06:00", "22:00"))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DAYS), st.data())
def test_a_booking_entirely_inside_custodial_hours_never_costs_anything(
    day: date, data: st.DataObject
) -> None:
    start = data.draw(st.integers(6 * 60, 22 * 60 - 1))
    end = data.draw(st.integers(start + 1, 22 * 60))
    midnight = datetime(day.year, day.month, day.day, tzinfo=LA)
    q = quote(
        (midnight + timedelta(minutes=start)).astimezone(UTC),
        (midnight + timedelta(minutes=end)).astimezone(UTC),
        custodial=EVERY_DAY_SHIFT,
    )
    assert (q.custodial_minutes, q.custodial_cost_cents) == (0, 0)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(DAYS),
    st.integers(0, 1439),
    st.integers(1, 720),
    st.integers(0, 100),
    st.integers(1, 20_000),
)
def test_a_quotes_shares_add_up_to_its_cost_and_its_minutes_are_quarter_hours(
    day: date, start_minute: int, length: int, first_percent: int, rate: int
) -> None:
    start = at(day, "00:00") + timedelta(minutes=start_minute)
    q = quote(
        start,
        start + timedelta(minutes=length),
        rate=rate,
        shares=((1, first_percent), (2, 100 - first_percent)),
    )
    assert sum(q.cost_shares_cents.values()) == q.custodial_cost_cents
    assert q.custodial_minutes % 15 == 0
