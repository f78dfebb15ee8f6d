"""Bookings: one pipeline (read facts -> judge -> write) for every way a booking is
made, and the reads and actions around them, race-proof on both databases.

A booking takes a fixed number of statements whatever the data: one for every fact
the rules need (`repository.booking_facts`, with the caller's key), one insert for the
bookings, their history rows and their pending site dates. The insert writes only
while the facts it was judged on are current; conflicts that slip past the check in a
race are refused by PostgreSQL's exclusion constraint (SQLite serializes writers with
BEGIN IMMEDIATE)."""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.rules import choose_agreement, covers
from app.agreements.terms import DEFAULT_TERMS, Terms
from app.bookings import repository as repo
from app.bookings.access import (
    booking_party,
    booking_scope,
    can_see_booking,
    require_may_change_booking,
    require_site_manager,
)
from app.bookings.availability import Interval, Span, micros, timeline_us
from app.bookings.errors import BookingConflict, BookingRulesViolated
from app.bookings.facts_cache import FactsCache, FactsKey, facts_cache
from app.bookings.models import HOLDING_STATUSES, Booking, BookingEvent
from app.bookings.rules import Held, Occurrence, Situation, Violation, agreement_kind, check
from app.bookings.schemas import BookingCreate, BookingStatus, BookingUpdate
from app.bookings.views import booking_data, new_booking_json
from app.bookings.writer import booking_writer
from app.core import metrics
from app.core.auth import Principal
from app.core.db import Database
from app.core.errors import (
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthenticated,
    ValidationFailed,
)
from app.core.pagination import as_int, keyset, page_of
from app.core.sql import Runner, SessionRunner
from app.core.time import rfc3339
from app.costs import service as costs
from app.costs.allocation import minutes_of
from app.costs.quote import NO_COST, QuoteFigures, standalone_quote
from app.idempotency.claims import KeyedWrite, KeyToKeep
from app.keys.auth import (
    Caller,
    Credentials,
    caller_lookup_id,
    caller_principal,
    lookup_id,
    principal_of,
)


def violation_body(v: Violation) -> dict[str, Any]:
    return {"rule": v.rule, "detail": v.detail, "start": rfc3339(v.start) if v.start else None}


def raise_for(violations: Sequence[Violation]) -> None:
    if not violations:
        return
    body = [violation_body(v) for v in violations]
    metrics.violated([v.rule for v in violations])
    if all(v.rule == "conflict" for v in violations):
        raise BookingConflict(body)
    raise BookingRulesViolated(body)


# --- evaluation -------------------------------------------------------------------


@dataclass
class Evaluation:
    """The outcome of checking occurrences: what would be written."""

    ctx: repo.SpaceContext
    party_id: int
    occurrences: list[Occurrence]
    agreement: repo.AgreementFacts | None
    violations: list[Violation]
    quotes: list[QuoteFigures] = field(default_factory=list)

    @property
    def is_owner(self) -> bool:
        return self.party_id == self.ctx.owner_party_id

    @property
    def status(self) -> str:
        if self.is_owner or self.agreement is None:
            return "confirmed"
        return "confirmed" if self.agreement.terms.auto_confirm else "requested"

    @property
    def snapshot_shares(self) -> dict[str, int] | None:
        if self.agreement is None:
            return None
        return {str(p): pct for p, pct in self.agreement.shares}


# --- writing ----------------------------------------------------------------------


