"""Demo data shaped like the Sacramento joint-use partnership: the City, the seven
school districts within it, a few charter schools, their school sites, the City's
facilities and the community groups that use them.

The partnership's activity too: its agreements (blanket, long-term, a site
development project), the school-year programs (START, Passages, 4th R) as booking
series, community groups' and owners' one-off bookings, and shared cost items.

Built in two steps: `build_demo_data` makes plain values (no database, no clock but
the `today` it is given), then `write_demo_data` stores them in the caller's
transaction: the catalog as rows, the activity through the services the API calls,
each as of its own past `now`, so every rule, quote, history row and custodial charge
is the API's own. `load_demo_data` is the `jointuse demo-data` command.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

import typer
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

import app.models  # noqa: F401  (registers every table, so clearing covers them all)
from app.agreements.schemas import AgreementCreate
from app.agreements.service import create_agreement
from app.bookings.recurrence import expand
from app.bookings.rules import (
    Held,
    Occurrence,
    SiteCalendar,
    Situation,
    Violation,
    agreement_kind,
    check,
)
from app.bookings.schemas import BookingCreate, SeriesCreate
from app.bookings.series import create_series
from app.agreements.terms import Terms
from app.bookings.service import act, create_booking
from app.core.auth import Principal, Role
from app.core.config import Settings
from app.core.db import Base, Database, create_engine
from app.core.errors import DomainError
from app.core.time import (
    DEFAULT_TIMEZONE,
    local_today,
    normalize_weekly,
    parse_hhmm,
    wall_to_utc,
    weekly_minutes,
    zone,
)
from app.costs.schemas import CostCategory, CostItemCreate
from app.costs.service import create_cost_item, settle_in
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space

# Same seed, same demo: capacities, rates, room numbers and closures never change.
SEED = 1990

WeeklyHours = dict[str, list[list[str]]]


class DatabaseNotEmpty(Exception):
    """The database already holds parties; demo data would mix with real data."""


class DatabaseNotMigrated(Exception):
    """The database has no jointuse tables: `jointuse migrate` comes first."""


# --- what the demo is made of: plain values ---------------------------------------


@dataclass(frozen=True)
class PartySeed:
    name: str
    kind: str


@dataclass(frozen=True)
class SpaceSeed:
    name: str
    kind: str
    capacity: int
    standard_rental_rate_cents_per_hour: int


@dataclass(frozen=True)
class SiteSeed:
    name: str
    kind: str
    owner: str  # the owner party's name
    address: str
    open_hours: WeeklyHours
    reserved_hours: WeeklyHours
    custodial_hours: WeeklyHours
    custodial_rate_cents_per_hour: int
    spaces: tuple[SpaceSeed, ...]
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class CalendarExceptionSeed:
    site: str  # the site's name
    kind: str
    start_date: date
    end_date: date
    reason: str


@dataclass(frozen=True)
class AgreementSeed:
    name: str
    kind: str
    parties: tuple[str, str]  # the City first; `cost_shares` follow this order
    status: str
    starts_on: date
    ends_on: date | None = None
    direct_partners: tuple[str, ...] = ()
    terms: tuple[tuple[str, int | bool], ...] = ()  # those that differ from the defaults
    cost_shares: tuple[int, int] = (50, 50)


@dataclass(frozen=True)
class BookingAction:
    """An approve, decline or cancel, taken at `at`."""

    action: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class BookingSeed:
    site: str
    space: str
    party: str
    start: datetime
    end: datetime
    booked_at: datetime  # the request's `now`: the rules judge it as of then
    purpose: str
    attendance: int
    setup_minutes: int = 0
    cleanup_minutes: int = 0
    agreement: str | None = None  # named only where the API's own choice is not the one meant
    actions: tuple[BookingAction, ...] = ()


@dataclass(frozen=True)
class SeriesSeed:
    site: str
    space: str
    party: str
    start: datetime  # the first occurrence
    end: datetime
    rrule: str
    booked_at: datetime
    purpose: str
    attendance: int
    exdates: tuple[datetime, ...] = ()
    agreement: str | None = None


@dataclass(frozen=True)
class CostItemSeed:
    agreement: str
    category: str
    amount_cents: int
    incurred_by: str
    incurred_on: date
    description: str
    site: str | None = None


@dataclass(frozen=True)
class DemoData:
    parties: tuple[PartySeed, ...]
    sites: tuple[SiteSeed, ...]
    calendar_exceptions: tuple[CalendarExceptionSeed, ...]
    agreements: tuple[AgreementSeed, ...] = ()
    series: tuple[SeriesSeed, ...] = ()
    bookings: tuple[BookingSeed, ...] = ()
    cost_items: tuple[CostItemSeed, ...] = ()


# --- parties ----------------------------------------------------------------------

CITY = "City of Sacramento"
SCUSD = "Sacramento City Unified School District"
NATOMAS = "Natomas Unified School District"
TWIN_RIVERS = "Twin Rivers Unified School District"
ELK_GROVE = "Elk Grove Unified School District"
SAN_JUAN = "San Juan Unified School District"
ROBLA = "Robla School District"
FOLSOM_CORDOVA = "Folsom Cordova Unified School District"
# The seven school districts within the City of Sacramento.
SCHOOL_DISTRICTS = (SCUSD, NATOMAS, TWIN_RIVERS, ELK_GROVE, SAN_JUAN, ROBLA, FOLSOM_CORDOVA)

ST_HOPE = "St. HOPE Public Schools"
LANGUAGE_ACADEMY = "Language Academy of Sacramento"
CHARTER_SCHOOLS = (ST_HOPE, LANGUAGE_ACADEMY, "Aspire Public Schools", "Capitol Collegiate Academy")

LITTLE_LEAGUE = "Land Park Pacific Little League"
NATOMAS_SOCCER = "Natomas Youth Soccer League"
BASKETBALL = "Oak Park Youth Basketball League"
FOOTBALL = "South Sacramento Youth Football"
SCOUTS = "Scouts BSA Troop 50, Golden Empire Council"
GIRL_SCOUTS = "Girl Scouts Troop 1947"
OAK_PARK = "Oak Park Neighborhood Association"
TAHOE_PARK = "Tahoe Park Neighborhood Association"
CURTIS_PARK = "Curtis Park Neighborhood Association"
WALKING_CLUB = "Meadowview Senior Walking Club"
CHESS = "Sacramento Chess Club"
SWIM_CLUB = "Capitol Aquatics Swim Club"
COMMUNITY_GROUPS = (
    LITTLE_LEAGUE,
    NATOMAS_SOCCER,
    BASKETBALL,
    FOOTBALL,
    SCOUTS,
    GIRL_SCOUTS,
    OAK_PARK,
    TAHOE_PARK,
    CURTIS_PARK,
    WALKING_CLUB,
    CHESS,
    SWIM_CLUB,
)


def build_parties() -> tuple[PartySeed, ...]:
    return (
        PartySeed(CITY, "city"),
        *(PartySeed(name, "school_district") for name in SCHOOL_DISTRICTS),
        *(PartySeed(name, "charter_school") for name in CHARTER_SCHOOLS),
        *(PartySeed(name, "community_group") for name in COMMUNITY_GROUPS),
    )


# --- weekly hours -----------------------------------------------------------------

SCHOOL_DAYS = ("mon", "tue", "wed", "thu", "fri")


def weekly(*windows: tuple[Sequence[str], str, str]) -> WeeklyHours:
    """`(days, "HH:MM", "HH:MM")` windows -> the stored JSON form."""
    hours: dict[str, list[tuple[str, str]]] = {}
    for days, start, end in windows:
        for day in days:
            hours.setdefault(day, []).append((start, end))
    return normalize_weekly(hours)


def school_open_hours(*, open_sundays: bool) -> WeeklyHours:
    sunday = [(("sun",), "10:00", "18:00")] if open_sundays else []
    return weekly((SCHOOL_DAYS, "06:00", "22:00"), (("sat",), "08:00", "18:00"), *sunday)


# Instructional time: the district's priority use of its own schools.
SCHOOL_RESERVED_HOURS = weekly((SCHOOL_DAYS, "08:00", "15:00"))
SCHOOL_CUSTODIAL_HOURS = weekly((SCHOOL_DAYS, "06:00", "18:00"))


# --- spaces -----------------------------------------------------------------------


@dataclass(frozen=True)
class SpacePlan:
    """A kind of space with the ranges a real one falls in."""

    name: str
    kind: str
    capacity: tuple[int, int]
    rate_cents: tuple[int, int]  # per hour, what an outside group would pay
    share: float = 1.0  # the part of the level's sites that have one


def named(plan: SpacePlan, name: str) -> SpacePlan:
    return replace(plan, name=name)


def pick(rng: random.Random, low: int, high: int, step: int) -> int:
    """A value in [low, high] on a `step` grid, so rates look like prices."""
    return low + step * rng.randint(0, (high - low) // step)


def build_space(rng: random.Random, plan: SpacePlan) -> SpaceSeed:
    # Big rooms are counted in fives; a kitchen or a classroom one by one.
    capacity = pick(rng, *plan.capacity, step=5 if plan.capacity[0] >= 50 else 1)
    rate = pick(rng, *plan.rate_cents, step=250)
    return SpaceSeed(plan.name, plan.kind, capacity, rate)


CLASSROOM = SpacePlan("Classroom", "classroom", (24, 36), (2500, 4000))
LIBRARY = SpacePlan("Library", "library", (30, 60), (3000, 4500))
KITCHEN = SpacePlan("Kitchen", "kitchen", (6, 12), (4000, 6000), share=0.4)
PLAYGROUND = SpacePlan("Playground", "playground", (60, 150), (2000, 3500))
POOL = SpacePlan("Pool", "pool", (100, 250), (8000, 12000))

ELEMENTARY_SPACES = (
    SpacePlan("Multipurpose Room", "multipurpose", (150, 300), (4000, 7000)),
    PLAYGROUND,
    SpacePlan("Field", "field", (100, 250), (3500, 6000)),
    LIBRARY,
    KITCHEN,
)
MIDDLE_SPACES = (
    SpacePlan("Gym", "gym", (300, 600), (6000, 9500)),
    SpacePlan("Multipurpose Room", "multipurpose", (200, 350), (4500, 7500)),
    SpacePlan("Field", "field", (150, 400), (4000, 7500)),
    LIBRARY,
    KITCHEN,
)
HIGH_SPACES = (
    SpacePlan("Main Gym", "gym", (800, 1800), (8000, 12000)),
    SpacePlan("Auxiliary Gym", "gym", (200, 400), (6000, 9000), share=0.5),
    SpacePlan("Stadium Field", "field", (1500, 4000), (7500, 10000)),
    SpacePlan("Softball Field", "field", (100, 300), (4000, 6000)),
    SpacePlan("Library", "library", (40, 80), (3000, 4500)),
    SpacePlan("Little Theater", "other", (200, 600), (7000, 11000), share=0.4),
    SpacePlan("Kitchen", "kitchen", (8, 16), (4500, 6500), share=0.5),
)
LEVEL_SPACES = {
    "elementary": (ELEMENTARY_SPACES, 2),
    "k8": ((*MIDDLE_SPACES, PLAYGROUND), 3),
    "middle": (MIDDLE_SPACES, 3),
    "high": (HIGH_SPACES, 3),
}  # level -> (space plans, classrooms lent out)


def classrooms(rng: random.Random, count: int, *, level: str) -> list[SpaceSeed]:
    numbers = range(101, 240) if level == "high" else range(1, 40)
    rooms = sorted(rng.sample(numbers, count))
    return [build_space(rng, named(CLASSROOM, f"Room {n}")) for n in rooms]


def school_spaces(rng: random.Random, level: str, *, has_pool: bool) -> tuple[SpaceSeed, ...]:
    plans, classroom_count = LEVEL_SPACES[level]
    spaces = [build_space(rng, plan) for plan in plans if rng.random() < plan.share]
    if has_pool:
        spaces.append(build_space(rng, POOL))
    return (*spaces, *classrooms(rng, classroom_count, level=level))


# --- school sites -----------------------------------------------------------------


@dataclass(frozen=True)
class SchoolPlan:
    name: str
    level: str  # elementary, k8, middle, high
    owner: str
    address: str


def schools_of(owner: str, *rows: tuple[str, str, str]) -> tuple[SchoolPlan, ...]:
    """`(name, level, address)` rows of one owner's schools."""
    return tuple(SchoolPlan(name, level, owner, address) for name, level, address in rows)


