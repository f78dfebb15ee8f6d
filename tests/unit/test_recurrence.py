"""Contract section 3, booking series: an RFC 5545 RRULE expanded in the site's local
time, COUNT or UNTIL required, at most 500 occurrences, exdates skipped."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr

from app.bookings.recurrence import (
    FREQUENCIES,
    MAX_CANDIDATES,
    MAX_OCCURRENCES,
    WEEKDAYS,
    RecurrenceError,
    expand,
)
from tests.unit.support import FALL_BACK, LA, SPRING_FORWARD, TUESDAY, at, minutes

SATURDAY_BEFORE_SPRING = date(2026, 3, 7)
TUESDAY_BEFORE_FALL = date(2026, 10, 27)


HOUR = timedelta(hours=1)
# No occurrence may start after this (the service passes now + the longest
# `max_advance_days`); far after every date below, unless a test says otherwise.
LATEST = datetime(2036, 3, 1, tzinfo=UTC)


def series(
    rrule: str,
    start: datetime,
    end: datetime,
    exdates: tuple[datetime, ...] = (),
    latest: datetime = LATEST,
) -> list[tuple[datetime, datetime]]:
    return expand(rrule, first_start=start, first_end=end, tz=LA, latest=latest, exdates=exdates)


def tuesdays(
    rrule: str,
    *,
    first: date = TUESDAY,
    exdates: tuple[datetime, ...] = (),
    latest: datetime = LATEST,
) -> list[tuple[datetime, datetime]]:
    """A weekly 18:00-20:00 program starting on `first`."""
    return series(rrule, at(first, "18:00"), at(first, "20:00"), exdates, latest)


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


# --- bounded work (issue 14: a rule that never matches tied up a worker for seconds) ----

HOSTILE = [
    "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
    "FREQ=MINUTELY;COUNT=1",
    "FREQ=HOURLY;COUNT=2",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z",
    "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z",
    "FREQ=YEARLY;BYMONTHDAY=-1;BYMONTH=2;BYDAY=MO;BYSETPOS=1;UNTIL=99991231T000000Z",
    "FREQ=DAILY;BYHOUR="
    + ",".join(map(str, range(24)))
    + ";BYMINUTE="
    + ",".join(map(str, range(60)))
    + ";UNTIL=99991231T000000Z",
    "FREQ=YEARLY;BYYEARDAY=366;BYDAY=MO;UNTIL=99991231T000000Z",
    "FREQ=YEARLY;INTERVAL=999999999;COUNT=500",
]


@pytest.mark.parametrize("rrule", HOSTILE)
def test_a_rule_that_rarely_or_never_matches_is_refused_after_bounded_work(rrule: str) -> None:
    started = time.perf_counter()
    with pytest.raises(RecurrenceError):
        tuesdays(rrule)
    assert time.perf_counter() - started < 0.5


LEAP_TUESDAY = date(2028, 2, 29)  # the next 29 February on a Tuesday is in 2056
LEAP_TUESDAYS = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=TU"


def test_a_rule_still_looking_after_max_candidates_days_is_refused() -> None:
    # Every day examined counts, matched or not: 28 years of days are over the budget.
    with pytest.raises(RecurrenceError, match=f"more than {MAX_CANDIDATES} candidate"):
        tuesdays(f"{LEAP_TUESDAYS};UNTIL=99991231T000000Z", first=LEAP_TUESDAY)


def test_a_count_rule_looks_no_further_than_latest() -> None:
    with pytest.raises(RecurrenceError, match="1 of its COUNT of 2 occurrences by 2036-02-29"):
        tuesdays(f"{LEAP_TUESDAYS};COUNT=2", first=LEAP_TUESDAY)


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY"])
def test_only_daily_to_yearly_rules_are_accepted(freq: str) -> None:
    with pytest.raises(RecurrenceError, match="DAILY, WEEKLY, MONTHLY or YEARLY"):
        tuesdays(f"FREQ={freq};COUNT=2")


@pytest.mark.parametrize("count", ["0", "501", "99999999999"])
def test_a_count_outside_1_to_500_is_refused_before_expanding(count: str) -> None:
    with pytest.raises(RecurrenceError, match="COUNT"):
        tuesdays(f"FREQ=DAILY;COUNT={count}")


# --- all within `latest`, exactly COUNT ------------------------------------------------


def test_an_occurrence_starting_after_latest_is_refused() -> None:
    latest = at(TUESDAY + timedelta(weeks=2), "18:00")
    assert len(tuesdays("FREQ=WEEKLY;COUNT=3", latest=latest)) == 3
    with pytest.raises(RecurrenceError, match="3 of its COUNT of 4 occurrences by 2026-03-17"):
        tuesdays("FREQ=WEEKLY;COUNT=4", latest=latest)
    with pytest.raises(RecurrenceError, match="2026-03-17 starts after 2026-03-17 17:59"):
        tuesdays("FREQ=WEEKLY;COUNT=3", latest=latest - timedelta(minutes=1))


def test_an_until_past_latest_is_refused_when_an_occurrence_falls_after_latest() -> None:
    latest = at(TUESDAY + timedelta(weeks=2), "18:00")
    with pytest.raises(RecurrenceError, match="after"):
        tuesdays("FREQ=WEEKLY;UNTIL=20260401T000000Z", latest=latest)


def test_an_until_past_latest_is_accepted_when_every_occurrence_is_within_it() -> None:
    latest = at(TUESDAY + timedelta(weeks=2, days=1), "12:00")
    got = tuesdays("FREQ=WEEKLY;UNTIL=20260320T000000Z", latest=latest)  # a Friday
    assert len(got) == 3


def test_a_huge_interval_giving_fewer_occurrences_than_count_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="COUNT of 3"):
        tuesdays("FREQ=YEARLY;INTERVAL=100000;COUNT=3")


def test_a_monthly_rule_on_the_31st_gives_its_count_in_the_months_that_have_one() -> None:
    got = series(
        "FREQ=MONTHLY;COUNT=3", at(date(2026, 1, 31), "18:00"), at(date(2026, 1, 31), "19:00")
    )
    assert [s.astimezone(LA).date() for s, _ in got] == [
        date(2026, 1, 31),
        date(2026, 3, 31),
        date(2026, 5, 31),
    ]


def test_an_until_before_start_is_refused() -> None:
    with pytest.raises(RecurrenceError, match="UNTIL is before"):
        tuesdays("FREQ=WEEKLY;UNTIL=20260101T000000Z")


# --- local times that do not exist or happen twice -------------------------------------


def test_an_occurrence_starting_in_the_spring_forward_gap_is_refused_naming_its_date() -> None:
    with pytest.raises(RecurrenceError, match=f"{SPRING_FORWARD.isoformat()} starts at 02:30"):
        series(
            "FREQ=DAILY;COUNT=3",
            at(SATURDAY_BEFORE_SPRING, "02:30"),
            at(SATURDAY_BEFORE_SPRING, "03:30"),
        )


def test_an_occurrence_from_02_00_to_03_00_on_the_spring_forward_night_is_refused() -> None:
    with pytest.raises(RecurrenceError, match=SPRING_FORWARD.isoformat()):
        series(
            "FREQ=DAILY;COUNT=3",
            at(SATURDAY_BEFORE_SPRING, "02:00"),
            at(SATURDAY_BEFORE_SPRING, "03:00"),
        )


def test_an_occurrence_ending_in_the_spring_forward_gap_is_refused() -> None:
    with pytest.raises(RecurrenceError, match=f"{SPRING_FORWARD.isoformat()} ends at 02:30"):
        series(
            "FREQ=DAILY;COUNT=3",
            at(SATURDAY_BEFORE_SPRING, "01:30"),
            at(SATURDAY_BEFORE_SPRING, "02:30"),
        )


def test_an_exdate_skips_the_occurrence_in_the_gap() -> None:
    # 02:30 with the offset before the gap (PST), as the refusal names it.
    gap = datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    got = series(
        "FREQ=DAILY;COUNT=3",
        at(SATURDAY_BEFORE_SPRING, "02:30"),
        at(SATURDAY_BEFORE_SPRING, "03:30"),
        exdates=(gap,),
    )
    assert local_starts(got) == ["2026-03-07 02:30", "2026-03-09 02:30"]


def test_an_occurrence_at_an_hour_that_happens_twice_takes_the_first() -> None:
    got = series(
        "FREQ=DAILY;COUNT=2", at(date(2026, 10, 31), "01:30"), at(date(2026, 10, 31), "02:00")
    )
    start, end = got[1]
    assert start == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT, not PST
    assert end == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # 02:00 PST: 90 real minutes


# --- what RFC 5545 allows, and what it does not ----------------------------------------


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=MONTHLY;BYDAY=+99SA;COUNT=3",
        "FREQ=YEARLY;BYDAY=+99SA;COUNT=3",
        "FREQ=MONTHLY;BYDAY=+6SA;COUNT=3",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-6TU;COUNT=3",
        "FREQ=MONTHLY;BYDAY=0TU;COUNT=3",
        "FREQ=WEEKLY;BYDAY=1TU;COUNT=3",
        "FREQ=DAILY;BYDAY=-1TU;COUNT=3",
        "FREQ=YEARLY;BYWEEKNO=10;BYDAY=1TU;COUNT=3",
        "FREQ=WEEKLY;BYMONTHDAY=3;COUNT=3",
        "FREQ=MONTHLY;BYYEARDAY=62;COUNT=3",
        "FREQ=MONTHLY;BYWEEKNO=10;COUNT=3",
        "FREQ=WEEKLY;BYSETPOS=1;COUNT=3",
        "FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3",
        "FREQ=MONTHLY;BYMONTHDAY=0;COUNT=3",
        "FREQ=YEARLY;BYYEARDAY=367;COUNT=3",
        "FREQ=YEARLY;BYMONTH=13;COUNT=3",
        "FREQ=DAILY;BYHOUR=24;COUNT=3",
        "FREQ=DAILY;BYMINUTE=60;COUNT=3",
        "FREQ=DAILY;BYSECOND=30;COUNT=3",
        "FREQ=WEEKLY;WKST=XX;COUNT=3",
        "FREQ=WEEKLY;COUNT=3;COUNT=4",
        "FREQ=WEEKLY;COUNT=3;BYEASTER=0",
        "FREQ=WEEKLY;COUNT",
        "FREQ=WEEKLY;UNTIL=20260401",
        "FREQ=WEEKLY;UNTIL=2026-04-01T00:00:00Z",
        "FREQ=WEEKLY;UNTIL=20260231T000000Z",
    ],
)
def test_a_rule_rfc_5545_or_this_service_does_not_allow_is_refused(rrule: str) -> None:
    with pytest.raises(RecurrenceError):
        tuesdays(rrule)


def test_the_second_tuesday_of_each_month() -> None:
    got = tuesdays("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", first=date(2026, 3, 10))
    assert local_starts(got) == ["2026-03-10 18:00", "2026-04-14 18:00", "2026-05-12 18:00"]


def test_the_last_weekday_of_each_month() -> None:
    got = tuesdays("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", first=date(2026, 3, 31))
    assert local_starts(got) == ["2026-03-31 18:00", "2026-04-30 18:00", "2026-05-29 18:00"]


def test_the_last_day_of_each_month() -> None:
    got = tuesdays("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", first=date(2026, 3, 31))
    assert local_starts(got) == ["2026-03-31 18:00", "2026-04-30 18:00", "2026-05-31 18:00"]


def test_two_times_a_day_by_hour() -> None:
    got = series("FREQ=DAILY;BYHOUR=9,14;COUNT=3", at(TUESDAY, "09:00"), at(TUESDAY, "10:00"))
    assert local_starts(got) == ["2026-03-03 09:00", "2026-03-03 14:00", "2026-03-04 09:00"]


def test_every_other_week_on_two_days() -> None:
    got = tuesdays("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4")
    assert [s.astimezone(LA).date() for s, _ in got] == [
        TUESDAY + timedelta(days=n) for n in (0, 2, 14, 16)
    ]


def test_a_yearly_rule_repeats_the_first_date() -> None:
    got = tuesdays("FREQ=YEARLY;COUNT=3")
    assert local_starts(got) == ["2026-03-03 18:00", "2027-03-03 18:00", "2028-03-03 18:00"]


def _random_rule(rng: random.Random) -> str:
    """A rule of the parts where dateutil follows RFC 5545 (it intersects plain and
    numbered BYDAY values, and cuts WEEKLY's first week at the start)."""
    freq = rng.choice(FREQUENCIES)
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.3:
        parts.append(f"INTERVAL={rng.randint(1, 4)}")
    if rng.random() < 0.3:
        parts.append("BYMONTH=" + ",".join(map(str, rng.sample(range(1, 13), rng.randint(1, 4)))))
    if freq == "YEARLY" and rng.random() < 0.2:
        parts.append(f"BYWEEKNO={rng.choice([1, 2, 10, 26, 52, 53, -1, -2])}")
    if freq == "YEARLY" and rng.random() < 0.2:
        parts.append(f"BYYEARDAY={rng.choice([1, 60, 100, 365, 366, -1, -300])}")
    if freq != "WEEKLY" and rng.random() < 0.3:
        parts.append(f"BYMONTHDAY={rng.choice([1, 15, 29, 30, 31, -1, -2, -31])}")
    numbered = freq in ("MONTHLY", "YEARLY") and "BYWEEKNO" not in parts[-1]
    if rng.random() < 0.5:
        days = rng.sample(WEEKDAYS, rng.randint(1, 3))
        if numbered and rng.random() < 0.5:
            most = 5 if freq == "MONTHLY" or any(p.startswith("BYMONTH=") for p in parts) else 53
            days = [f"{rng.choice([1, -1]) * rng.randint(1, most):+d}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if rng.random() < 0.2:
        parts.append(f"BYHOUR=18,{rng.randint(6, 17)}")
    if freq != "WEEKLY" and len(parts) > 1 and rng.random() < 0.2:
        parts.append("BYSETPOS=" + ",".join(map(str, rng.sample([1, 2, 3, -1, -2], 2))))
    if rng.random() < 0.2:
        parts.append("WKST=" + rng.choice(WEEKDAYS))
    parts.append(f"COUNT={rng.randint(1, 30)}")
    return ";".join(parts)


def test_occurrences_are_those_dateutil_gives_for_rules_it_follows_rfc_5545_on() -> None:
    """dateutil as the oracle, asked only about rules expanded here (it looks for a
    match up to the year 9999: asked about a rule that never matches, it would spin)."""
    rng = random.Random(14)
    compared = 0
    for _ in range(600):
        rrule = _random_rule(rng)
        first = datetime(2027, 1, 1, 18, 0) + timedelta(days=rng.randint(0, 700))
        try:
            got = series(rrule, first.replace(tzinfo=LA), first.replace(tzinfo=LA) + HOUR)
        except RecurrenceError:
            continue
        expected = list(rrulestr(rrule, dtstart=first))  # COUNT of them: quick
        assert [s.astimezone(LA).replace(tzinfo=None) for s, _ in got] == expected, rrule
        compared += 1
    assert compared > 150