def booking_values(
    ev: Evaluation,
    occ: Occurrence,
    quote: QuoteFigures,
    *,
    purpose: str,
    now: datetime,
    principal: Principal,
    series_id: int | None = None,
) -> dict[str, Any]:
    held = occ.held
    return dict(
        space_id=ev.ctx.space_id,
        site_id=ev.ctx.site_id,
        party_id=ev.party_id,
        agreement_id=ev.agreement.id if ev.agreement else None,
        series_id=series_id,
        status=ev.status,
        start=occ.start,
        end=occ.end,
        setup_minutes=occ.setup_minutes,
        cleanup_minutes=occ.cleanup_minutes,
        held_start=held.start,
        held_end=held.end,
        local_date=held.start.astimezone(ev.ctx.tz).date(),
        booked_minutes=minutes_of(occ.end - occ.start),
        purpose=purpose,
        attendance=occ.attendance,
        cost_shares=ev.snapshot_shares,
        terms=ev.agreement.terms.as_dict() if ev.agreement else None,
        rental_fee_waived_cents=quote.rental_fee_waived_cents,
        custodial_minutes=quote.custodial_minutes,
        custodial_cost_cents=quote.custodial_cost_cents,
        cost_shares_cents=quote.cost_shares_cents,
        version=1,
        created_at=now,
        updated_at=now,
        created_by_key_id=principal.key_id,
        cancelled_at=None,
        late_cancellation=False,
    )


