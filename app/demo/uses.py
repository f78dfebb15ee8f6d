"""One-off bookings: community groups' use of schools, owners' use of their own
sites, school districts at City facilities; approvals and cancellations."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.agreements.terms import Terms
from app.demo.calendar import at, days_between, local_day
from app.demo.catalog import (
    BASKETBALL,
    CHESS,
    FOOTBALL,
    GIRL_SCOUTS,
    LITTLE_LEAGUE,
    NATOMAS,
    NATOMAS_SOCCER,
    OAK_PARK,
    SCOUTS,
    SCUSD,
    SWIM_CLUB,
    TAHOE_PARK,
    TWIN_RIVERS,
    WALKING_CLUB,
)
from app.demo.planner import Planner
from app.demo.seeds import BookingAction, BookingSeed, SiteSeed, SpaceSeed


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
            a.kind == "blanket" for a in planner.agreements_binding(site.owner, plan.party)
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