SCHOOLS = (
    *schools_of(
        SCUSD,
        ("Phoebe A. Hearst Elementary", "elementary", "1410 60th St, Sacramento, CA 95819"),
        ("Caleb Greenwood Elementary", "elementary", "5457 Carlson Dr, Sacramento, CA 95819"),
        ("Theodore Judah Elementary", "elementary", "3919 McKinley Blvd, Sacramento, CA 95819"),
        ("William Land Elementary", "elementary", "2120 12th St, Sacramento, CA 95818"),
        ("Crocker/Riverside Elementary", "elementary", "2970 Riverside Blvd, Sacramento, CA 95818"),
        ("Bret Harte Elementary", "elementary", "2751 9th Ave, Sacramento, CA 95818"),
        ("Washington Elementary", "elementary", "520 18th St, Sacramento, CA 95811"),
        ("Tahoe Elementary", "elementary", "3110 60th St, Sacramento, CA 95820"),
        ("Mark Twain Elementary", "elementary", "4914 58th St, Sacramento, CA 95820"),
        ("Sutterville Elementary", "elementary", "4967 Monterey Way, Sacramento, CA 95822"),
        ("John Cabrillo Elementary", "elementary", "1141 Seamas Ave, Sacramento, CA 95822"),
        ("Pony Express Elementary", "elementary", "1250 56th Ave, Sacramento, CA 95831"),
        ("Ethel I. Baker Elementary", "elementary", "5717 Laurine Way, Sacramento, CA 95824"),
        ("Leataata Floyd Elementary", "elementary", "401 McClatchy Way, Sacramento, CA 95818"),
        ("John H. Still K-8", "k8", "2200 John Still Dr, Sacramento, CA 95832"),
        ("Sutter Middle", "middle", "3150 I St, Sacramento, CA 95816"),
        ("Kit Carson International Academy", "middle", "5301 N St, Sacramento, CA 95819"),
        ("California Middle", "middle", "1600 Vallejo Way, Sacramento, CA 95818"),
        ("Fern Bacon Middle", "middle", "4140 Cuny Ave, Sacramento, CA 95823"),
        ("Sam Brannan Middle", "middle", "5301 Elmer Way, Sacramento, CA 95822"),
        ("C. K. McClatchy High", "high", "3066 Freeport Blvd, Sacramento, CA 95818"),
        ("Hiram W. Johnson High", "high", "6879 14th Ave, Sacramento, CA 95820"),
        ("John F. Kennedy High", "high", "6715 Gloria Dr, Sacramento, CA 95831"),
        ("Luther Burbank High", "high", "3500 Florin Rd, Sacramento, CA 95823"),
    ),
    *schools_of(
        NATOMAS,
        ("Inderkum High", "high", "2500 New Market Dr, Sacramento, CA 95835"),
        ("Natomas Middle", "middle", "3200 N Park Dr, Sacramento, CA 95835"),
        ("Heron School", "k8", "5151 Banfield Dr, Sacramento, CA 95835"),
        ("American Lakes Elementary", "elementary", "2800 Stonecreek Dr, Sacramento, CA 95833"),
    ),
    *schools_of(
        TWIN_RIVERS,
        ("Grant Union High", "high", "1400 Grand Ave, Sacramento, CA 95838"),
        ("Woodlake Elementary", "elementary", "700 Southgate Rd, Sacramento, CA 95815"),
        ("Noralto Elementary", "elementary", "477 Las Palmas Ave, Sacramento, CA 95815"),
    ),
    *schools_of(
        ELK_GROVE,
        ("Valley High", "high", "6300 Ehrhardt Ave, Sacramento, CA 95823"),
        ("Prairie Elementary", "elementary", "5251 Valley Hi Dr, Sacramento, CA 95823"),
    ),
    *schools_of(
        SAN_JUAN,
        ("Encina Preparatory High", "high", "1400 Bell St, Sacramento, CA 95825"),
        ("Greer Elementary", "elementary", "2301 Hurley Way, Sacramento, CA 95825"),
    ),
    *schools_of(
        ROBLA,
        ("Robla Elementary", "elementary", "5200 Marysville Blvd, Sacramento, CA 95838"),
        ("Glenwood Elementary", "elementary", "201 Jessie Ave, Sacramento, CA 95838"),
    ),
    *schools_of(
        FOLSOM_CORDOVA,
        ("Cordova Meadows Elementary", "elementary", "2550 La Loma Dr, Rancho Cordova, CA 95670"),
    ),
    *schools_of(
        ST_HOPE,
        ("Sacramento Charter High", "high", "2315 34th St, Sacramento, CA 95817"),
        ("St. HOPE Public School 7", "elementary", "3301 37th Ave, Sacramento, CA 95824"),
    ),
    *schools_of(
        LANGUAGE_ACADEMY,
        ("Language Academy of Sacramento", "k8", "2850 49th St, Sacramento, CA 95817"),
    ),
)
# High schools with a pool of their own.
SCHOOL_POOLS = frozenset(
    {
        "C. K. McClatchy High",
        "Hiram W. Johnson High",
        "John F. Kennedy High",
        "Inderkum High",
        "Grant Union High",
    }
)


