"""The partnership's catalog: the City, the school districts, charter schools and
community groups; the school sites and City facilities, their hours and spaces."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypedDict

from app.core.time import normalize_weekly
from app.demo.seeds import PartySeed, SiteSeed, SpaceSeed, WeeklyHours

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


class FacilityHours(TypedDict):
    """A facility's weekly hours, as `SiteSeed` takes them."""

    open_hours: WeeklyHours
    reserved_hours: WeeklyHours
    custodial_hours: WeeklyHours


EVERY_DAY = (*SCHOOL_DAYS, "sat", "sun")
COMMUNITY_CENTER_HOURS: FacilityHours = {
    "open_hours": weekly(
        (SCHOOL_DAYS, "07:00", "22:00"), (("sat",), "08:00", "20:00"), (("sun",), "10:00", "18:00")
    ),
    # The City's own after-school program has priority in its centers.
    "reserved_hours": weekly((SCHOOL_DAYS, "15:00", "18:00")),
    "custodial_hours": weekly((SCHOOL_DAYS, "07:00", "19:00"), (("sat",), "08:00", "16:00")),
}
PARK_HOURS: FacilityHours = {
    "open_hours": weekly((EVERY_DAY, "06:00", "21:00")),
    # Lap swim and City swim lessons.
    "reserved_hours": weekly((SCHOOL_DAYS, "06:00", "09:00")),
    "custodial_hours": weekly((EVERY_DAY, "07:00", "15:00")),
}
LIBRARY_HOURS: FacilityHours = {
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
    hours: FacilityHours
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


SCHOOL_OWNER = {plan.name: plan.owner for plan in SCHOOLS}
SCHOOL_LEVEL = {plan.name: plan.level for plan in SCHOOLS}
