"""The series: the school-year programs (START, Passages, 4th R) under long-term
agreements, a spring recess day camp, and a district's swim season at a City pool."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta

from app.demo.agreements import LAPSED, programs_name
from app.demo.calendar import (
    SchoolYear,
    at,
    days_between,
    is_holiday,
    rrule_until,
    weekday_on_or_after,
)
from app.demo.catalog import (
    CITY,
    NATOMAS,
    SCHOOL_DISTRICTS,
    SCHOOL_OWNER,
    SCHOOLS,
    SCUSD,
    ST_HOPE,
)
from app.demo.planner import Planner
from app.demo.seeds import SeriesSeed, SpaceSeed


@dataclass(frozen=True)
class ProgramPlan:
    purpose: str
    sites: tuple[str, ...]
    space_kinds: tuple[str, ...]  # in order of preference, one space per program and site
    hours: tuple[str, str]
    attendance: tuple[int, int]


START = ProgramPlan(
    "START after-school program",
    # Every district elementary school but those of the two lapsed agreements: 22.
    tuple(
        p.name
        for p in SCHOOLS
        if p.level in ("elementary", "k8") and p.owner in SCHOOL_DISTRICTS and p.owner not in LAPSED
    ),
    ("library", "classroom"),
    ("15:00", "18:00"),
    (40, 60),
)
PASSAGES = ProgramPlan(
    "Passages middle school program",
    tuple(p.name for p in SCHOOLS if p.level in ("middle", "k8") and p.owner in (SCUSD, NATOMAS)),
    ("multipurpose", "library", "classroom"),
    ("15:00", "18:00"),
    (60, 120),
)
FOURTH_R = ProgramPlan(
    "4th R child care",
    # Sacramento City Unified's elementary schools and St. HOPE's: 16.
    tuple(
        p.name for p in SCHOOLS if p.level in ("elementary", "k8") and p.owner in (SCUSD, ST_HOPE)
    ),
    ("multipurpose", "classroom"),
    ("15:00", "18:30"),  # past the custodians' 18:00: the City shares that half hour
    (40, 80),
)
PROGRAMS = (START, PASSAGES, FOURTH_R)
# 4th R runs all day in the spring recess at a few sites: reserved hours do not apply.
RECESS_CAMP = ("4th R spring recess day camp", ("07:30", "18:30"), 4)
# The owners of the programs' sites: each has a long-term agreement with the City.
PROGRAM_HOSTS = tuple(
    dict.fromkeys(SCHOOL_OWNER[site] for program in PROGRAMS for site in program.sites)
)


def school_year_series(
    planner: Planner,
    rng: random.Random,
    program: ProgramPlan,
    site: str,
    space: SpaceSeed,
    year: SchoolYear,
) -> SeriesSeed:
    """Every school day of the year after the bell, skipping recesses and closures,
    booked a week before school starts."""
    start, end = program.hours
    school_days = [d for d in days_between(year.first_day, year.last_day) if d.weekday() < 5]
    skipped = planner.skipped(site, school_days)
    if year.first_day in skipped:
        raise ValueError(f"{site} does not open on the first day of school")
    owner = SCHOOL_OWNER[site]
    return SeriesSeed(
        site=site,
        space=space.name,
        party=CITY,
        start=at(year.first_day, start),
        end=at(year.first_day, end),
        rrule=f"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL={rrule_until(year.last_day)}",
        booked_at=at(year.first_day - timedelta(days=7), "09:00"),
        purpose=program.purpose,
        attendance=min(space.capacity, rng.randint(*program.attendance)),
        exdates=tuple(at(d, start) for d in skipped),
        # Named: where the City also has an active blanket agreement with the owner,
        # the API would prefer it, and a blanket agreement refuses a year-long series.
        agreement=programs_name(owner),
    )


def build_programs(planner: Planner, rng: random.Random, year: SchoolYear) -> list[SeriesSeed]:
    used: dict[str, list[str]] = defaultdict(list)  # site -> spaces the programs took
    series = []
    for program in PROGRAMS:
        for site in program.sites:
            space = planner.space_of(site, program.space_kinds, used[site])
            used[site].append(space.name)
            series.append(
                planner.require_series(school_year_series(planner, rng, program, site, space, year))
            )
    purpose, (start, end), camps = RECESS_CAMP
    spring = next(first for first, _, reason in year.recesses() if reason == "Spring recess")
    for afternoon in [s for s in series if s.purpose == FOURTH_R.purpose][:camps]:
        camp = replace(
            afternoon,
            start=at(spring, start),
            end=at(spring, end),
            rrule="FREQ=DAILY;COUNT=5",
            purpose=purpose,
            exdates=(),
        )
        series.append(planner.require_series(camp))
    return series


def swim_season(planner: Planner) -> SeriesSeed:
    """A district's swim team at a City pool, twice a week for ten weeks (a blanket
    agreement covers series of up to 90 days) from five weeks ago: after school, past
    the park's custodial hours, so the City incurs and the district owes its share."""
    first = weekday_on_or_after(planner.today - timedelta(days=35), 1)  # a Tuesday
    return planner.require_series(
        SeriesSeed(
            site="Tahoe Park",
            space="Tahoe Park Pool",
            party=SCUSD,
            start=at(first, "15:30"),
            end=at(first, "17:30"),
            rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20",
            booked_at=at(first - timedelta(days=14), "10:00"),
            purpose="Luther Burbank High swim team practice",
            attendance=35,
            exdates=tuple(
                at(d, "15:30")
                for d in days_between(first, first + timedelta(days=70))
                if is_holiday(d)
            ),
        )
    )