def custodial_rates(rng: random.Random, owners: Sequence[str]) -> dict[str, int]:
    """Each owner pays its own custodians ($35-$50 an hour): one rate per owner."""
    return {owner: pick(rng, 3500, 5000, 100) for owner in owners}


def build_school(rng: random.Random, plan: SchoolPlan, custodial_rate: int) -> SiteSeed:
    return SiteSeed(
        name=plan.name,
        kind="school",
        owner=plan.owner,
        address=plan.address,
        # High schools host weekend leagues and tournaments.
        open_hours=school_open_hours(open_sundays=plan.level == "high"),
        reserved_hours=SCHOOL_RESERVED_HOURS,
        custodial_hours=SCHOOL_CUSTODIAL_HOURS,
        custodial_rate_cents_per_hour=custodial_rate,
        spaces=school_spaces(rng, plan.level, has_pool=plan.name in SCHOOL_POOLS),
    )


# --- city facilities --------------------------------------------------------------

EVERY_DAY = (*SCHOOL_DAYS, "sat", "sun")
COMMUNITY_CENTER_HOURS = {
    "open_hours": weekly(
        (SCHOOL_DAYS, "07:00", "22:00"), (("sat",), "08:00", "20:00"), (("sun",), "10:00", "18:00")
    ),
    # The City's own after-school program has priority in its centers.
    "reserved_hours": weekly((SCHOOL_DAYS, "15:00", "18:00")),
    "custodial_hours": weekly((SCHOOL_DAYS, "07:00", "19:00"), (("sat",), "08:00", "16:00")),
}
PARK_HOURS = {
    "open_hours": weekly((EVERY_DAY, "06:00", "21:00")),
    # Lap swim and City swim lessons.
    "reserved_hours": weekly((SCHOOL_DAYS, "06:00", "09:00")),
    "custodial_hours": weekly((EVERY_DAY, "07:00", "15:00")),
}
LIBRARY_HOURS = {
    "open_hours": weekly(
        (("tue", "wed", "fri", "sat"), "10:00", "18:00"),
        (("thu",), "12:00", "20:00"),
        (("sun",), "13:00", "17:00"),
    ),
    "reserved_hours": {},
    "custodial_hours": weekly((("tue", "wed", "thu", "fri", "sat"), "09:00", "18:00")),
}

COMMUNITY_GYM = SpacePlan("Gym", "gym", (200, 400), (6000, 9000))
MEETING_ROOM = SpacePlan("Meeting Room", "meeting_room", (20, 60), (2500, 4500))
HALL = SpacePlan("Hall", "meeting_room", (100, 250), (5000, 8000))
CENTER_KITCHEN = SpacePlan("Kitchen", "kitchen", (6, 12), (4000, 6000))
PARK_FIELD = SpacePlan("Field", "field", (100, 300), (3500, 6500))


@dataclass(frozen=True)
class FacilityPlan:
    name: str
    address: str
    hours: dict[str, WeeklyHours]
    spaces: tuple[SpacePlan, ...]


CITY_FACILITIES = (
    FacilityPlan(
        "Oak Park Community Center",
        "3425 Martin Luther King Jr Blvd, Sacramento, CA 95817",
        COMMUNITY_CENTER_HOURS,
        (
            COMMUNITY_GYM,
            named(MEETING_ROOM, "Meeting Room A"),
            named(MEETING_ROOM, "Meeting Room B"),
            CENTER_KITCHEN,
        ),
    ),
    FacilityPlan(
        "Coloma Community Center",
        "4623 T St, Sacramento, CA 95819",
        COMMUNITY_CENTER_HOURS,
        (COMMUNITY_GYM, MEETING_ROOM, CENTER_KITCHEN),
    ),
    FacilityPlan(
        "South Natomas Community Center",
        "2921 Truxel Rd, Sacramento, CA 95833",
        COMMUNITY_CENTER_HOURS,
        (COMMUNITY_GYM, named(HALL, "Community Hall"), MEETING_ROOM, CENTER_KITCHEN),
    ),
    FacilityPlan(
        "Pannell Meadowview Community Center",
        "2450 Meadowview Rd, Sacramento, CA 95832",
        COMMUNITY_CENTER_HOURS,
        (COMMUNITY_GYM, named(HALL, "Multipurpose Hall"), MEETING_ROOM, CENTER_KITCHEN, PARK_FIELD),
    ),
    FacilityPlan(
        "George Sim Community Center",
        "6207 Logan St, Sacramento, CA 95824",
        COMMUNITY_CENTER_HOURS,
        (COMMUNITY_GYM, MEETING_ROOM, named(PARK_FIELD, "Softball Field")),
    ),
    FacilityPlan(
        "Tahoe Park",
        "3501 59th St, Sacramento, CA 95820",
        PARK_HOURS,
        (
            named(POOL, "Tahoe Park Pool"),
            named(PARK_FIELD, "Field 1"),
            named(PARK_FIELD, "Field 2"),
        ),
    ),
    FacilityPlan(
        "McKinley Park and Clunie Community Center",
        "601 Alhambra Blvd, Sacramento, CA 95816",
        PARK_HOURS,
        (named(HALL, "Clunie Clubhouse"), named(PARK_FIELD, "Ball Field"), CENTER_KITCHEN),
    ),
    FacilityPlan(
        "Belle Cooledge Library",
        "5600 South Land Park Dr, Sacramento, CA 95822",
        LIBRARY_HOURS,
        (named(MEETING_ROOM, "Community Room"), named(LIBRARY, "Reading Room")),
    ),
)


def build_facility(rng: random.Random, plan: FacilityPlan, custodial_rate: int) -> SiteSeed:
    return SiteSeed(
        name=plan.name,
        kind="city_facility",
        owner=CITY,
        address=plan.address,
        custodial_rate_cents_per_hour=custodial_rate,
        spaces=tuple(build_space(rng, space) for space in plan.spaces),
        **plan.hours,
    )


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


# --- agreements -------------------------------------------------------------------

PACIFIC = zone(DEFAULT_TIMEZONE)  # every demo site is in Sacramento


def short_name(party: str) -> str:
    return party.removesuffix(" School District")


def blanket_name(district: str) -> str:
    return f"Joint use of facilities (blanket): City and {short_name(district)}"


def programs_name(owner: str) -> str:
    return f"Extended learning programs (long term): City and {short_name(owner)}"


PLAYGROUND_SITE = "Leataata Floyd Elementary"
PLAYGROUND = f"Playground renovation (site development): {PLAYGROUND_SITE}"

# Revised blanket agreements are approved for three of the seven districts; two more
# are being renegotiated and two have lapsed.
ACTIVE_BLANKETS = (SCUSD, NATOMAS, TWIN_RIVERS)
DRAFT_BLANKETS = (ELK_GROVE, ROBLA)
# Curtis Park is not yet anyone's direct partner: it cannot book (no-agreement).
DIRECT_PARTNERS = {
    SCUSD: tuple(g for g in COMMUNITY_GROUPS if g not in (NATOMAS_SOCCER, CURTIS_PARK)),
    NATOMAS: (NATOMAS_SOCCER, SCOUTS, GIRL_SCOUTS, CHESS, SWIM_CLUB),
    TWIN_RIVERS: (BASKETBALL, FOOTBALL, GIRL_SCOUTS, SWIM_CLUB),
    ELK_GROVE: (FOOTBALL, WALKING_CLUB),
    SAN_JUAN: (CHESS,),
}
# Twin Rivers approves each use itself, and wants a week's notice.
BLANKET_TERMS = {TWIN_RIVERS: (("auto_confirm", False), ("min_notice_hours", 168))}
BLANKET_SHARES = {NATOMAS: (60, 40)}


