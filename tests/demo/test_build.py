"""`build_demo_data`: plain values, the same for the same day, planned within the
API's rules whatever the day (no database)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from app.demo import DemoData, build_demo_data
from app.demo.calendar import school_years_around
from app.demo.programs import PROGRAMS
from app.demo.uses import COMMUNITY_BOOKINGS
from tests.demo.conftest import TODAY

# --- the same day, the same demo -----------------------------------------------------


def test_the_same_day_builds_the_same_demo(built: DemoData) -> None:
    assert build_demo_data(TODAY) == built


def test_another_day_moves_only_the_calendar_and_the_activity(built: DemoData) -> None:
    later = build_demo_data(TODAY + timedelta(days=200))
    assert later.parties == built.parties
    assert later.sites == built.sites


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 8, 17),  # the first day of school
        date(2027, 1, 4),  # back from the winter recess (New Year a year ahead)
        date(2027, 4, 1),  # in the spring recess
        date(2027, 6, 11),  # the last day of school
    ],
)
def test_any_day_plans_the_same_partnership_within_the_rules(today: date) -> None:
    """The plan runs the API's own rules (the load, on TODAY, runs the services): it
    is placed within them whatever the day, or building fails."""
    data = build_demo_data(today)
    purposes = Counter(s.purpose for s in data.series)
    assert [purposes[p.purpose] for p in PROGRAMS] == [22, 8, 16]
    kinds = {p.name: p.kind for p in data.parties}
    assert sum(kinds[b.party] == "community_group" for b in data.bookings) == COMMUNITY_BOOKINGS


# --- the school calendar around today ---------------------------------------------


@pytest.mark.parametrize(
    ("today", "first_fall"),
    [
        (date(2026, 11, 23), 2026),  # in the school year
        (date(2027, 3, 1), 2026),  # its spring
        (date(2027, 8, 5), 2026),  # its summer recess, still going on
        (date(2027, 8, 20), 2027),  # the next school year has begun
    ],
)
def test_the_calendar_covers_the_school_year_still_in_progress_and_the_next(
    today: date, first_fall: int
) -> None:
    assert [year.fall for year in school_years_around(today)] == [first_fall, first_fall + 1]


def test_a_summer_recess_under_way_is_in_the_calendar() -> None:
    today = date(2027, 8, 5)
    data = build_demo_data(today)
    assert any(
        e.reason.startswith("Summer") and e.start_date <= today <= e.end_date
        for e in data.calendar_exceptions
    )