def event_values(
    booking_id: int | None,
    series_id: int | None,
    status: str,
    action: str,
    principal: Principal,
    now: datetime,
    *,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return dict(
        booking_id=booking_id,
        series_id=series_id,
        action=action,
        status=status,
        occurred_at=now,
        actor_key_id=principal.key_id,
        actor_party_id=principal.party_id,
        actor_role=principal.role.value,
        reason=reason,
        changes=changes,
    )


def event(
    booking: Booking, action: str, principal: Principal, now: datetime, **kw: Any
) -> BookingEvent:
    """A booking's event, after the change: its `data` is the booking as it is now."""
    return BookingEvent(
        **event_values(booking.id, booking.series_id, booking.status, action, principal, now, **kw),
        data=booking_data(booking),
    )


@asynccontextmanager
async def conflicts_as_problems() -> AsyncIterator[None]:
    """PostgreSQL's exclusion constraint (a concurrent booking won the race) becomes
    the same `booking-conflict` as the check in Python, through a session or not."""
    try:
        yield
    except Exception as exc:
        if repo.is_exclusion_violation(exc):
            metrics.violated(["conflict"])
            raise BookingConflict(
                [
                    {
                        "rule": "conflict",
                        "detail": "another booking of the space holds this time",
                        "start": None,
                    }
                ]
            ) from None
        raise


async def flush_holding(session: AsyncSession) -> None:
    async with conflicts_as_problems():
        await session.flush()


# --- the pipeline: read facts -> judge (pure) -> write --------------------------------
#
# Every booking, whatever route or batch it came from (create, quote, change, series,
# the demo loader), is read, judged and written by these functions. Speed comes from
# feeding them kept facts (`facts_cache`) or many rows at once (`BookingWriter`).

# A write refused by its guard (the catalog or the key changed since the facts were
# read, or another booking took the window) is judged again on fresh facts, which
# then report what changed; only a catalog changing under every attempt exhausts them.
WRITE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Ask:
    """What a request asks to book: one booking, or a series' occurrences."""

    space_id: int
    party_id: int | None  # None: the key's own party
    occurrences: tuple[Occurrence, ...]
    purpose: str = ""
    agreement_id: int | None = None
    rental_fee_cents: int = 0
    series_days: int | None = None  # a series: the local days from its first to its last
    exclude_booking_id: int | None = None  # a change does not conflict with itself
    terms: Terms | None = None  # a change is judged under the terms it was made with

    @classmethod
    def of(cls, data: BookingCreate) -> Ask:
        occ = Occurrence(
            data.start, data.end, data.setup_minutes, data.cleanup_minutes, data.attendance
        )
        return cls(
            data.space_id,
            data.party_id,
            (occ,),
            data.purpose,
            data.agreement_id,
            data.rental_fee_cents,
        )


@dataclass(frozen=True, slots=True)
class Facts:
    """What judging needs, read and checked: who books, for whom, on what facts."""

    principal: Principal
    party_id: int
    booking: repo.BookingFacts
    guard: repo.Guard  # the catalog and key they were read at


def facts_key(caller: Caller, ask: Ask) -> FactsKey:
    """Kept facts are per key, space and party asked for. A known caller's party is
    settled first; a token's defaults to its key's, in SQL."""
    requested = (
        ask.party_id if isinstance(caller, Credentials) else booking_party(caller, ask.party_id)
    )
    return (caller_lookup_id(caller), ask.space_id, requested)


async def read(
    runner: Runner,
    *,
    caller: Caller,
    ask: Ask,
    now: datetime,
    party_id: int | None = None,
    cache: FactsCache | None = None,
) -> Facts:
    """Every fact the rules need, in one statement (`repo.booking_facts`) that also
    finds the caller's key. `party_id`: a party already settled (a change). What was
    read is kept in `cache` for the caller's next booking of the space."""
    key = facts_key(caller, ask) if party_id is None else (None, ask.space_id, party_id)
    found = await repo.booking_facts(
        runner,
        lookup_id=key[0],
        space_id=ask.space_id,
        lo=min(o.held.start for o in ask.occurrences),
        hi=max(o.held.end for o in ask.occurrences),
        party_id=key[2],
        now=now,
        exclude_id=ask.exclude_booking_id,
    )
    facts = checked(caller, ask, found, party_id)
    if cache is not None:
        cache.keep(key, found)
    return facts


def checked(
    caller: Caller, ask: Ask, found: repo.CallerFacts, party_id: int | None = None
) -> Facts:
    """The caller known (401 otherwise), the booking party settled, space and party found."""
    principal = caller_principal(caller, found.key_row)
    party = party_id if party_id is not None else booking_party(principal, ask.party_id)
    if not found.party_exists:
        raise ValidationFailed(["body", "party_id"], f"no party with id {party}")
    if found.facts is None:
        raise ValidationFailed(["body", "space_id"], f"no space with id {ask.space_id}")
    return Facts(principal, party, found.facts, repo.Guard(found.catalog_version, principal.key_id))


def _nearby(others: Sequence[Held], starts: Sequence[datetime], held: Held) -> list[Held]:
    """Holding windows that can overlap `held` (others are sorted and at most MAX_HELD long)."""
    lo = bisect.bisect_right(starts, held.start - repo.MAX_HELD)
    hi = bisect.bisect_left(starts, held.end)
    return [o for o in others[lo:hi] if o.overlaps(held)]


def judge(facts: Facts, ask: Ask, now: datetime) -> Evaluation:
    """Every rule on every occurrence, and each one's quote (no I/O)."""
    occurrences = ask.occurrences
    booking = facts.booking
    ctx = booking.ctx
    tz = ctx.tz
    is_owner = facts.party_id == ctx.owner_party_id

    agreement: repo.AgreementFacts | None = None
    if not is_owner:
        span_first = occurrences[0].start.astimezone(tz).date()
        span_last = occurrences[-1].end.astimezone(tz).date()
        agreement = choose_agreement(booking.agreements, span_first, span_last, ask.agreement_id)
        if agreement is None:
            # Not every occurrence is covered: judge each by the agreement covering its
            # first occurrence, so the uncovered ones are reported.
            agreement = choose_agreement(
                booking.agreements, span_first, span_first, ask.agreement_id
            )
    terms = ask.terms or (agreement.terms if agreement else DEFAULT_TERMS)

    calendar = booking.calendar
    others = booking.held
    starts = [o.start for o in others]
    violations: list[Violation] = []
    if agreement is not None:
        wrong_kind = agreement_kind(agreement.kind, ask.series_days, terms)
        if wrong_kind is not None:
            violations.append(Violation(wrong_kind.rule, wrong_kind.detail, occurrences[0].start))
    accepted: list[Held] = []  # earlier occurrences of the same series hold too
    for occ in occurrences:
        held = occ.held
        situation = Situation(
            occurrence=occ,
            calendar=calendar,
            capacity=ctx.capacity,
            now=now,
            is_owner=is_owner,
            terms=terms,
            covered=agreement is not None
            and covers(agreement, occ.start.astimezone(tz).date(), occ.end.astimezone(tz).date()),
            rental_fee_cents=ask.rental_fee_cents,
            others=_nearby(others, starts, held) + [h for h in accepted if h.overlaps(held)],
        )
        violations.extend(check(situation))
        accepted.append(held)

    evaluation = Evaluation(ctx, facts.party_id, list(occurrences), agreement, violations)
    evaluation.quotes = [quote_for(evaluation, occ, terms) for occ in occurrences]
    return evaluation


def quote_for(ev: Evaluation, occ: Occurrence, terms: Terms) -> QuoteFigures:
    """Owner bookings carry no agreement: nothing waived, nothing shared."""
    if ev.is_owner or ev.agreement is None:
        return NO_COST
    held = occ.held
    return standalone_quote(
        start=occ.start,
        end=occ.end,
        held=(held.start, held.end),
        tz=ev.ctx.tz,
        custodial_hours=ev.ctx.custodial_hours,
        custodial_rate_cents_per_hour=ev.ctx.custodial_rate_cents_per_hour,
        standard_rate_cents_per_hour=ev.ctx.standard_rate_cents_per_hour,
        min_callout_minutes=terms.min_callout_minutes,
        shares=ev.agreement.shares,
    )


def new_bookings(
    ev: Evaluation, facts: Facts, ask: Ask, now: datetime, *, series_id: int | None = None,
    key: KeyToKeep | None = None,
) -> list[repo.NewBooking]:
    """The judged occurrences as rows to write, each with its guard (and `key`, the
    Idempotency-Key its insert keeps)."""
    principal = facts.principal
    made = []
    for occ, quote in zip(ev.occurrences, ev.quotes, strict=True):
        values = booking_values(
            ev, occ, quote, purpose=ask.purpose, now=now, principal=principal, series_id=series_id
        )
        made.append(
            repo.NewBooking(
                values,
                principal.party_id,
                principal.role.value,
                mark=adds_custodial_time(values),
                guard=facts.guard,
                data=new_booking_json(values),
                key=key,
            )
        )
    return made


async def book(
    runner: Runner, *, caller: Caller, ask: Ask, now: datetime, cache: FactsCache | None = None
) -> dict[str, Any]:
    """The full path: read every fact afresh, judge, write; again if the write's guard
    finds the facts stale. Two statements: the facts (with the caller's key), then the
    booking with its history row and its pending site date. Its values, `id` included."""
    for _ in range(WRITE_ATTEMPTS):
        facts = await read(runner, caller=caller, ask=ask, now=now, cache=cache)
        ev = judge(facts, ask, now)
        raise_for(ev.violations)
        [new] = new_bookings(ev, facts, ask, now)
        [booking_id] = await repo.insert_bookings(runner, [new])
        if booking_id is not None:
            return new.values | {"id": booking_id}
    raise BookingConflict([{"rule": "conflict", "detail": STILL_CHANGING, "start": None}])


STILL_CHANGING = (
    "the space's bookings or terms kept changing while this booking was judged; try again"
)


async def make_booking(
    db: Database, *, caller: Caller, data: BookingCreate, now: datetime,
    key: KeyedWrite | None = None,
) -> dict[str, Any]:
    """POST /v1/bookings: one booking; its values, `id` included. On PostgreSQL, when
    this worker keeps the caller's facts about the space, the booking is judged on
    them and written by the worker's booking writer, with no connection held
    meanwhile; otherwise, or if that does not write it, the full path (`book`).

    `key`: its Idempotency-Key. The writer's insert keeps it with its answer (no round
    trip of its own); the full path claims it first (`KeyedWrite.claim`), which
    stops here with the key's first answer, or its 422 or 409."""
    ask = Ask.of(data)
    cache = facts_cache(db)
    if cache is not None:
        kept = cache.get(facts_key(caller, ask), repo.facts_from(ask.occurrences[0].held.start))
        if kept is not None:
            facts = checked(caller, ask, kept)
            ev = judge(facts, ask, now)
            if not ev.violations:  # the full path reports every violation
                [new] = new_bookings(
                    ev, facts, ask, now, key=None if key is None else key.to_keep()
                )
                booking_id = await booking_writer(db).write(new)
                if booking_id is not None:
                    if key is not None:
                        key.kept_by_operation()
                    return new.values | {"id": booking_id}
    if key is not None:
        await key.claim()
    async with db.runner(write=True) as runner:
        return await book(runner, caller=caller, ask=ask, now=now, cache=cache)


async def create_booking(
    session: AsyncSession, *, principal: Principal, data: BookingCreate, now: datetime
) -> Booking:
    """`book` in the caller's session (demo data)."""
    return Booking(
        **await book(SessionRunner(session), caller=principal, ask=Ask.of(data), now=now)
    )


async def quote_booking(
    runner: Runner, *, caller: Caller, data: BookingCreate, now: datetime
) -> Evaluation:
    """What `make_booking` would decide, on the same facts, writing nothing."""
    ask = Ask.of(data)
    return judge(await read(runner, caller=caller, ask=ask, now=now), ask, now)


# --- reading ----------------------------------------------------------------------


async def read_booking(
    runner: Runner, *, token: str | None, admin_key: str | None, booking_id: int
) -> repo.BookingView:
    """A booking as its response shows it, for the caller: one statement that also
    finds the caller's key. Unknown and invisible bookings are both 404."""
    if token is None:
        raise Unauthenticated("this operation needs an API key")
    row = await runner.first(
        repo.READ_BOOKING, {"lookup_id": lookup_id(token), "booking_id": booking_id}
    )
    principal = principal_of(token, row, admin_key)
    found = repo.view_with_owner(row)
    if found is not None:
        view, site_owner_id = found
        if can_see_booking(principal, party_id=view.party_id, site_owner_id=site_owner_id):
            return view
    raise NotFound("no such booking")


async def get_booking(session: AsyncSession, *, principal: Principal, booking_id: int) -> Booking:
    found = await repo.booking_with_owner(session, booking_id)
    if found is None or not can_see_booking(
        principal, party_id=found[0].party_id, site_owner_id=found[1]
    ):
        raise NotFound("no such booking")
    return found[0]


@dataclass(frozen=True)
class BookingFilters:
    space_id: int | None = None
    site_id: int | None = None
    party_id: int | None = None
    status: BookingStatus | None = None
    from_: datetime | None = None
    to: datetime | None = None
    series_id: int | None = None


async def list_bookings(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: BookingFilters,
    limit: int,
    cursor: str | None,
) -> tuple[list[Booking], str | None]:
    stmt = repo.visible(select(Booking), booking_scope(principal))
    f = filters
    for column, value in (
        (Booking.space_id, f.space_id),
        (Booking.site_id, f.site_id),
        (Booking.party_id, f.party_id),
        (Booking.series_id, f.series_id),
        (Booking.status, f.status.value if f.status else None),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    # `from`/`to` select bookings whose [start, end) overlaps the window.
    if f.to is not None:
        stmt = stmt.where(Booking.start < f.to)
    if f.from_ is not None:
        stmt = stmt.where(Booking.end > f.from_)
    stmt = keyset(
        stmt, [Booking.start, Booking.id], cursor, limit, [datetime.fromisoformat, as_int]
    )
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda b: [b.start.isoformat(), b.id])


async def history(
    session: AsyncSession, *, principal: Principal, booking_id: int, limit: int, cursor: str | None
) -> tuple[list[BookingEvent], str | None]:
    """Oldest first, in the order the changes were committed."""
    await get_booking(session, principal=principal, booking_id=booking_id)
    stmt = keyset(
        select(BookingEvent).where(BookingEvent.booking_id == booking_id),
        [BookingEvent.id],
        cursor,
        limit,
        [as_int],
    )
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, limit, lambda e: [e.id])