def blanket_agreement(district: str, year: SchoolYear) -> AgreementSeed:
    fall = year.fall
    if district == SCUSD:
        status, starts_on, ends_on = "active", date(fall - 2, 7, 1), None
    elif district in ACTIVE_BLANKETS:
        status, starts_on, ends_on = "active", date(fall - 1, 7, 1), date(fall + 3, 6, 30)
    elif district in DRAFT_BLANKETS:
        status, starts_on, ends_on = "draft", date(fall + 1, 7, 1), date(fall + 5, 6, 30)
    else:
        status, starts_on, ends_on = "terminated", date(fall - 6, 7, 1), date(fall - 1, 6, 30)
    return AgreementSeed(
        name=blanket_name(district),
        kind="blanket",
        parties=(CITY, district),
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        direct_partners=DIRECT_PARTNERS.get(district, ()),
        terms=BLANKET_TERMS.get(district, ()),
        cost_shares=BLANKET_SHARES.get(district, (50, 50)),
    )


def build_agreements(year: SchoolYear) -> tuple[AgreementSeed, ...]:
    """A blanket agreement with each district; a long-term one for the school year
    with each owner hosting a program; a playground project (cost items only)."""
    hosts = dict.fromkeys(SCHOOL_OWNER[site] for program in PROGRAMS for site in program.sites)
    return (
        *(blanket_agreement(district, year) for district in SCHOOL_DISTRICTS),
        *(
            AgreementSeed(
                name=programs_name(owner),
                kind="long_term",
                parties=(CITY, owner),
                status="active",
                starts_on=date(year.fall, 7, 1),
                ends_on=date(year.fall + 1, 6, 30),
            )
            for owner in hosts
        ),
        AgreementSeed(
            name=PLAYGROUND,
            kind="site_development",
            parties=(CITY, SCUSD),
            status="active",
            starts_on=date(year.fall - 1, 9, 1),
            ends_on=date(year.fall + 1, 12, 31),
            cost_shares=(70, 30),  # the City's Community School Capital Partnership funds
        ),
    )


# --- the programs: school-year series ---------------------------------------------

SCHOOL_OWNER = {plan.name: plan.owner for plan in SCHOOLS}
SCHOOL_LEVEL = {plan.name: plan.level for plan in SCHOOLS}
LAPSED = (SAN_JUAN, FOLSOM_CORDOVA)


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


def site_calendar(site: SiteSeed, exceptions: Sequence[CalendarExceptionSeed]) -> SiteCalendar:
    def ranges(kind: str) -> tuple[tuple[date, date], ...]:
        return tuple((e.start_date, e.end_date) for e in exceptions if e.kind == kind)

    return SiteCalendar(
        zone(site.timezone),
        weekly_minutes(site.open_hours),
        weekly_minutes(site.reserved_hours),
        ranges("closure"),
        ranges("recess"),
    )


def covers(agreement: AgreementSeed, day: date) -> bool:
    return (
        agreement.status == "active"
        and agreement.starts_on <= day
        and (agreement.ends_on is None or day <= agreement.ends_on)
    )


class Planner:
    """Places the demo's bookings where the API will accept them. It runs the API's own
    pure rules over the plan, so a random pick that would break one is not planned at
    all; the booking services judge every booking again when the plan is written."""

    def __init__(
        self,
        today: date,
        sites: Sequence[SiteSeed],
        exceptions: Sequence[CalendarExceptionSeed],
        agreements: Sequence[AgreementSeed],
    ) -> None:
        self.today = today
        self.sites = {s.name: s for s in sites}
        self.spaces = {(s.name, space.name): space for s in sites for space in s.spaces}
        by_site: dict[str, list[CalendarExceptionSeed]] = defaultdict(list)
        for e in exceptions:
            by_site[e.site].append(e)
        self.calendars = {s.name: site_calendar(s, by_site[s.name]) for s in sites}
        self.closures = [e for e in exceptions if e.kind == "closure"]
        self.agreements = {a.name: a for a in agreements}
        self.held: dict[tuple[str, str, date], list[Held]] = defaultdict(list)

    # -- what the API would decide

    def agreement_for(
        self, party: str, site: str, day: date, named: str | None
    ) -> AgreementSeed | None:
        """The covering agreement as the API chooses it: a blanket one first, then the
        one that started first (or the one named)."""
        owner = self.sites[site].owner
        if party == owner:
            return None
        found = [
            a
            for a in self.agreements.values()
            if owner in a.parties
            and (party in a.parties or party in a.direct_partners)
            and covers(a, day)
            and (named is None or a.name == named)
        ]
        found.sort(key=lambda a: (a.kind == "site_development", a.kind != "blanket", a.starts_on))
        return found[0] if found else None

    def problems(self, seed: BookingSeed) -> list[Violation]:
        day = local_day(seed.start)
        owner = seed.party == self.sites[seed.site].owner
        agreement = self.agreement_for(seed.party, seed.site, day, seed.agreement)
        occurrence = Occurrence(
            seed.start, seed.end, seed.setup_minutes, seed.cleanup_minutes, seed.attendance
        )
        return check(
            Situation(
                occurrence=occurrence,
                calendar=self.calendars[seed.site],
                capacity=self.spaces[(seed.site, seed.space)].capacity,
                now=seed.booked_at,
                is_owner=owner,
                terms=Terms.of(dict(agreement.terms) if agreement else None),
                covered=owner or agreement is not None,
                others=self.held[(seed.site, seed.space, day)],
            )
        )

    def hold(self, seed: BookingSeed) -> None:
        held = Occurrence(seed.start, seed.end, seed.setup_minutes, seed.cleanup_minutes).held
        self.held[(seed.site, seed.space, local_day(seed.start))].append(held)

    def accept(self, seed: BookingSeed) -> bool:
        """Plan the booking if every rule passes on a working day; say whether it did."""
        if is_holiday(local_day(seed.start)) or self.problems(seed):
            return False
        self.hold(seed)
        return True

    def require(self, seed: BookingSeed) -> BookingSeed:
        """A booking the demo needs (an example of a rule): not placing it is a bug."""
        problems = self.problems(seed)
        if problems:
            raise ValueError(f"planned {seed.purpose!r} at {seed.site} breaks {problems}")
        self.hold(seed)
        return seed

    def require_series(self, seed: SeriesSeed) -> SeriesSeed:
        """All or nothing, as the API writes a series."""
        windows = expand(
            seed.rrule, first_start=seed.start, first_end=seed.end, tz=PACIFIC, exdates=seed.exdates
        )
        occurrences = [
            BookingSeed(
                seed.site,
                seed.space,
                seed.party,
                start,
                end,
                seed.booked_at,
                seed.purpose,
                seed.attendance,
                agreement=seed.agreement,
            )
            for start, end in windows
        ]
        agreement = self.agreement_for(seed.party, seed.site, local_day(seed.start), seed.agreement)
        if agreement is not None:
            days = (local_day(windows[-1][0]) - local_day(windows[0][0])).days + 1
            wrong = agreement_kind(agreement.kind, days, Terms.of(dict(agreement.terms)))
            if wrong is not None:
                raise ValueError(f"planned series {seed.purpose!r} at {seed.site}: {wrong.detail}")
        for occurrence in occurrences:
            self.require(occurrence)
        return seed

    # -- choosing

    def space_of(self, site: str, kinds: Sequence[str], taken: Collection[str] = ()) -> SpaceSeed:
        spaces = [s for s in self.sites[site].spaces if s.name not in taken]
        for kind in kinds:
            for space in spaces:
                if space.kind == kind:
                    return space
        raise ValueError(f"{site} has no free space of kinds {kinds}")

    def skipped(self, site: str, days: Iterable[date]) -> list[date]:
        """School days a program does not run: recesses, and closures (which bar it)."""
        calendar = self.calendars[site]
        return [d for d in days if calendar.in_recess(d) or calendar.closed_on(d)]

    def booked_ahead(self, rng: random.Random, day: date) -> datetime:
        """When a use of `day` was booked: one to six weeks ahead, and at the latest
        three days ago (the demo has no requests from the future)."""
        booked = min(day - timedelta(days=rng.randint(8, 42)), self.today - timedelta(days=3))
        return at(booked, "10:00")


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


