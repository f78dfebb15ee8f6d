"""Contract section 1: weekly hours as wall-clock windows in the site's zone, `24:00`
as an end, DST days of 23 and 25 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from app.core.time import (
    WeeklyHours,
    day_windows_utc,
    local_days,
    parse_hhmm,
    wall_to_utc,
    weekly_minutes,
)
from tests.unit.support import FALL_BACK, LA, SPRING_FORWARD, TUESDAY, at, minutes, weekly

WEEKLY_HOURS = TypeAdapter(WeeklyHours)


def test_hh_mm_is_minutes_after_midnight() -> None:
    assert parse_hhmm("00:00", is_end=False) == 0
    assert parse_hhmm("18:30", is_end=False) == 18 * 60 + 30
    assert parse_hhmm("23:59", is_end=True) == 1439


def test_24_00_is_allowed_as_an_end() -> None:
    assert parse_hhmm("24:00", is_end=True) == 1440


def test_24_00_is_refused_as_a_start() -> None:
    with pytest.raises(ValueError):
        parse_hhmm("24:00", is_end=False)


@pytest.mark.parametrize(
    "text", ["24:01", "25:00", "12:60", "6:00", "06-00", "ab:cd", "０６:00", " 6:00"]
)
def test_anything_but_hh_mm_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(text, is_end=True)


def test_weekly_minutes_index_monday_first_and_a_missing_weekday_has_no_window() -> None:
    hours = weekly_minutes({"mon": [["06:00", "22:00"]], "sun": [["08:00", "24:00"]]})
    assert hours == (((360, 1320),), (), (), (), (), (), ((480, 1440),))


def test_weekly_hours_in_sorts_windows_and_allows_touching_ones() -> None:
    got = WEEKLY_HOURS.validate_python({"mon": [["12:00", "22:00"], ["06:00", "12:00"]]})
    assert got == {"mon": [("06:00", "12:00"), ("12:00", "22:00")]}


@pytest.mark.parametrize(
    "hours",
    [
        {"mon": [["06:00", "13:00"], ["12:00", "22:00"]]},  # overlapping
        {"mon": [["22:00", "06:00"]]},  # start after end
        {"mon": [["08:00", "08:00"]]},  # empty
        {"mon": [["24:00", "24:00"]]},  # 24:00 as a start
        {"monday": [["06:00", "22:00"]]},  # not a weekday key
    ],
)
def test_weekly_hours_in_refuses_bad_windows(hours: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError):
        WEEKLY_HOURS.validate_python(hours)


def test_wall_clock_minutes_follow_the_dst_change() -> None:
    assert wall_to_utc(TUESDAY, 18 * 60, LA) == datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    assert wall_to_utc(SPRING_FORWARD, 18 * 60, LA) == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert wall_to_utc(FALL_BACK, 18 * 60, LA) == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def test_24_00_is_the_next_local_midnight() -> None:
    assert wall_to_utc(TUESDAY, 1440, LA) == at(TUESDAY + timedelta(days=1), "00:00")


def test_the_spring_forward_day_has_23_hours_and_the_fall_back_day_25() -> None:
    (spring,) = day_windows_utc(SPRING_FORWARD, weekly(("00:00", "24:00")), LA)
    (fall,) = day_windows_utc(FALL_BACK, weekly(("00:00", "24:00")), LA)
    assert minutes(*spring) == 23 * 60
    assert minutes(*fall) == 25 * 60


def test_touching_windows_merge_only_when_asked() -> None:
    hours = weekly(("06:00", "12:00"), ("12:00", "22:00"))
    assert len(day_windows_utc(TUESDAY, hours, LA)) == 2
    assert day_windows_utc(TUESDAY, hours, LA, merge_touching=True) == (
        (at(TUESDAY, "06:00"), at(TUESDAY, "22:00")),
    )


def test_an_interval_ending_at_midnight_touches_only_its_own_day() -> None:
    assert local_days(at(TUESDAY, "22:00"), at(TUESDAY, "24:00"), LA) == [TUESDAY]


def test_an_interval_past_midnight_touches_both_days() -> None:
    wednesday = TUESDAY + timedelta(days=1)
    assert local_days(at(TUESDAY, "22:00"), at(wednesday, "00:01"), LA) == [TUESDAY, wednesday]


def test_local_days_are_site_dates_not_utc_dates() -> None:
    # 18:00-20:00 on Tuesday in Los Angeles is already Wednesday in UTC.
    assert local_days(at(TUESDAY, "18:00"), at(TUESDAY, "20:00"), LA) == [TUESDAY]
    assert at(TUESDAY, "18:00").date() == date(2026, 3, 4)