# --- actions ----------------------------------------------------------------------

ACTIONS = {
    # action: (states it applies to, resulting state)
    "approve": ({"requested"}, "confirmed"),
    "decline": ({"requested"}, "declined"),
    "cancel": ({"requested", "confirmed"}, "cancelled"),
}


async def _locked(
    session: AsyncSession, principal: Principal, booking_id: int
) -> tuple[Booking, int]:
    found = await repo.booking_with_owner(session, booking_id, for_update=True)
    if found is None or not can_see_booking(
        principal, party_id=found[0].party_id, site_owner_id=found[1]
    ):
        raise NotFound("no such booking")
    return found


async def act(
    session: AsyncSession,
    *,
    principal: Principal,
    booking_id: int,
    action: str,
    reason: str | None,
    now: datetime,
) -> Booking:
    booking, owner_id = await _locked(session, principal, booking_id)
    if action == "cancel":
        require_may_change_booking(principal, party_id=booking.party_id, site_owner_id=owner_id)
    else:
        require_site_manager(principal, owner_id)
    sources, target = ACTIONS[action]
    if booking.status not in sources:
        raise InvalidTransition(f"a {booking.status} booking cannot be {target}")
    counted_before = counts_in_coverage(booking)
    if target == "cancelled":
        mark_cancelled(booking, now)
    booking.status = target
    booking.version += 1
    booking.updated_at = now
    if counted_before != counts_in_coverage(booking):
        await rebill(session, booking.site_id, [booking.local_date])
    session.add(
        event(
            booking,
            {"approve": "approved", "decline": "declined", "cancel": "cancelled"}[action],
            principal,
            now,
            reason=reason,
        )
    )
    await session.flush()
    return booking