# --- community use, owners' own use, schools at City facilities -------------------


@dataclass(frozen=True)
class UsePlan:
    """A kind of use a party makes of a kind of space, and how often (weight)."""

    party: str | None  # None: each site's owner, on its own site
    site_kind: str
    space_kinds: tuple[str, ...]
    days: str  # weekday, sat or sun
    slots: tuple[tuple[str, str], ...]
    attendance: tuple[int, int]
    purposes: tuple[str, ...]
    weight: int = 1


def use(
    weight: int,
    party: str | None,
    where: str,
    when: str,
    attendance: tuple[int, int],
    *purposes: str,
) -> UsePlan:
    """`weight`: how often, relatively; `where`: the site kind, then space kinds
    ("school gym"); `when`: the days, then the slots ("sat 09:00-13:00 13:00-17:00")."""
    site_kind, *space_kinds = where.split()
    days, *slots = when.split()
    return UsePlan(
        party=party,
        site_kind=site_kind,
        space_kinds=tuple(space_kinds),
        days=days,
        slots=tuple((slot[:5], slot[6:]) for slot in slots),
        attendance=attendance,
        purposes=purposes,
        weight=weight,
    )


AFTER_SCHOOL = "weekday 16:30-19:00 17:30-19:30"
EVENINGS = "weekday 18:30-20:30 19:00-21:00"
LATE_EVENINGS = "weekday 18:30-21:00 20:00-21:45"
COMMUNITY_USES = (
    use(4, LITTLE_LEAGUE, "school field", AFTER_SCHOOL, (20, 45), "Little League practice"),
    use(
        3,
        LITTLE_LEAGUE,
        "school field",
        "sat 09:00-13:00 13:00-17:00",
        (40, 120),
        "Little League games",
    ),
    use(4, NATOMAS_SOCCER, "school field", AFTER_SCHOOL, (20, 45), "Youth soccer practice"),
    use(
        3,
        NATOMAS_SOCCER,
        "school field",
        "sat 08:00-12:00 12:00-16:00",
        (60, 150),
        "Soccer matches",
    ),
    use(5, BASKETBALL, "school gym", EVENINGS, (20, 60), "Youth basketball practice"),
    use(3, BASKETBALL, "school gym", "sat 09:00-14:00", (60, 200), "Youth basketball games"),
    use(1, BASKETBALL, "school gym", "sun 12:00-16:00", (40, 150), "Sunday youth basketball games"),
    use(3, FOOTBALL, "school field", "weekday 17:30-19:30", (30, 70), "Youth football practice"),
    use(2, FOOTBALL, "school field", "sat 09:00-13:00", (80, 300), "Youth football games"),
    use(
        3, SCOUTS, "school classroom multipurpose", "weekday 19:00-20:30", (12, 30), "Troop meeting"
    ),
    use(
        3, GIRL_SCOUTS, "school classroom library", "weekday 18:30-20:00", (8, 24), "Troop meeting"
    ),
    use(2, OAK_PARK, "school multipurpose library", EVENINGS, (25, 120), "Neighborhood meeting"),
    use(
        1,
        TAHOE_PARK,
        "school multipurpose library",
        "weekday 19:00-20:30",
        (20, 80),
        "Neighborhood meeting",
    ),
    use(1, WALKING_CLUB, "school gym", "weekday 18:30-19:30", (10, 30), "Indoor walking"),
    use(1, WALKING_CLUB, "school field", "sat 08:00-10:00", (10, 30), "Saturday morning walk"),
    use(3, CHESS, "school library classroom", LATE_EVENINGS, (10, 30), "Chess club night"),
    use(1, CHESS, "school library", "sat 10:00-16:00", (20, 60), "Scholastic chess tournament"),
    use(3, SWIM_CLUB, "school pool", LATE_EVENINGS, (20, 60), "Swim team practice"),
    use(1, SWIM_CLUB, "school pool", "sat 08:00-12:00", (60, 200), "Swim meet"),
)
OWNER_USES = (
    use(
        3,
        None,
        "school gym",
        "weekday 15:30-17:30",
        (15, 30),
        "Basketball practice",
        "Volleyball practice",
    ),
    use(
        2,
        None,
        "school gym",
        "weekday 18:00-21:00",
        (150, 600),
        "Basketball game",
        "Volleyball match",
    ),
    use(
        2,
        None,
        "school field",
        "weekday 15:30-17:30",
        (20, 60),
        "Track practice",
        "Soccer practice",
    ),
    use(
        2,
        None,
        "school multipurpose",
        "weekday 18:30-20:00",
        (60, 250),
        "Back-to-school night",
        "Open house",
    ),
    use(
        2,
        None,
        "city_facility gym",
        "weekday 15:00-18:00",
        (20, 60),
        "City recreation: youth sports",
    ),
    use(
        1,
        None,
        "city_facility meeting_room",
        "sat 09:00-12:00",
        (10, 40),
        "City recreation: senior fitness",
    ),
)
SCHOOL_AT_CITY_USES = (
    use(
        3,
        SCUSD,
        "city_facility meeting_room",
        EVENINGS,
        (20, 120),
        "Parent education night",
        "Site council",
    ),
    use(
        1,
        SCUSD,
        "city_facility gym",
        "sat 09:00-13:00",
        (50, 200),
        "Middle school basketball tournament",
    ),
    use(1, NATOMAS, "city_facility meeting_room", EVENINGS, (20, 100), "Parent workshop"),
    use(
        1,
        TWIN_RIVERS,
        "city_facility meeting_room gym",
        EVENINGS,
        (20, 150),
        "Community forum",
        "Awards night",
    ),
)
COMMUNITY_BOOKINGS = 300  # with the rule examples below
OWNER_BOOKINGS = 40
SCHOOL_AT_CITY_BOOKINGS = 12
PAST_DAYS, FUTURE_DAYS = 150, 60  # the span of the demo's one-off bookings around today
Venue = tuple[SiteSeed, SpaceSeed]


def venues(planner: Planner, plan: UsePlan) -> list[Venue]:
    """The spaces of the plan's kinds at sites the party may book: its own, or those of
    an owner with whom an active blanket agreement binds it."""

    def bookable(site: SiteSeed) -> bool:
        return plan.party is None or any(
            a.kind == "blanket"
            and a.status == "active"
            and site.owner in a.parties
            and (plan.party in a.parties or plan.party in a.direct_partners)
            for a in planner.agreements.values()
        )

    return [
        (site, space)
        for site in planner.sites.values()
        if site.kind == plan.site_kind and bookable(site)
        for space in site.spaces
        if space.kind in plan.space_kinds
    ]


def booking_days(today: date) -> dict[str, list[date]]:
    """Days for one-off bookings: the past months, and a few weeks ahead (not this week,
    so the ones awaiting approval are still ahead)."""
    days = [
        *days_between(today - timedelta(days=PAST_DAYS), today - timedelta(days=1)),
        *days_between(today + timedelta(days=7), today + timedelta(days=FUTURE_DAYS)),
    ]
    return {
        "weekday": [d for d in days if d.weekday() < 5],
        "sat": [d for d in days if d.weekday() == 5],
        "sun": [d for d in days if d.weekday() == 6],
    }


def place_uses(
    planner: Planner, rng: random.Random, uses: Sequence[UsePlan], count: int
) -> list[BookingSeed]:
    """`count` random bookings of the uses that the rules accept."""
    where = {plan: venues(planner, plan) for plan in uses}
    days = booking_days(planner.today)
    placed: list[BookingSeed] = []
    for _ in range(count * 40):
        if len(placed) == count:
            return placed
        plan = rng.choices(uses, weights=[u.weight for u in uses])[0]
        site, space = rng.choice(where[plan])
        day = rng.choice(days[plan.days])
        start, end = rng.choice(plan.slots)
        seed = BookingSeed(
            site=site.name,
            space=space.name,
            party=plan.party or site.owner,
            start=at(day, start),
            end=at(day, end),
            booked_at=planner.booked_ahead(rng, day),
            purpose=rng.choice(plan.purposes),
            attendance=min(space.capacity, rng.randint(*plan.attendance)),
            setup_minutes=rng.choice((0, 15, 30)),
            cleanup_minutes=rng.choice((0, 15)),
        )
        if planner.accept(seed):
            placed.append(seed)
    raise ValueError(f"placed only {len(placed)} of {count} bookings")


