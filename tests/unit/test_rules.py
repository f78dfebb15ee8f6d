"""Contract section 4: each booking rule on its own, then `check` running them all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.bookings.rules import (
    Held,
    Occurrence,
    Situation,
    Terms,
    agreement_kind,
    check,
    conflict,
    notice_too_short,
    outside_open_hours,
    over_capacity,
    owner_priority,
    rental_fee_prohibited,
    site_closed,
    too_far_ahead,
    too_long,
)
from tests.unit.support import (
    FALL_BACK,
    SPRING_FORWARD,
    TUESDAY,
    at,
    held,
    school,
    weekly,
)

WEDNESDAY = TUESDAY + timedelta(days=1)
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def occurrence(day: date, start: str, end: str, **fields: int) -> Occurrence:
    return Occurrence(at(day, start), at(day, end), **fields)


# --- outside-open-hours ---------------------------------------------------------


def test_a_booking_inside_open_hours_passes() -> None:
    assert outside_open_hours(held(TUESDAY, "18:00", "20:00"), school()) is None


def test_a_booking_filling_the_whole_open_window_passes() -> None:
    assert outside_open_hours(held(TUESDAY, "06:00", "22:00"), school()) is None


def test_a_booking_starting_one_minute_before_opening_is_outside_open_hours() -> None:
    v = outside_open_hours(held(TUESDAY, "05:59", "08:00"), school())
    assert v is not None and v.rule == "outside-open-hours"


def test_a_booking_ending_one_minute_after_closing_is_outside_open_hours() -> None:
    assert outside_open_hours(held(TUESDAY, "20:00", "22:01"), school()) is not None


def test_setup_before_opening_puts_the_held_window_outside_open_hours() -> None:
    occ = occurrence(TUESDAY, "06:00", "08:00", setup_minutes=15)
    assert outside_open_hours(occ.held, school()) is not None


def test_cleanup_after_closing_puts_the_held_window_outside_open_hours() -> None:
    occ = occurrence(TUESDAY, "20:00", "22:00", cleanup_minutes=1)
    assert outside_open_hours(occ.held, school()) is not None


def test_a_booking_on_a_day_without_open_hours_is_outside_open_hours() -> None:
    cal = school(open_hours=weekly(("06:00", "22:00"), days=("mon", "wed")))
    assert outside_open_hours(held(TUESDAY, "18:00", "20:00"), cal) is not None


def test_a_booking_ending_at_midnight_fits_a_window_ending_at_24_00() -> None:
    cal = school(open_hours=weekly(("06:00", "24:00")))
    assert outside_open_hours(held(TUESDAY, "22:00", "24:00"), cal) is None


def test_a_booking_past_midnight_is_outside_open_hours_even_when_both_days_are_open() -> None:
    # One open-hours window of the local date: 24:00 ends Tuesday's window.
    cal = school(open_hours=weekly(("00:00", "24:00")))
    assert outside_open_hours(Held(at(TUESDAY, "23:00"), at(WEDNESDAY, "01:00")), cal) is not None


def test_a_booking_across_two_touching_open_windows_passes() -> None:
    cal = school(open_hours=weekly(("06:00", "12:00"), ("12:00", "22:00")))
    assert outside_open_hours(held(TUESDAY, "11:00", "13:00"), cal) is None


def test_a_booking_across_a_gap_between_open_windows_is_outside_open_hours() -> None:
    cal = school(open_hours=weekly(("06:00", "12:00"), ("13:00", "22:00")))
    assert outside_open_hours(held(TUESDAY, "11:00", "14:00"), cal) is not None


def test_evening_booking_on_the_dst_change_day_stays_inside_open_hours() -> None:
    assert outside_open_hours(held(SPRING_FORWARD, "20:00", "22:00"), school()) is None


def test_evening_booking_on_the_fall_back_day_stays_inside_open_hours() -> None:
    assert outside_open_hours(held(FALL_BACK, "20:00", "22:00"), school()) is None


def test_a_booking_just_past_closing_on_the_dst_change_day_is_outside_open_hours() -> None:
    assert outside_open_hours(held(SPRING_FORWARD, "21:00", "22:01"), school()) is not None
    assert outside_open_hours(held(FALL_BACK, "21:00", "22:01"), school()) is not None


def test_the_whole_23_hour_spring_forward_day_fits_a_00_00_to_24_00_window() -> None:
    cal = school(open_hours=weekly(("00:00", "24:00")))
    assert outside_open_hours(held(SPRING_FORWARD, "00:00", "24:00"), cal) is None


def test_the_whole_25_hour_fall_back_day_fits_a_00_00_to_24_00_window() -> None:
    cal = school(open_hours=weekly(("00:00", "24:00")))
    assert outside_open_hours(held(FALL_BACK, "00:00", "24:00"), cal) is None


# --- owner-priority -------------------------------------------------------------


def test_a_booking_overlapping_reserved_hours_violates_owner_priority() -> None:
    v = owner_priority(held(TUESDAY, "14:00", "16:00"), school())
    assert v is not None and v.rule == "owner-priority"


def test_a_booking_starting_when_reserved_hours_end_respects_owner_priority() -> None:
    assert owner_priority(held(TUESDAY, "15:00", "17:00"), school()) is None


def test_a_booking_ending_when_reserved_hours_start_respects_owner_priority() -> None:
    assert owner_priority(held(TUESDAY, "06:00", "08:00"), school()) is None


def test_a_one_minute_overlap_with_reserved_hours_violates_owner_priority() -> None:
    assert owner_priority(held(TUESDAY, "14:59", "17:00"), school()) is not None


def test_setup_reaching_into_reserved_hours_violates_owner_priority() -> None:
    occ = occurrence(TUESDAY, "15:30", "17:00", setup_minutes=31)
    assert owner_priority(occ.held, school()) is not None


def test_reserved_hours_are_skipped_during_a_recess() -> None:
    cal = school(recesses=((date(2026, 3, 2), date(2026, 3, 6)),))
    assert owner_priority(held(TUESDAY, "09:00", "12:00"), cal) is None


def test_a_recess_on_another_day_does_not_lift_reserved_hours() -> None:
    cal = school(recesses=((WEDNESDAY, WEDNESDAY),))
    assert owner_priority(held(TUESDAY, "09:00", "12:00"), cal) is not None


def test_an_overnight_booking_into_the_next_mornings_reserved_hours_violates_owner_priority() -> (
    None
):
    cal = school(open_hours=weekly(("00:00", "24:00")))
    assert owner_priority(Held(at(TUESDAY, "20:00"), at(WEDNESDAY, "08:30")), cal) is not None


def test_a_weekend_booking_during_school_hours_respects_owner_priority() -> None:
    assert owner_priority(held(SPRING_FORWARD, "09:00", "12:00"), school()) is None


# --- site-closed ----------------------------------------------------------------


def test_a_booking_on_a_closure_day_is_site_closed() -> None:
    v = site_closed(held(TUESDAY, "18:00", "20:00"), school(closures=((TUESDAY, TUESDAY),)))
    assert v is not None and v.rule == "site-closed"


def test_a_booking_on_the_last_day_of_a_closure_is_site_closed() -> None:
    cal = school(closures=((date(2026, 3, 1), TUESDAY),))
    assert site_closed(held(TUESDAY, "18:00", "20:00"), cal) is not None


def test_a_booking_the_day_after_a_closure_is_not_site_closed() -> None:
    cal = school(closures=((date(2026, 3, 1), TUESDAY),))
    assert site_closed(held(WEDNESDAY, "18:00", "20:00"), cal) is None


def test_a_booking_ending_at_midnight_before_a_closure_does_not_touch_it() -> None:
    cal = school(closures=((WEDNESDAY, WEDNESDAY),))
    assert site_closed(held(TUESDAY, "22:00", "24:00"), cal) is None


def test_a_booking_running_past_midnight_into_a_closure_touches_it() -> None:
    cal = school(closures=((WEDNESDAY, WEDNESDAY),))
    assert site_closed(Held(at(TUESDAY, "22:00"), at(WEDNESDAY, "00:01")), cal) is not None


def test_cleanup_running_past_midnight_into_a_closure_touches_it() -> None:
    cal = school(closures=((WEDNESDAY, WEDNESDAY),))
    occ = occurrence(TUESDAY, "22:00", "24:00", cleanup_minutes=15)
    assert site_closed(occ.held, cal) is not None


def test_setup_starting_before_midnight_touches_a_closure_the_day_before() -> None:
    cal = school(closures=((TUESDAY, TUESDAY),))
    occ = Occurrence(at(WEDNESDAY, "00:00"), at(WEDNESDAY, "01:00"), setup_minutes=1)
    assert site_closed(occ.held, cal) is not None


# --- conflict -------------------------------------------------------------------


def test_back_to_back_bookings_do_not_conflict() -> None:
    before, after = held(TUESDAY, "16:00", "18:00"), held(TUESDAY, "20:00", "21:00")
    assert conflict(held(TUESDAY, "18:00", "20:00"), [before, after]) is None


def test_a_one_minute_overlap_conflicts() -> None:
    v = conflict(held(TUESDAY, "17:59", "20:00"), [held(TUESDAY, "16:00", "18:00")])
    assert v is not None and v.rule == "conflict"


def test_a_booking_inside_another_conflicts() -> None:
    assert conflict(held(TUESDAY, "18:00", "19:00"), [held(TUESDAY, "17:00", "21:00")]) is not None


def test_a_booking_around_another_conflicts() -> None:
    assert conflict(held(TUESDAY, "17:00", "21:00"), [held(TUESDAY, "18:00", "19:00")]) is not None


def test_setup_overlapping_the_previous_bookings_cleanup_conflicts() -> None:
    previous = occurrence(TUESDAY, "16:00", "18:00", cleanup_minutes=30).held
    occ = occurrence(TUESDAY, "18:30", "20:00", setup_minutes=31)
    assert conflict(occ.held, [previous]) is not None


def test_setup_ending_where_the_previous_cleanup_ends_does_not_conflict() -> None:
    previous = occurrence(TUESDAY, "16:00", "18:00", cleanup_minutes=30).held
    occ = occurrence(TUESDAY, "18:45", "20:00", setup_minutes=15)
    assert conflict(occ.held, [previous]) is None


def test_a_space_with_no_other_bookings_has_no_conflict() -> None:
    assert conflict(held(TUESDAY, "18:00", "20:00"), []) is None


def test_the_repeated_hour_of_the_fall_back_day_is_two_distinct_hours() -> None:
    first = Held(datetime(2026, 11, 1, 8, 0, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    second = Held(datetime(2026, 11, 1, 9, 0, tzinfo=UTC), datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    # Both are 01:00-02:00 on the site's clock (PDT, then PST), but they do not overlap.
    assert conflict(second, [first]) is None


# --- notice-too-short, too-far-ahead, too-long, over-capacity, rental fee ---------------


def test_notice_exactly_at_the_limit_is_enough() -> None:
    assert notice_too_short(NOW + timedelta(hours=72), NOW, Terms()) is None


def test_notice_one_minute_short_of_the_limit_is_too_short() -> None:
    v = notice_too_short(NOW + timedelta(hours=72) - timedelta(minutes=1), NOW, Terms())
    assert v is not None and v.rule == "notice-too-short"


def test_notice_follows_the_agreements_min_notice_hours() -> None:
    terms = Terms(min_notice_hours=24)
    assert notice_too_short(NOW + timedelta(hours=24), NOW, terms) is None
    assert notice_too_short(NOW + timedelta(hours=23, minutes=59), NOW, terms) is not None


def test_a_start_exactly_max_advance_days_ahead_is_not_too_far_ahead() -> None:
    assert too_far_ahead(NOW + timedelta(days=365), NOW, Terms()) is None


def test_a_start_one_minute_past_max_advance_days_is_too_far_ahead() -> None:
    v = too_far_ahead(NOW + timedelta(days=365, minutes=1), NOW, Terms())
    assert v is not None and v.rule == "too-far-ahead"


def test_too_long_is_not_reached_exactly_at_the_limit() -> None:
    assert too_long(at(TUESDAY, "08:00"), at(TUESDAY, "20:00"), Terms()) is None


def test_one_minute_over_max_occurrence_minutes_is_too_long() -> None:
    v = too_long(at(TUESDAY, "08:00"), at(TUESDAY, "20:01"), Terms())
    assert v is not None and v.rule == "too-long"


def test_setup_and_cleanup_do_not_count_towards_too_long() -> None:
    occ = occurrence(TUESDAY, "08:00", "20:00", setup_minutes=60, cleanup_minutes=60)
    assert too_long(occ.start, occ.end, Terms()) is None


def test_too_long_counts_the_extra_hour_of_the_fall_back_night() -> None:
    # 20:00 to 08:00 on the clock is 13 real hours across the fall-back night.
    start, end = at(date(2026, 10, 31), "20:00"), at(FALL_BACK, "08:00")
    assert too_long(start, end, Terms(max_occurrence_minutes=780)) is None
    assert too_long(start, end, Terms(max_occurrence_minutes=779)) is not None


def test_too_long_does_not_count_the_missing_hour_of_the_spring_forward_night() -> None:
    # 20:00 to 09:00 on the clock is 12 real hours across the spring-forward night.
    start, end = at(date(2026, 3, 7), "20:00"), at(SPRING_FORWARD, "09:00")
    assert too_long(start, end, Terms()) is None


def test_attendance_equal_to_capacity_is_not_over_capacity() -> None:
    assert over_capacity(120, 120) is None


def test_attendance_one_over_capacity_is_over_capacity() -> None:
    v = over_capacity(121, 120)
    assert v is not None and v.rule == "over-capacity"


def test_no_rental_fee_passes() -> None:
    assert rental_fee_prohibited(0) is None


def test_any_rental_fee_is_prohibited() -> None:
    v = rental_fee_prohibited(1)
    assert v is not None and v.rule == "rental-fee-prohibited"


# --- agreement-kind -------------------------------------------------------------


def test_a_site_development_agreement_covers_no_bookings() -> None:
    v = agreement_kind("site_development", None, Terms())
    assert v is not None and v.rule == "agreement-kind"


def test_a_blanket_agreement_covers_single_bookings() -> None:
    assert agreement_kind("blanket", None, Terms()) is None


def test_a_blanket_series_of_exactly_max_series_days_is_allowed() -> None:
    assert agreement_kind("blanket", 90, Terms()) is None


def test_a_blanket_series_longer_than_max_series_days_needs_a_long_term_agreement() -> None:
    v = agreement_kind("blanket", 91, Terms())
    assert v is not None and v.rule == "agreement-kind" and "long_term" in v.detail


def test_a_long_term_agreement_covers_a_year_long_series() -> None:
    assert agreement_kind("long_term", 300, Terms()) is None


# --- check: every rule at once --------------------------------------------------


def situation(occ: Occurrence, **fields: object) -> Situation:
    base: dict[str, object] = {
        "calendar": school(),
        "capacity": 100,
        "now": NOW,
        "is_owner": False,
        "covered": True,
    }
    return Situation(occurrence=occ, **{**base, **fields})  # type: ignore[arg-type]


def rules(violations: list) -> list[str]:  # type: ignore[type-arg]
    return [v.rule for v in violations]


def test_check_passes_a_booking_that_keeps_every_rule() -> None:
    assert check(situation(occurrence(TUESDAY, "18:00", "20:00", attendance=40))) == []


def test_check_reports_all_violations_together_in_the_contracts_order() -> None:
    occ = occurrence(TUESDAY, "05:00", "18:00", attendance=101)
    found = check(
        situation(
            occ,
            now=at(TUESDAY, "00:00"),
            covered=False,
            rental_fee_cents=500,
            calendar=school(closures=((TUESDAY, TUESDAY),)),
            others=(held(TUESDAY, "17:00", "19:00"),),
        )
    )
    assert rules(found) == [
        "rental-fee-prohibited",
        "no-agreement",
        "outside-open-hours",
        "owner-priority",
        "site-closed",
        "conflict",
        "notice-too-short",
        "too-long",
        "over-capacity",
    ]


def test_check_marks_each_violation_with_the_occurrence_start() -> None:
    occ = occurrence(TUESDAY, "05:00", "07:00", attendance=101)
    found = check(situation(occ))
    assert found and all(v.start == occ.start for v in found)


def test_check_reports_too_far_ahead() -> None:
    occ = occurrence(TUESDAY, "18:00", "20:00")
    assert rules(check(situation(occ, now=occ.start - timedelta(days=366)))) == ["too-far-ahead"]


def test_check_uses_the_held_window_for_conflicts() -> None:
    occ = occurrence(TUESDAY, "18:00", "20:00", cleanup_minutes=30)
    assert rules(check(situation(occ, others=(held(TUESDAY, "20:15", "21:00"),)))) == ["conflict"]


def test_check_reports_no_agreement_for_a_non_owner_not_covered() -> None:
    occ = occurrence(TUESDAY, "18:00", "20:00")
    assert rules(check(situation(occ, covered=False))) == ["no-agreement"]


def test_the_owner_needs_no_agreement() -> None:
    occ = occurrence(TUESDAY, "18:00", "20:00")
    assert check(situation(occ, is_owner=True, covered=False)) == []


def test_the_owner_is_exempt_from_owner_priority_closure_and_notice() -> None:
    occ = occurrence(TUESDAY, "09:00", "12:00")
    s = situation(
        occ,
        is_owner=True,
        covered=False,
        now=at(TUESDAY, "08:00"),
        calendar=school(closures=((TUESDAY, TUESDAY),)),
    )
    assert check(s) == []


def test_the_same_booking_by_a_non_owner_breaks_owner_priority_closure_and_notice() -> None:
    occ = occurrence(TUESDAY, "09:00", "12:00")
    s = situation(occ, now=at(TUESDAY, "08:00"), calendar=school(closures=((TUESDAY, TUESDAY),)))
    assert rules(check(s)) == ["owner-priority", "site-closed", "notice-too-short"]


def test_the_owner_still_keeps_open_hours_conflict_length_and_capacity() -> None:
    occ = occurrence(TUESDAY, "05:00", "18:00", attendance=101)
    s = situation(occ, is_owner=True, others=(held(TUESDAY, "17:00", "19:00"),))
    assert rules(check(s)) == ["outside-open-hours", "conflict", "too-long", "over-capacity"]


def test_the_owner_may_not_book_too_far_ahead() -> None:
    occ = occurrence(TUESDAY, "18:00", "20:00")
    s = situation(occ, is_owner=True, now=occ.start - timedelta(days=366))
    assert rules(check(s)) == ["too-far-ahead"]


def test_the_terms_schema_and_the_domain_terms_have_the_same_names_and_defaults():
    from app.agreements.schemas import Terms as TermsSchema
    from app.agreements.terms import DEFAULT_TERMS

    assert TermsSchema().model_dump() == DEFAULT_TERMS.as_dict()