def counts_in_coverage(booking: Booking) -> bool:
    """Confirmed (or cancelled late) under an agreement: part of its site date's
    custodial coverage. A change of this, or of such a booking's time, re-bills."""
    counts = booking.status == "confirmed" or (
        booking.status == "cancelled" and booking.late_cancellation
    )
    return counts and booking.agreement_id is not None


def adds_custodial_time(new_booking: dict[str, Any]) -> bool:
    """A booking about to be written (its values) that counts in coverage and has
    minutes beyond custodial hours by its quote, computed just now. One without any
    changes no bill."""
    return (
        new_booking["status"] == "confirmed"
        and new_booking["agreement_id"] is not None
        and new_booking["custodial_minutes"] > 0
    )


async def rebill(session: AsyncSession, site_id: int, dates: Iterable[date]) -> None:
    """The site dates' custodial charges are computed again before anyone reads them."""
    await costs.mark_pending(session, site_id=site_id, dates=dates)


async def relocalize_site(
    session: AsyncSession, *, site_id: int, tz: ZoneInfo, first_day: date
) -> None:
    """A site moved to another time zone: its bookings from `first_day` on fall on the
    local dates of the new zone."""
    bookings = await session.scalars(
        select(Booking).where(
            Booking.site_id == site_id, Booking.local_date >= first_day - timedelta(days=1)
        )
    )
    for booking in bookings.all():
        booking.local_date = booking.held_start.astimezone(tz).date()
    await session.flush()


