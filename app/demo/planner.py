"""The planner: what the API would decide about a planned booking, so that the
demo only plans bookings the API will accept."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.agreements.rules import binds, choose_agreement
from app.agreements.terms import LONGEST_ADVANCE_DAYS, Terms
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
from app.core.time import weekly_minutes, zone
from app.demo.calendar import PACIFIC, at, is_holiday, local_day
from app.demo.seeds import (
    AgreementSeed,
    BookingSeed,
    CalendarExceptionSeed,
    SeriesSeed,
    SiteSeed,
    SpaceSeed,
)


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


@dataclass(frozen=True)
class PlannedAgreement:
    """An agreement of the plan as the API will hold it (an `AgreementChoice`), numbered
    in the order the demo writes them (`write_agreements`), the order the database's
    ids grow in: the agreement named and the tie-break on id come out as the API's."""

    id: int
    seed: AgreementSeed

    @property
    def kind(self) -> str:
        return self.seed.kind

    @property
    def starts_on(self) -> date:
        return self.seed.starts_on

    @property
    def ends_on(self) -> date | None:
        return self.seed.ends_on


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
        self.agreements = {a.name: PlannedAgreement(n, a) for n, a in enumerate(agreements, 1)}
        self.held: dict[tuple[str, str, date], list[Held]] = defaultdict(list)

    # -- what the API would decide

    def agreements_binding(self, owner: str, party: str) -> list[PlannedAgreement]:
        """What the API reads for a booking by `party` at `owner`'s site (the booking
        facts): the active agreements binding both."""
        return [
            a
            for a in self.agreements.values()
            if a.seed.status == "active"
            and binds(owner, party, a.seed.parties, a.seed.direct_partners)
        ]

    def agreement_for(
        self, party: str, site: str, day: date, named: str | None
    ) -> AgreementSeed | None:
        """The agreement covering `day` as the API chooses it (`choose_agreement`): the
        one named, or a blanket one first, then the one that started first."""
        owner = self.sites[site].owner
        if party == owner:
            return None
        wanted = None if named is None else self.agreements[named].id
        chosen = choose_agreement(self.agreements_binding(owner, party), day, day, wanted)
        return None if chosen is None else chosen.seed

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
            seed.rrule,
            first_start=seed.start,
            first_end=seed.end,
            tz=PACIFIC,
            latest=seed.booked_at + timedelta(days=LONGEST_ADVANCE_DAYS),
            exdates=seed.exdates,
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