def approved(planner: Planner, seeds: Sequence[BookingSeed]) -> list[BookingSeed]:
    """Where the agreement does not confirm at once, the owner approves the next day."""

    def needs_approval(seed: BookingSeed) -> bool:
        agreement = planner.agreement_for(
            seed.party, seed.site, local_day(seed.start), seed.agreement
        )
        return agreement is not None and not Terms.of(dict(agreement.terms)).auto_confirm

    return [
        replace(seed, actions=(BookingAction("approve", seed.booked_at + timedelta(days=1)),))
        if needs_approval(seed)
        else seed
        for seed in seeds
    ]


LATE_REASONS = ("Team forfeited", "Coach is ill", "Smoke advisory: outdoor events called off")
EARLY_REASONS = ("Season schedule changed", "Moved to another site", "Too few sign-ups")


def with_cancellations(
    rng: random.Random, today: date, seeds: list[BookingSeed]
) -> list[BookingSeed]:
    """A few groups cancel: some weeks ahead, some the day before (late: the custodian
    was already scheduled, so the booking still counts in the custodial bill)."""
    confirmed = [i for i, s in enumerate(seeds) if not s.actions]
    past = rng.sample([i for i in confirmed if local_day(seeds[i].start) < today], 8)
    ahead = rng.sample([i for i in confirmed if local_day(seeds[i].start) > today], 2)
    out = list(seeds)
    for n, i in enumerate(past):
        late = n % 2 == 0
        when = seeds[i].start - (timedelta(hours=20) if late else timedelta(days=5))
        reason = rng.choice(LATE_REASONS if late else EARLY_REASONS)
        out[i] = replace(seeds[i], actions=(BookingAction("cancel", when, reason),))
    for i in ahead:
        cancel = BookingAction(
            "cancel", at(today - timedelta(days=2), "09:00"), rng.choice(EARLY_REASONS)
        )
        out[i] = replace(seeds[i], actions=(cancel,))
    return out


# --- examples of every rule -------------------------------------------------------


def first_fit(
    planner: Planner, candidates: Iterable[Sequence[BookingSeed]], what: str
) -> list[BookingSeed]:
    """The first candidate bookings that all pass the rules, planned together."""
    for seeds in candidates:
        if seeds and all(
            not is_holiday(local_day(s.start)) and not planner.problems(s) for s in seeds
        ):
            for s in seeds:
                planner.hold(s)
            return list(seeds)
    raise ValueError(f"found no place for {what}")


def schools_with(planner: Planner, owner: str, level: str, space: str) -> list[str]:
    return [
        p.name
        for p in SCHOOLS
        if p.owner == owner and p.level == level and (p.name, space) in planner.spaces
    ]


BookedAt = datetime | Callable[[date], datetime] | None


@dataclass(frozen=True)
class OneOff:
    """A one-off use to place at some site on some day. `hours` as "HH:MM-HH:MM";
    attendance None: a full house; booked ahead as usual unless `booked_at` says when
    (or how, from the day)."""

    space: str
    party: str
    hours: str
    purpose: str
    attendance: int | None
    booked_at: BookedAt = None
    cleanup_minutes: int = 0


class Examples:
    """Plans the rule examples, each at the first site and day where it passes."""

    def __init__(self, planner: Planner, rng: random.Random) -> None:
        self.planner, self.rng = planner, rng
        self.found: list[BookingSeed] = []

    def booking(self, site: str, day: date, use: OneOff) -> BookingSeed:
        booked_at = use.booked_at(day) if callable(use.booked_at) else use.booked_at
        capacity = self.planner.spaces[(site, use.space)].capacity
        return BookingSeed(
            site=site,
            space=use.space,
            party=use.party,
            start=at(day, use.hours[:5]),
            end=at(day, use.hours[6:]),
            booked_at=booked_at or self.planner.booked_ahead(self.rng, day),
            purpose=use.purpose,
            attendance=capacity if use.attendance is None else use.attendance,
            cleanup_minutes=use.cleanup_minutes,
        )

    def fit(self, what: str, candidates: Iterable[Sequence[BookingSeed]]) -> None:
        self.found.extend(first_fit(self.planner, candidates, what))

    def fit_one(
        self, what: str, sites: Iterable[str], days: Iterable[date], use: OneOff
    ) -> BookingSeed:
        """The booking on the first of `days`, at the first of `sites`, where it fits."""
        sites = list(sites)
        self.fit(what, ([self.booking(site, day, use)] for day in days for site in sites))
        return self.found[-1]


def rule_examples(planner: Planner, rng: random.Random) -> list[BookingSeed]:
    """Bookings that show the rules at work: at their limits, or their exceptions."""
    today, ex = planner.today, Examples(planner, rng)
    soon = [today + timedelta(days=n) for n in range(10, 130)]
    weeks_ago = [today - timedelta(days=n) for n in range(14, 100)]
    saturdays = [d for d in soon if d.weekday() == 5]
    three_days_ago = at(today - timedelta(days=3), "10:00")
    high = schools_with(planner, SCUSD, "high", "Main Gym")
    calendar = planner.calendars[high[0]]  # one district, one school calendar
    recess = [d for d in soon if d.weekday() < 5 and calendar.in_recess(d) and not is_holiday(d)]

    # owner-priority does not bind in a recess: a day camp in school hours, and a
    # tournament as long as too-long allows (12 hours).
    camp = OneOff("Main Gym", BASKETBALL, "09:00-15:00", "Basketball camp in the recess", 60)
    ex.fit("a recess camp", ([ex.booking(site, d, camp) for d in recess[:3]] for site in high))
    ex.fit_one(
        "a 12-hour tournament",
        reversed(high),
        recess,
        OneOff("Main Gym", BASKETBALL, "09:00-21:00", "Holiday Classic tournament", 600),
    )
    # conflict: back to back is no overlap.
    games = OneOff("Gym", BASKETBALL, "08:00-12:00", "Youth basketball games", 120)
    fundraiser = OneOff("Gym", SCOUTS, "12:00-16:00", "Troop 50 dodgeball fundraiser", 80)
    ex.fit(
        "back-to-back bookings",
        (
            [ex.booking(site, d, games), ex.booking(site, d, fundraiser)]
            for d in saturdays
            for site in schools_with(planner, SCUSD, "middle", "Gym")
        ),
    )
    # too-far-ahead: a jamboree booked a year ahead, to the day.
    a_year_on = today - timedelta(days=3) + timedelta(days=365)
    ex.fit_one(
        "a booking a year ahead",
        high,
        [
            d
            for d in days_between(a_year_on - timedelta(days=35), a_year_on)[::-1]
            if d.weekday() == 5
        ],
        OneOff(
            "Stadium Field",
            FOOTBALL,
            "08:00-18:00",
            "Season kickoff jamboree",
            1200,
            booked_at=three_days_ago,
        ),
    )
    # notice-too-short: booked 72 hours ahead, the shortest notice.
    ex.fit_one(
        "a booking at the shortest notice",
        schools_with(planner, SCUSD, "elementary", "Library"),
        weeks_ago,
        OneOff(
            "Library",
            CHESS,
            "18:30-21:00",
            "Chess club night",
            20,
            booked_at=lambda d: at(d, "18:30") - timedelta(hours=72),
        ),
    )
    # over-capacity: a full house.
    ex.fit_one(
        "a full house",
        schools_with(planner, SCUSD, "middle", "Multipurpose Room"),
        weeks_ago,
        OneOff("Multipurpose Room", OAK_PARK, "18:30-20:30", "Town hall on public safety", None),
    )
    # outside-open-hours: cleaned up by closing time (22:00).
    ex.fit_one(
        "a booking cleaned up at closing time",
        schools_with(planner, SCUSD, "high", "Pool"),
        weeks_ago,
        OneOff("Pool", SWIM_CLUB, "20:00-21:45", "Masters swim practice", 30, cleanup_minutes=15),
    )
    # Twin Rivers approves each use (auto_confirm off): three wait, one was declined.
    tr_high = schools_with(planner, TWIN_RIVERS, "high", "Main Gym")
    waiting = [
        (
            schools_with(planner, TWIN_RIVERS, "elementary", "Library"),
            [d for d in soon if d.weekday() < 5],
            OneOff("Library", GIRL_SCOUTS, "18:30-20:00", "Troop meeting", 20, three_days_ago),
        ),
        (
            tr_high,
            saturdays,
            OneOff(
                "Main Gym", BASKETBALL, "09:00-14:00", "Youth basketball games", 150, three_days_ago
            ),
        ),
        (
            tr_high,
            saturdays,
            OneOff(
                "Stadium Field",
                FOOTBALL,
                "09:00-13:00",
                "Youth football games",
                250,
                three_days_ago,
            ),
        ),
    ]
    for sites, days, use in waiting:
        ex.fit_one("a request awaiting approval", sites, days, use)
    request = ex.fit_one(
        "a declined request",
        schools_with(planner, TWIN_RIVERS, "high", "Pool"),
        [d for d in weeks_ago if d.weekday() < 5],
        OneOff("Pool", SWIM_CLUB, "18:30-20:30", "Swim team practice", 40),
    )
    decline = BookingAction(
        "decline", request.booked_at + timedelta(days=1), "The pool is closed for repairs that week"
    )
    ex.found[-1] = replace(request, actions=(decline,))
    # site-closed binds others, not the owner: contractors stage in the gym.
    closure = next(e for e in planner.closures if e.reason == "HVAC replacement")
    owner, gym = SCHOOL_OWNER[closure.site], planner.space_of(closure.site, ("gym",)).name
    ex.fit_one(
        "an owner's use of its closed site",
        [closure.site],
        [closure.start_date],
        OneOff(gym, owner, "07:00-17:00", "Contractor staging for HVAC work", 10, three_days_ago),
    )
    return ex.found


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