def mark_cancelled(booking: Booking, now: datetime) -> None:
    """A confirmed agreement booking cancelled less than `late_cancel_hours` before its
    start keeps counting in custodial coverage (the custodian was scheduled)."""
    booking.cancelled_at = now
    if booking.status == "confirmed" and booking.terms is not None:
        late = timedelta(hours=Terms.of(booking.terms).late_cancel_hours)
        booking.late_cancellation = booking.start - now < late


def etag_of(booking_id: int, version: int) -> str:
    return f'"{booking_id}.{version}"'


def etag(booking: Booking) -> str:
    return etag_of(booking.id, booking.version)


CHANGEABLE = ("start", "end", "setup_minutes", "cleanup_minutes", "purpose", "attendance")
# What the site's owner approved besides the number of people (contract section 8).
APPROVED = ("start", "end", "setup_minutes", "cleanup_minutes")


def approval_lapses(booking: Booking, changes: dict[str, Any], terms: Terms) -> bool:
    """Contract section 8: under an agreement without `auto_confirm`, a confirmed
    booking whose times, setup, cleanup change, or whose attendance grows, is
    `requested` again: the owner approves what will happen, not what was asked first.
    (Whoever changes it; an owner's own booking has no agreement.)"""
    if booking.status != "confirmed" or booking.agreement_id is None or terms.auto_confirm:
        return False
    grows = changes.get("attendance", booking.attendance) > booking.attendance
    return grows or any(name in changes for name in APPROVED)


