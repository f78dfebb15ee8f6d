"""Weekly hours and time zones, validated without a database."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.core.time import (
    DATE_PATTERN,
    END_PATTERN,
    INSTANT_PATTERN,
    START_PATTERN,
    Instant,
    LocalDate,
    TimeZoneName,
    WeeklyHours,
    normalize_weekly,
    parse_hhmm,
    weekly_minutes,
)

weekly = TypeAdapter(WeeklyHours)
timezone = TypeAdapter(TimeZoneName)
instant = TypeAdapter(Instant)


def error_locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str | int, ...]]:
    return [e["loc"] for e in exc.value.errors()]


# --- HH:MM ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("06:30", 390), ("23:59", 1439)])
def test_a_time_of_day_is_minutes_after_midnight(text, minutes):
    assert parse_hhmm(text, is_end=False) == minutes
    assert parse_hhmm(text, is_end=True) == minutes


def test_24_00_is_the_end_of_the_day():
    assert parse_hhmm("24:00", is_end=True) == 1440


def test_24_00_cannot_start_a_window():
    with pytest.raises(ValueError, match="24:00"):
        parse_hhmm("24:00", is_end=False)


@pytest.mark.parametrize(
    "text",
    [
        "6:00", "06:0", "0600", "06-00", "24:01", "25:00", "23:60", "-1:00", "06:00:00", "",
        "ab:cd", "０６:００", "٠٦:٠٠", "²³:00", " 6:00",
    ],
)
def test_anything_but_hh_mm_is_refused(text):
    with pytest.raises(ValueError):
        parse_hhmm(text, is_end=True)


# --- weekly hours ----------------------------------------------------------------------------


def test_weekly_hours_name_weekdays_mon_to_sun():
    hours = {d: [("08:00", "12:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert weekly.validate_python(hours) == hours


def test_a_missing_weekday_has_no_window():
    assert weekly_minutes({"mon": [["08:00", "12:00"]]}) == (((480, 720),), (), (), (), (), (), ())


def test_windows_of_a_day_are_sorted():
    hours = weekly.validate_python({"mon": [["18:00", "22:00"], ["06:00", "08:00"]]})
    assert hours["mon"] == [("06:00", "08:00"), ("18:00", "22:00")]


def test_back_to_back_windows_are_allowed():
    hours = weekly.validate_python({"sat": [["08:00", "12:00"], ["12:00", "24:00"]]})
    assert hours["sat"] == [("08:00", "12:00"), ("12:00", "24:00")]


def test_a_whole_day_is_00_00_to_24_00():
    assert weekly_minutes({"sun": [["00:00", "24:00"]]})[6] == ((0, 1440),)


@pytest.mark.parametrize("day", ["monday", "Mon", "MON", "funday", "0", ""])
def test_an_unknown_weekday_is_refused(day):
    with pytest.raises(ValidationError) as exc:
        weekly.validate_python({day: [["08:00", "12:00"]]})
    assert error_locs(exc)[0][0] == day


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([["12:00", "08:00"]], "start must be before end"),
        ([["08:00", "08:00"]], "start must be before end"),
        ([["08:00", "12:00"], ["11:59", "13:00"]], "overlap"),
        ([["08:00", "22:00"], ["09:00", "10:00"]], "overlap"),
        ([["08:00", "12:00"], ["08:00", "12:00"]], "overlap"),
        ([["24:00", "24:00"]], "24:00"),
        ([["08:00", "25:00"]], "not a time of day"),
    ],
)
def test_bad_windows_are_refused_naming_the_weekday(windows, message):
    with pytest.raises(ValidationError, match=message) as exc:
        weekly.validate_python({"mon": [["06:00", "07:00"]], "thu": windows})
    assert error_locs(exc) == [("thu",)]


@pytest.mark.parametrize(
    "windows",
    [[["08:00"]], [["08:00", "09:00", "10:00"]], "08:00-12:00", [[800, 1200]], [None], None],
)
def test_a_window_is_a_pair_of_hh_mm_strings(windows):
    with pytest.raises(ValidationError) as exc:
        weekly.validate_python({"fri": windows})
    assert all(loc[0] == "fri" for loc in error_locs(exc))


def test_a_day_has_at_most_48_windows():
    windows = [[f"{h:02d}:{m:02d}", f"{h:02d}:{m + 10:02d}"] for h in range(24) for m in (0, 30)]
    assert len(weekly.validate_python({"mon": windows})["mon"]) == 48
    with pytest.raises(ValidationError):
        weekly.validate_python({"mon": [*windows, ["23:45", "23:50"]]})


def test_stored_hours_drop_empty_days_and_keep_weekday_order():
    hours = weekly.validate_python(
        {"sun": [["10:00", "12:00"]], "wed": [], "mon": [["08:00", "09:00"]]}
    )
    stored = normalize_weekly(hours)
    assert stored == {"mon": [["08:00", "09:00"]], "sun": [["10:00", "12:00"]]}
    assert list(stored) == ["mon", "sun"]


# --- time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["America/Los_Angeles", "America/New_York", "UTC", "Europe/Berlin", "Pacific/Honolulu"]
)
def test_an_iana_zone_name_is_accepted(name):
    assert timezone.validate_python(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "America/Sacramento", "PST", "Pacific Time", "america/los_angeles", "", "x" * 65,
        "../../etc/passwd", "/etc/localtime", "America/Los_Angeles\x00", "+08:00", "America/",
    ],
)
def test_anything_but_an_iana_zone_name_is_refused(name):
    with pytest.raises(ValidationError):
        timezone.validate_python(name)


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "US/Pacific", "EST5EDT"])
def test_a_zone_whose_rules_depend_on_the_host_or_no_region_is_refused(name):
    # `localtime` is the host's own zone; `Factory` has no rules; the others are old
    # names outside the database's regions (contract, section 1).
    with pytest.raises(ValidationError):
        timezone.validate_python(name)


# --- instants ------------------------------------------------------------------------------------


def test_an_instant_with_an_offset_is_kept_in_utc():
    assert instant.validate_python("2027-01-12T18:00:00-08:00") == datetime(
        2027, 1, 13, 2, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text", ["2027-01-12T18:00:00", "2027-01-12", "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"]
)
def test_a_naive_or_out_of_range_instant_is_refused(text):
    with pytest.raises(ValidationError):
        instant.validate_python(text)


def _parses(text: str, *, is_end: bool) -> bool:
    try:
        parse_hhmm(text, is_end=is_end)
    except ValueError:
        return False
    return True


def test_the_documented_hh_mm_patterns_are_what_is_enforced():
    """The OpenAPI document's patterns for a window's start and end accept exactly what
    `parse_hhmm` accepts."""
    candidates = [f"{h:02d}:{m:02d}" for h in range(100) for m in range(100)]
    candidates += ["8:00", "08h00", "０８:00", "-1:00", "24:00", "24:01", "08:00 ", "", "ab:cd"]
    for pattern, is_end in ((START_PATTERN, False), (END_PATTERN, True)):
        for text in candidates:
            assert bool(re.fullmatch(pattern, text)) == _parses(text, is_end=is_end), text


local_date = TypeAdapter(LocalDate)


def _accepted(adapter: TypeAdapter[object], text: str) -> bool:
    try:
        adapter.validate_python(text)
    except ValidationError:
        return False
    return True


def _leap_day_of_a_common_year(text: str) -> bool:
    """The one thing the patterns do not say: 29 February exists in leap years only."""
    year = int(text[:4])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return text[4:10] == "-02-29" and not leap


@given(st.from_regex(INSTANT_PATTERN, fullmatch=True))
def test_an_instant_the_document_allows_is_accepted(text):
    assert _accepted(instant, text) or _leap_day_of_a_common_year(text), text


@given(st.from_regex(DATE_PATTERN, fullmatch=True))
def test_a_date_the_document_allows_is_accepted(text):
    assert _accepted(local_date, text) or _leap_day_of_a_common_year(text), text


@pytest.mark.parametrize(
    "text",
    [
        "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "0600-03-04T14:44:33+16:57",
        "2027-02-30T18:00:00Z", "2027-01-12T24:00:00Z", "2027-01-12T18:00:60Z",
        "2027-01-12T18:00:00+24:00", "2027-01-12T18:00Z", "2027-01-12 18:00:00Z",
        "2027-01-12T18:00:00", "1800000000",
    ],
)
def test_an_instant_the_document_refuses_is_refused(text):
    assert not re.fullmatch(INSTANT_PATTERN, text)
    assert not _accepted(instant, text)


@pytest.mark.parametrize(
    "text", ["1969-12-31", "2200-01-01", "0512-04-15", "2027-04-31", "2027-13-01", "20270112"]
)
def test_a_date_the_document_refuses_is_refused(text):
    assert not re.fullmatch(DATE_PATTERN, text)
    assert not _accepted(local_date, text)
