"""The school calendar around today (school years, recesses, closures) and
Sacramento wall-clock time."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.core.time import DEFAULT_TIMEZONE, parse_hhmm, wall_to_utc, zone
from app.demo.seeds import CalendarExceptionSeed, SiteSeed

# --- school calendar --------------------------------------------------------------


def weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


MONDAY, THURSDAY, FRIDAY = 0, 3, 4


@dataclass(frozen=True)
class SchoolYear:
    """The school year that starts in August of `fall` and ends in June of `fall + 1`."""

    fall: int

    @property
    def first_day(self) -> date:
        return weekday_on_or_after(date(self.fall, 8, 11), MONDAY)

    @property
    def last_day(self) -> date:
        # The second Friday of June.
        return weekday_on_or_after(date(self.fall + 1, 6, 8), FRIDAY)

    @property
    def label(self) -> str:
        return f"{self.fall}-{(self.fall + 1) % 100:02d}"

    def recesses(self) -> list[tuple[date, date, str]]:
        thanksgiving = weekday_on_or_after(date(self.fall, 11, 22), THURSDAY)
        spring = weekday_on_or_after(date(self.fall + 1, 3, 30), MONDAY)
        summer_end = SchoolYear(self.fall + 1).first_day - timedelta(days=1)
        return [
            (
                thanksgiving - timedelta(days=3),
                thanksgiving + timedelta(days=1),
                "Thanksgiving recess",
            ),
            (date(self.fall, 12, 21), date(self.fall + 1, 1, 1), "Winter recess"),
            (spring, spring + timedelta(days=4), "Spring recess"),
            (self.last_day + timedelta(days=1), summer_end, "Summer recess"),
        ]


def school_years_around(today: date) -> tuple[SchoolYear, SchoolYear]:
    """The school year whose summer recess has not ended yet, and the next one:
    together they cover at least a year ahead (the longest booking horizon)."""
    previous = SchoolYear(today.year - 1)
    current = previous if today < SchoolYear(today.year).first_day else SchoolYear(today.year)
    return current, SchoolYear(current.fall + 1)


# Sites closed for a week of work, N weeks ahead: the demo always shows a few closures.
SCHOOL_CLOSURES = (
    ("Gym floor refinishing", 2),
    ("HVAC replacement", 5),
    ("Roof repair", 9),
    ("Fire alarm system upgrade", 16),
)
FACILITY_CLOSURE = ("Belle Cooledge Library", "Carpet replacement", 3)


def closure_week(today: date, weeks_ahead: int) -> tuple[date, date]:
    """Monday to Sunday of the week `weeks_ahead` weeks after the coming Monday."""
    monday = weekday_on_or_after(today + timedelta(days=1), MONDAY) + timedelta(weeks=weeks_ahead)
    return monday, monday + timedelta(days=6)


def build_recesses(today: date, schools: Sequence[SiteSeed]) -> list[CalendarExceptionSeed]:
    return [
        CalendarExceptionSeed(school.name, "recess", start, end, f"{reason} {year.label}")
        for year in school_years_around(today)
        for school in schools
        for start, end, reason in year.recesses()
    ]


def build_closures(
    rng: random.Random, today: date, schools: Sequence[SiteSeed]
) -> list[CalendarExceptionSeed]:
    with_gyms = [s for s in schools if any(space.kind == "gym" for space in s.spaces)]
    closed = rng.sample(with_gyms, len(SCHOOL_CLOSURES))
    facility, facility_reason, facility_weeks = FACILITY_CLOSURE
    return [
        *(
            CalendarExceptionSeed(site.name, "closure", *closure_week(today, weeks), reason)
            for site, (reason, weeks) in zip(closed, SCHOOL_CLOSURES, strict=True)
        ),
        CalendarExceptionSeed(
            facility, "closure", *closure_week(today, facility_weeks), facility_reason
        ),
    ]


# --- Sacramento time --------------------------------------------------------------

PACIFIC = zone(DEFAULT_TIMEZONE)  # every demo site is in Sacramento


def hhmm(text: str) -> int:
    return parse_hhmm(text, is_end=True)


def at(day: date, clock: str) -> datetime:
    """A Sacramento wall-clock time as an instant."""
    return wall_to_utc(day, hhmm(clock), PACIFIC)


def local_day(instant: datetime) -> date:
    return instant.astimezone(PACIFIC).date()


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def is_holiday(day: date) -> bool:
    """Nobody books Christmas to New Year, Thanksgiving and the day after, or July 4."""
    thanksgiving = weekday_on_or_after(date(day.year, 11, 22), THURSDAY)
    return (day.month, day.day) in HOLIDAYS or day in (thanksgiving, thanksgiving + timedelta(1))


HOLIDAYS = frozenset({(12, 24), (12, 25), (12, 31), (1, 1), (7, 4)})


def rrule_until(last_day: date) -> str:
    return at(last_day, "24:00").strftime("%Y%m%dT%H%M%SZ")