# --- cost items -------------------------------------------------------------------


def build_cost_items(rng: random.Random, today: date, year: SchoolYear) -> list[CostItemSeed]:
    """Supplies each month; capital items the City funded (a gym floor, play
    structures); a custodial adjustment; the playground project's costs."""
    scusd = blanket_name(SCUSD)

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    def dollars(low: int, high: int) -> int:
        return pick(rng, low * 100, high * 100, 500)

    items = [
        CostItemSeed(
            scusd,
            "supplies",
            dollars(180, 650),
            SCUSD,
            ago(14 + 30 * n),
            "Custodial supplies for evening and weekend community use",
        )
        for n in range(5)
    ]
    items += [
        CostItemSeed(
            scusd, "supplies", 42_500, CITY, ago(100), "Sports equipment for community leagues"
        ),
        CostItemSeed(
            scusd,
            "capital",
            1_875_000,
            CITY,
            year.first_day - timedelta(days=18),
            "Gym floor refinishing",
            "California Middle",
        ),
        CostItemSeed(
            scusd,
            "capital",
            3_850_000,
            CITY,
            ago(60),
            "Play structure replacement",
            "Bret Harte Elementary",
        ),
        CostItemSeed(
            scusd,
            "capital",
            4_120_000,
            CITY,
            ago(25),
            "Play structure replacement",
            "Ethel I. Baker Elementary",
        ),
        CostItemSeed(
            scusd,
            "custodial_adjustment",
            9_600,
            SCUSD,
            ago(40),
            "Custodian held over when a league game ran late",
        ),
        CostItemSeed(
            blanket_name(NATOMAS),
            "supplies",
            dollars(150, 400),
            NATOMAS,
            ago(45),
            "Field lining chalk and nets for youth soccer",
        ),
        CostItemSeed(
            blanket_name(NATOMAS),
            "supplies",
            dollars(150, 400),
            NATOMAS,
            ago(105),
            "Custodial supplies for weekend matches",
        ),
        CostItemSeed(
            blanket_name(TWIN_RIVERS),
            "supplies",
            dollars(150, 400),
            TWIN_RIVERS,
            ago(70),
            "Custodial supplies for evening community use",
        ),
        CostItemSeed(
            programs_name(SCUSD),
            "supplies",
            dollars(800, 2400),
            CITY,
            ago(90),
            "START homework center materials",
        ),
        CostItemSeed(
            programs_name(SCUSD),
            "supplies",
            dollars(800, 2400),
            CITY,
            ago(30),
            "4th R art and enrichment supplies",
        ),
    ]
    playground = [
        (2_450_000, CITY, 140, "Design and engineering"),
        (8_600_000, CITY, 70, "Play structure"),
        (3_120_000, SCUSD, 45, "Safety surfacing"),
        (1_890_000, CITY, 20, "Shade structure"),
    ]
    items += [
        CostItemSeed(PLAYGROUND, "capital", amount, party, ago(days), description, PLAYGROUND_SITE)
        for amount, party, days, description in playground
    ]
    return items


# --- the activity together ----------------------------------------------------------


def build_activity(
    rng: random.Random,
    today: date,
    sites: Sequence[SiteSeed],
    exceptions: Sequence[CalendarExceptionSeed],
) -> tuple[tuple[AgreementSeed, ...], list[SeriesSeed], list[BookingSeed], list[CostItemSeed]]:
    """Agreements, the programs of the school year under way (booked the week before
    it began), a swim season, then one-off uses around today."""
    year = school_years_around(today)[0]
    agreements = build_agreements(year)
    planner = Planner(today, sites, exceptions, agreements)
    series = [*build_programs(planner, rng, year), swim_season(planner)]
    examples = rule_examples(planner, rng)
    by_groups = [e for e in examples if e.party in COMMUNITY_GROUPS]
    groups = place_uses(planner, rng, COMMUNITY_USES, COMMUNITY_BOOKINGS - len(by_groups))
    bookings = [
        *examples,
        *with_cancellations(rng, today, approved(planner, groups)),
        *place_uses(planner, rng, OWNER_USES, OWNER_BOOKINGS),
        *approved(planner, place_uses(planner, rng, SCHOOL_AT_CITY_USES, SCHOOL_AT_CITY_BOOKINGS)),
    ]
    return agreements, series, bookings, build_cost_items(rng, today, year)


# --- the whole demo: pure ---------------------------------------------------------


def build_demo_data(today: date) -> DemoData:
    """The demo partnership; the same for the same `today`."""
    rng = random.Random(SEED)
    rates = custodial_rates(rng, (CITY, *SCHOOL_DISTRICTS, *CHARTER_SCHOOLS))
    schools = tuple(build_school(rng, plan, rates[plan.owner]) for plan in SCHOOLS)
    facilities = tuple(build_facility(rng, plan, rates[CITY]) for plan in CITY_FACILITIES)
    sites = (*schools, *facilities)
    calendar = (*build_recesses(today, schools), *build_closures(rng, today, schools))
    # Its own generator: the catalog stays the same whatever the activity draws.
    agreements, series, bookings, cost_items = build_activity(
        random.Random(f"{SEED}-activity"), today, sites, calendar
    )
    return DemoData(
        parties=build_parties(),
        sites=sites,
        calendar_exceptions=calendar,
        agreements=agreements,
        series=tuple(series),
        bookings=tuple(bookings),
        cost_items=tuple(cost_items),
    )


def sacramento_today() -> date:
    """The one clock the demo reads: the school calendar follows the current year."""
    return local_today(zone(DEFAULT_TIMEZONE))


# --- writing ----------------------------------------------------------------------

Advance = Callable[[str], None]


async def has_schema(session: AsyncSession) -> bool:
    conn = await session.connection()
    return await conn.run_sync(lambda sync: inspect(sync).has_table(Party.__tablename__))


async def database_is_empty(session: AsyncSession) -> bool:
    return await session.scalar(select(Party.id).limit(1)) is None


async def clear_all_tables(session: AsyncSession) -> None:
    """Every row of every table, children first, including tables added later."""
    for table in reversed(Base.metadata.sorted_tables):
        await session.execute(table.delete())


def site_row(seed: SiteSeed, owner_party_id: int) -> Site:
    return Site(
        name=seed.name,
        kind=seed.kind,
        owner_party_id=owner_party_id,
        timezone=seed.timezone,
        address=seed.address,
        open_hours=seed.open_hours,
        reserved_hours=seed.reserved_hours,
        custodial_hours=seed.custodial_hours,
        custodial_rate_cents_per_hour=seed.custodial_rate_cents_per_hour,
    )


# The bootstrap admin: books for any party (named on each booking) and approves.
ADMIN = Principal(key_id=None, party_id=None, role=Role.admin)


class DemoDataRefused(Exception):
    """The API refused part of the demo's own plan: the plan is wrong, not the API."""


@contextmanager
def as_planned(what: str) -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise DemoDataRefused(f"{what}: {exc.detail} {exc.body()}") from exc


