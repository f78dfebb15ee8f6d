"""Contract section 3, booking series: an RFC 5545 RRULE expanded in the site's local
time, COUNT or UNTIL required, at most 500 occurrences, exdates skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.bookings.recurrence import MAX_OCCURRENCES, RecurrenceError, expand
from tests.unit.support import FALL_BACK, LA, TUESDAY, at, minutes

SATURDAY_BEFORE_SPRING = date(2026, 3, 7)
TUESDAY_BEFORE_FALL = date(2026, 10, 27)


def series(
    rrule: str, start: datetime, end: datetime, exdates: tuple[datetime, ...] = ()
) -> list[tuple[datetime, datetime]]:
    return expand(rrule, first_start=start, first_end=end, tz=LA, exdates=exdates)


def tuesdays(
    rrule: str, *, first: date = TUESDAY, exdates: tuple[datetime, ...] = ()
) -> list[tuple[datetime, datetime]]:
    """A weekly 18:00-20:00 program starting on `first`."""
    return series(rrule, at(first, "18:00"), at(first, "20:00"), exdates)


def local_starts(occurrences: list[tuple[datetime, datetime]]) -> list[str]:
    return [s.astimezone(LA).strftime("%Y-%m-%d %H:%M") for s, _ in occurrences]


def test_count_gives_that_many_occurrences() -> None:
    assert local_starts(tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=3")) == [
        "2026-03-03 18:00",
        "2026-03-10 18:00",
        "2026-03-17 18:00",
    ]


def test_occurrences_are_utc_instants() -> None:
    first, _ = tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=2")
    assert first == (datetime(2026, 3, 4, 2, 0, tzinfo=UTC), datetime(2026, 3, 4, 4, 0, tzinfo=UTC))
    assert first[0].utcoffset() == timedelta(0)


def test_two_weekdays_a_week_alternate() -> None:
    assert local_starts(tuesdays("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4")) == [
        "2026-03-03 18:00",
        "2026-03-05 18:00",
        "2026-03-10 18:00",
        "2026-03-12 18:00",
    ]


def test_until_in_utc_form_includes_an_occurrence_starting_exactly_then() -> None:
    # 2026-03-17 18:00 PDT is 2026-03-18 01:00Z.
    assert len(tuesdays("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260318T010000Z")) == 3


def test_until_in_utc_form_stops_before_a_later_occurrence() -> None:
    assert len(tuesdays("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260318T005959Z")) == 2


def test_an_until_without_a_utc_z_is_refused() -> None:
    with pytest.raises(RecurrenceError):
        tuesdays("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260318T000000")


def test_an_18_00_series_stays_at_18_00_across_the_dst_change() -> None:
    got = tuesdays("FREQ=DAILY;COUNT=3", first=SATURDAY_BEFORE_SPRING)
    assert local_starts(got) == ["2026-03-07 18:00", "2026-03-08 18:00", "2026-03-09 18:00"]
    # ... so the UTC instants move by an hour.
    assert [s.hour for s, _ in got] == [2, 1, 1]


def test_an_18_00_series_stays_at_18_00_across_the_fall_back() -> None:
    got = tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=2", first=TUESDAY_BEFORE_FALL)
    assert local_starts(got) == ["2026-10-27 18:00", "2026-11-03 18:00"]
    assert [s.hour for s, _ in got] == [1, 2]


def test_occurrences_keep_their_duration_across_the_dst_change() -> None:
    got = tuesdays("FREQ=DAILY;COUNT=3", first=SATURDAY_BEFORE_SPRING)
    assert [minutes(s, e) for s, e in got] == [120, 120, 120]


def test_a_start_given_in_utc_is_expanded_in_the_sites_time() -> None:
    saturday_18_00_pst = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)
    got = series("FREQ=DAILY;COUNT=2", saturday_18_00_pst, saturday_18_00_pst + timedelta(hours=2))
    assert local_starts(got) == ["2026-03-07 18:00", "2026-03-08 18:00"]


def test_an_occurrence_on_the_fall_back_night_keeps_its_wall_clock_end() -> None:
    # 23:00-03:00 on the clock is five real hours on the fall-back night.
    got = series(
        "FREQ=DAILY;COUNT=2", at(date(2026, 10, 30), "23:00"), at(date(2026, 10, 31), "03:00")
    )
    assert [e.astimezone(LA).hour for _, e in got] == [3, 3]
    assert [minutes(s, e) for s, e in got] == [240, 300]


def test_500_occurrences_are_accepted() -> None:
    assert len(tuesdays("FREQ=DAILY;COUNT=500")) == MAX_OCCURRENCES == 500


def test_more_than_500_occurrences_are_refused() -> None:
    with pytest.raises(RecurrenceError, match="500"):
        tuesdays("FREQ=DAILY;COUNT=501")


def test_an_until_giving_more_than_500_occurrences_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="500"):
        tuesdays("FREQ=DAILY;UNTIL=20300101T000000Z")


def test_a_rule_without_count_or_until_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="COUNT or UNTIL"):
        tuesdays("FREQ=WEEKLY;BYDAY=TU")


def test_a_rule_with_both_count_and_until_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="COUNT and UNTIL"):
        tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=3;UNTIL=20260401T000000Z")


@pytest.mark.parametrize("interval", ["0", "-1", "x"])
def test_an_interval_that_is_not_a_positive_integer_is_refused(interval: str) -> None:
    with pytest.raises(RecurrenceError, match="INTERVAL"):
        tuesdays(f"FREQ=WEEKLY;BYDAY=TU;INTERVAL={interval};COUNT=3")


def test_exdates_skip_those_occurrences() -> None:
    got = tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=3", exdates=(at(date(2026, 3, 10), "18:00"),))
    assert local_starts(got) == ["2026-03-03 18:00", "2026-03-17 18:00"]


def test_an_exdate_with_any_offset_names_the_same_instant() -> None:
    skip = datetime(2026, 3, 10, 18, 0, tzinfo=LA)  # written with the site's offset
    assert len(tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=3", exdates=(skip,))) == 2


def test_an_exdate_matching_no_occurrence_changes_nothing() -> None:
    got = tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=3", exdates=(at(date(2026, 3, 10), "19:00"),))
    assert len(got) == 3


def test_exdates_leaving_no_occurrence_are_refused() -> None:
    with pytest.raises(RecurrenceError):
        tuesdays("FREQ=WEEKLY;BYDAY=TU;COUNT=1", exdates=(at(TUESDAY, "18:00"),))


def test_a_start_that_is_not_the_first_occurrence_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="first occurrence"):
        tuesdays("FREQ=WEEKLY;BYDAY=WE;COUNT=3")  # TUESDAY is a Tuesday


def test_a_dtstart_inside_the_rule_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="DTSTART"):
        tuesdays("DTSTART=20260303T180000;FREQ=WEEKLY;COUNT=3")


def test_a_dtstart_line_before_the_rule_is_refused() -> None:
    with pytest.raises(RecurrenceError):
        tuesdays("DTSTART:20260303T180000\nRRULE:FREQ=WEEKLY;COUNT=3")


def test_an_rrule_prefix_is_accepted() -> None:
    assert len(tuesdays("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2")) == 2


@pytest.mark.parametrize(
    "rrule", ["", "FREQ=FORTNIGHTLY;COUNT=2", "FREQ=WEEKLY;COUNT=two", "not a rule"]
)
def test_a_malformed_rule_is_refused(rrule: str) -> None:
    with pytest.raises(RecurrenceError):
        tuesdays(rrule)


def test_a_recurrence_error_is_a_value_error() -> None:
    assert issubclass(RecurrenceError, ValueError)


def test_a_series_crossing_the_fall_back_day_has_no_duplicate_or_missing_day() -> None:
    got = series(
        "FREQ=DAILY;COUNT=3", at(date(2026, 10, 31), "01:30"), at(date(2026, 10, 31), "02:30")
    )
    assert [s.astimezone(LA).date() for s, _ in got] == [
        date(2026, 10, 31),
        FALL_BACK,
        date(2026, 11, 2),
    ]
    assert all(s.astimezone(LA).strftime("%H:%M") == "01:30" for s, _ in got)