async def change_booking(
    session: AsyncSession,
    *,
    principal: Principal,
    booking_id: int,
    data: BookingUpdate,
    if_match: str | None,
    now: datetime,
) -> Booking:
    """Re-time or edit a booking, re-checking every rule (it does not conflict with itself)
    under the terms it was made with."""
    booking, owner_id = await _locked(session, principal, booking_id)
    require_may_change_booking(principal, party_id=booking.party_id, site_owner_id=owner_id)
    if if_match is None:
        raise PreconditionRequired("send If-Match with the booking's ETag")
    if if_match.strip() not in (etag(booking), f"W/{etag(booking)}", "*"):
        raise PreconditionFailed("the booking changed since that ETag; read it again")
    if booking.status not in HOLDING_STATUSES:
        raise InvalidTransition(f"a {booking.status} booking cannot be changed")
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None and v != getattr(booking, k)
    }
    if not changes:
        return booking  # nothing changes: no new version, no history row
    old = {k: getattr(booking, k) for k in changes}
    new_values = {**{k: getattr(booking, k) for k in CHANGEABLE}, **changes}
    if new_values["end"] <= new_values["start"]:
        raise ValidationFailed(["body", "end"], "end must be after start")
    occ = Occurrence(
        new_values["start"],
        new_values["end"],
        new_values["setup_minutes"],
        new_values["cleanup_minutes"],
        new_values["attendance"],
    )
    ask = Ask(
        booking.space_id,
        booking.party_id,
        (occ,),
        agreement_id=booking.agreement_id,
        exclude_booking_id=booking.id,
        terms=Terms.of(booking.terms) if booking.terms is not None else None,
    )
    ev = judge(
        await read(
            SessionRunner(session), caller=principal, ask=ask, now=now, party_id=booking.party_id
        ),
        ask,
        now,
    )
    raise_for(ev.violations)
    quote = ev.quotes[0]
    dates_before = {booking.local_date} if counts_in_coverage(booking) else set()
    terms = ask.terms or (ev.agreement.terms if ev.agreement else DEFAULT_TERMS)
    if approval_lapses(booking, changes, terms):
        old["status"], changes["status"] = booking.status, "requested"
    for k, v in changes.items():
        setattr(booking, k, v)
    held = occ.held
    booking.held_start, booking.held_end = held.start, held.end
    booking.local_date = held.start.astimezone(ev.ctx.tz).date()
    booking.booked_minutes = minutes_of(occ.end - occ.start)
    booking.rental_fee_waived_cents = quote.rental_fee_waived_cents
    booking.custodial_minutes = quote.custodial_minutes
    booking.custodial_cost_cents = quote.custodial_cost_cents
    booking.cost_shares_cents = quote.cost_shares_cents
    booking.version += 1
    booking.updated_at = now
    await flush_holding(session)
    dates = dates_before | ({booking.local_date} if counts_in_coverage(booking) else set())
    await rebill(session, booking.site_id, dates)
    diff = {k: {"old": _json(old[k]), "new": _json(changes[k])} for k in changes}
    session.add(event(booking, "changed", principal, now, changes=diff))
    await session.flush()
    return booking


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# --- availability -----------------------------------------------------------------

MAX_AVAILABILITY_SPAN = timedelta(days=62)


async def availability(
    runner: Runner, *, space_id: int, start: datetime, end: datetime
) -> tuple[list[Interval], list[Span]]:
    """One indexed query whatever the number of bookings."""
    if end <= start:
        raise ValidationFailed(["query", "to"], "`to` must be after `from`")
    if end - start > MAX_AVAILABILITY_SPAN:
        raise ValidationFailed(["query", "to"], "the span from `from` to `to` is at most 62 days")
    facts = await repo.window_facts(runner, space_id=space_id, lo=start, hi=end)
    if facts is None:
        raise NotFound("no such space")
    return timeline_us(facts.calendar, facts.held_us, micros(start), micros(end))