@dataclass
class Ids:
    parties: dict[str, int]
    sites: dict[str, int]
    spaces: dict[tuple[str, str], int]  # (site, space) names
    agreements: dict[str, int] = field(default_factory=dict)

    def space(self, site: str, space: str) -> int:
        return self.spaces[(site, space)]

    def agreement(self, name: str | None) -> int | None:
        return None if name is None else self.agreements[name]


async def write_catalog(session: AsyncSession, data: DemoData, advance: Advance) -> Ids:
    parties = {seed.name: Party(name=seed.name, kind=seed.kind) for seed in data.parties}
    session.add_all(parties.values())
    await session.flush()
    advance("parties")

    sites = {seed.name: site_row(seed, parties[seed.owner].id) for seed in data.sites}
    session.add_all(sites.values())
    await session.flush()
    advance("sites")

    spaces = {
        (seed.name, space.name): Space(site_id=sites[seed.name].id, **asdict(space))
        for seed in data.sites
        for space in seed.spaces
    }
    session.add_all(spaces.values())
    await session.flush()
    advance("spaces")

    exceptions = [
        CalendarException(
            site_id=sites[seed.site].id,
            kind=seed.kind,
            start_date=seed.start_date,
            end_date=seed.end_date,
            reason=seed.reason,
        )
        for seed in data.calendar_exceptions
    ]
    session.add_all(exceptions)
    await session.flush()
    advance("calendar")
    return Ids(
        parties={name: p.id for name, p in parties.items()},
        sites={name: s.id for name, s in sites.items()},
        spaces={key: s.id for key, s in spaces.items()},
    )


async def write_agreements(session: AsyncSession, data: DemoData, ids: Ids) -> None:
    for seed in data.agreements:
        party_ids = [ids.parties[p] for p in seed.parties]
        request = AgreementCreate.model_validate(
            {
                "kind": seed.kind,
                "name": seed.name,
                "party_ids": party_ids,
                "direct_partner_ids": [ids.parties[p] for p in seed.direct_partners],
                "starts_on": seed.starts_on,
                "ends_on": seed.ends_on,
                "status": seed.status,
                "terms": dict(seed.terms),
                "cost_shares": {
                    str(p): pct for p, pct in zip(party_ids, seed.cost_shares, strict=True)
                },
            }
        )
        with as_planned(f"agreement {seed.name!r}"):
            view = await create_agreement(session, principal=ADMIN, data=request)
        ids.agreements[seed.name] = view.agreement.id


def request_fields(seed: BookingSeed | SeriesSeed, ids: Ids) -> dict[str, object]:
    """What a booking request and a series request share, in ids."""
    return {
        "space_id": ids.space(seed.site, seed.space),
        "party_id": ids.parties[seed.party],
        "start": seed.start,
        "end": seed.end,
        "purpose": seed.purpose,
        "attendance": seed.attendance,
        "agreement_id": ids.agreement(seed.agreement),
    }


def series_request(seed: SeriesSeed, ids: Ids) -> SeriesCreate:
    return SeriesCreate.model_validate(
        {**request_fields(seed, ids), "rrule": seed.rrule, "exdates": list(seed.exdates)}
    )


def booking_request(seed: BookingSeed, ids: Ids) -> BookingCreate:
    return BookingCreate.model_validate(
        {
            **request_fields(seed, ids),
            "setup_minutes": seed.setup_minutes,
            "cleanup_minutes": seed.cleanup_minutes,
        }
    )


async def write_activity(session: AsyncSession, data: DemoData, ids: Ids) -> dict[str, int]:
    """Series, bookings, approvals and cancellations in the order they happened, each
    through its service as of its own `now`: the rules, quotes, history and custodial
    charges are the API's own. Returns how many series and bookings were made."""
    steps: list[tuple[datetime, str, int, BookingAction | None]] = [
        *((s.booked_at, "series", i, None) for i, s in enumerate(data.series)),
        *((b.booked_at, "booking", i, None) for i, b in enumerate(data.bookings)),
        *((a.at, "action", i, a) for i, b in enumerate(data.bookings) for a in b.actions),
    ]
    steps.sort(key=lambda step: step[0])  # stable: a booking before its actions
    booking_ids: dict[int, int] = {}
    series_bookings = 0
    for now, kind, i, action in steps:
        if kind == "series":
            seed = data.series[i]
            with as_planned(f"series {seed.purpose!r} at {seed.site}"):
                _, made = await create_series(
                    session, principal=ADMIN, data=series_request(seed, ids), now=now
                )
            series_bookings += len(made)
        elif action is None:
            one = data.bookings[i]
            with as_planned(
                f"booking {one.purpose!r} at {one.site} on {one.start:%Y-%m-%d %H:%M}Z"
            ):
                booking = await create_booking(
                    session, principal=ADMIN, data=booking_request(one, ids), now=now
                )
            booking_ids[i] = booking.id
        else:
            with as_planned(f"{action.action} of {data.bookings[i].purpose!r}"):
                await act(
                    session,
                    principal=ADMIN,
                    booking_id=booking_ids[i],
                    action=action.action,
                    reason=action.reason,
                    now=now,
                )
    return {"series": len(data.series), "bookings": series_bookings + len(booking_ids)}


async def write_cost_items(session: AsyncSession, data: DemoData, ids: Ids) -> None:
    for seed in data.cost_items:
        request = CostItemCreate(
            category=CostCategory(seed.category),
            amount_cents=seed.amount_cents,
            incurred_by_party_id=ids.parties[seed.incurred_by],
            incurred_on=seed.incurred_on,
            description=seed.description,
            site_id=ids.sites[seed.site] if seed.site else None,
        )
        with as_planned(f"cost item {seed.description!r}"):
            await create_cost_item(
                session, principal=ADMIN, agreement_id=ids.agreements[seed.agreement], data=request
            )


async def write_demo_data(
    session: AsyncSession, data: DemoData, *, advance: Advance = lambda _step: None
) -> dict[str, int]:
    """Store the demo in the caller's transaction; flushes, never commits."""
    ids = await write_catalog(session, data, advance)
    await write_agreements(session, data, ids)
    advance("agreements")
    made = await write_activity(session, data, ids)
    advance("bookings")
    await write_cost_items(session, data, ids)
    # Bill every site date now, so the first statement read has nothing left to do.
    await settle_in(session, first=date.min, last=date.max)
    advance("cost items")
    return {
        "parties": len(data.parties),
        "sites": len(data.sites),
        "spaces": len(ids.spaces),
        "calendar exceptions": len(data.calendar_exceptions),
        "agreements": len(data.agreements),
        **made,
        "cost items": len(data.cost_items),
    }


LOAD_STEPS = (
    "checking",
    "parties",
    "sites",
    "spaces",
    "calendar",
    "agreements",
    "bookings",
    "cost items",
    "committed",
)


@contextmanager
def progress_bar(enabled: bool, steps: int) -> Iterator[Advance]:
    """A bar on stderr labelled with the step just done (stdout stays for the summary)."""
    if not enabled:
        yield lambda _step: None
        return
    with typer.progressbar(length=steps, label="demo data", file=sys.stderr) as bar:

        def advance(step: str) -> None:
            bar.label = f"demo data: {step}"
            bar.update(1)

        yield advance


async def load_demo_data(
    settings: Settings, *, force: bool = False, progress: bool = False, today: date | None = None
) -> dict[str, int]:
    """Load the demo partnership in one transaction: all of it or nothing.

    Refuses a database without the schema (`DatabaseNotMigrated`) and one that has
    parties (`DatabaseNotEmpty`) unless `force`, which first deletes every row of
    every table. Returns how many rows of each were made.
    """
    db = Database.for_engine(create_engine(settings))
    try:
        with progress_bar(progress, len(LOAD_STEPS)) as advance:
            async with db.write_sessions() as session, session.begin():
                if not await has_schema(session):
                    raise DatabaseNotMigrated("no tables: run `jointuse migrate` first")
                if not await database_is_empty(session):
                    if not force:
                        raise DatabaseNotEmpty("the database already has parties")
                    await clear_all_tables(session)
                # Built once the database is known to take it (a refusal is instant).
                data = build_demo_data(today or sacramento_today())
                advance("checking")
                counts = await write_demo_data(session, data, advance=advance)
            advance("committed")
        return counts
    finally:
        await db.engine.dispose()
