"""The SQL of bookings: the few indexed queries the rules and views need."""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    false,
    func,
    insert,
    join,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agreements.models import Agreement, DirectPartner
from app.agreements.rules import preference
from app.agreements.terms import Terms
from app.bookings.availability import US, instant
from app.bookings.models import HOLDING_STATUSES, Booking, BookingEvent, CatalogVersion
from app.bookings.rules import DateRange, Held, SiteCalendar
from app.core.auth import KEY_COLUMNS, BookingScope, key_lookup, with_key
from app.core.db import UTCDateTime
from app.core.sql import Hot, Row, Runner
from app.core.time import WeeklyMinutes, weekly_minutes, zone
from app.costs.service import MARK_PENDING, marking
from app.keys.models import ApiKey
from app.parties.models import Party
from app.sites.models import CalendarException, Site, Space

# A held window lies inside one open-hours window of one local date, so it is at
# most a (25-hour, DST) day long: range scans can start this far before `from`.
MAX_HELD = timedelta(hours=26)
EXCLUSION_VIOLATION = "23P01"


@dataclass(frozen=True, slots=True)
class SpaceContext:
    space_id: int
    capacity: int
    standard_rate_cents_per_hour: int
    site_id: int
    owner_party_id: int
    tz: ZoneInfo
    open_hours: WeeklyMinutes
    reserved_hours: WeeklyMinutes
    custodial_hours: WeeklyMinutes
    custodial_rate_cents_per_hour: int

    def calendar(self, closures: tuple[DateRange, ...], recesses: tuple[DateRange, ...]) -> SiteCalendar:
        return SiteCalendar(self.tz, self.open_hours, self.reserved_hours, closures, recesses)


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    id: int
    kind: str
    starts_on: date
    ends_on: date | None
    terms: Terms
    shares: tuple[tuple[int, int], tuple[int, int]]  # (party_id, percent) in party_ids order


def _json_rows(dialect: str, *columns: Any) -> Any:
    """An aggregate of rows as a JSON array of arrays (one round trip for many facts)."""
    if dialect == "postgresql":
        return func.json_agg(func.json_build_array(*columns))
    # SQLite keeps JSON text as JSON only when it comes from a json function.
    return func.json_group_array(func.json_array(*columns))


def _json_value(dialect: str, column: Any) -> Any:
    return column if dialect == "postgresql" else func.json(column)


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What the rules need about one space over a window, read in one round trip."""

    ctx: SpaceContext
    closures: tuple[DateRange, ...]
    recesses: tuple[DateRange, ...]
    agreements: tuple[AgreementFacts, ...]  # best first
    held_us: list[tuple[int, int]]  # holding bookings' windows (µs since the epoch), by start

    @property
    def calendar(self) -> SiteCalendar:
        return self.ctx.calendar(self.closures, self.recesses)

    @property
    def held(self) -> list[Held]:
        return [Held(instant(s), instant(e)) for s, e in self.held_us]


def _epoch_seconds(dialect: str, column: Any) -> Any:
    """An instant as whole seconds since the epoch (bookings are whole minutes)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), BigInteger)
    return cast(func.strftime("%s", column), BigInteger)


@lru_cache(maxsize=1024)
def weekly_of(text: str | None) -> WeeklyMinutes:
    """A site's stored weekly hours (JSON text), parsed once per distinct value."""
    return weekly_minutes(json.loads(text) if text else {})


def _held_range(start: Any, end: Any) -> Any:
    """As the exclusion constraint writes it (migration 0002), so its index applies."""
    return func.tstzrange(start, end, literal_column("'[)'"))


def _facts_statement(dialect: str, with_agreements: bool, keyed: bool = False) -> Select[Any]:
    """Built once per dialect (building a statement costs more than running it);
    the values come as bind parameters. `keyed`: the caller's key row comes first,
    the booking party defaults to the key's, and the last column says whether that
    party exists (creating a booking needs nothing else)."""
    space_id = bindparam("space_id", type_=Integer)
    caller = key_lookup().subquery("caller")
    party_id: Any = bindparam("party_id", type_=Integer)
    if keyed:
        party_id = func.coalesce(party_id, caller.c.party_id)
    first_day, last_day = bindparam("first_day", type_=Date), bindparam("last_day", type_=Date)
    # A caller's facts are kept for later bookings (`FactsCache`): from `first_day` on,
    # with no end, they serve any booking that starts later.
    in_calendar = [CalendarException.end_date >= first_day]
    in_agreements = [or_(Agreement.ends_on.is_(None), Agreement.ends_on >= first_day)]
    if not keyed:
        in_calendar.append(CalendarException.start_date <= last_day)
        in_agreements.append(Agreement.starts_on <= last_day)
    calendar = (
        select(_json_rows(dialect, CalendarException.kind, CalendarException.start_date, CalendarException.end_date))
        .where(CalendarException.site_id == Site.id, *in_calendar)
        .scalar_subquery()
    )
    # "start,end,start,end,...": a busy space has hundreds of these a year, and a
    # comma list of integers is the cheapest form to decode.
    pair = (
        cast(_epoch_seconds(dialect, Booking.held_start), Text) + ","
        + cast(_epoch_seconds(dialect, Booking.held_end), Text)
    )
    lo, hi = bindparam("lo", type_=UTCDateTime), bindparam("hi", type_=UTCDateTime)
    # Bounded for a B-tree on (space_id, held_start) whatever the plan: held windows
    # are at most MAX_HELD long, so none starting before `scan_from` can reach `lo`.
    overlapping = and_(
        Booking.held_start < hi,
        Booking.held_start > bindparam("scan_from", type_=UTCDateTime),
        Booking.held_end > lo,
    )
    if dialect == "postgresql":
        # ...and exactly answerable by the exclusion constraint's GiST index.
        exact = _held_range(Booking.held_start, Booking.held_end).op("&&")(_held_range(lo, hi))
        overlapping = and_(overlapping, exact)
    held = select(
        func.string_agg(pair, ",") if dialect == "postgresql" else func.group_concat(pair, ",")
    ).where(
        Booking.space_id == space_id,
        overlapping,
        or_(*(Booking.status == s for s in HOLDING_STATUSES)),
        Booking.id != bindparam("exclude_id", type_=Integer),
    )
    columns: list[Any] = [
        Space.capacity,
        Space.standard_rental_rate_cents_per_hour,
        Site.id,
        Site.owner_party_id,
        Site.timezone,
        cast(Site.open_hours, Text),
        cast(Site.reserved_hours, Text),
        cast(Site.custodial_hours, Text),
        Site.custodial_rate_cents_per_hour,
        type_coerce(calendar, JSON),
        held.scalar_subquery(),
    ]
    if with_agreements:
        agreements = select(
            _json_rows(
                dialect,
                Agreement.id,
                Agreement.kind,
                Agreement.starts_on,
                Agreement.ends_on,
                _json_value(dialect, Agreement.terms),
                Agreement.party_a_id,
                Agreement.share_a_percent,
                Agreement.party_b_id,
                Agreement.share_b_percent,
            )
        ).where(
            Agreement.status == "active",
            or_(Agreement.party_a_id == Site.owner_party_id, Agreement.party_b_id == Site.owner_party_id),
            or_(
                Agreement.party_a_id == party_id,
                Agreement.party_b_id == party_id,
                # Correlated by name: `caller` lives two levels up.
                exists()
                .where(DirectPartner.agreement_id == Agreement.id, DirectPartner.party_id == party_id)
                .correlate(Agreement, caller),
            ),
            *in_agreements,
        )
        columns.append(type_coerce(agreements.scalar_subquery(), JSON))
    if not keyed:
        return select(*columns).join(Site, Site.id == Space.site_id).where(Space.id == space_id)
    columns.append(exists().where(Party.id == party_id))
    columns.append(select(CatalogVersion.version).where(CatalogVersion.id == 1).scalar_subquery())
    one = select(literal(1).label("one")).subquery("one")
    place = join(Space, Site, Site.id == Space.site_id)
    return select(*caller.c, *columns).select_from(
        one.outerjoin(caller, true()).outerjoin(place, Space.id == space_id)
    )


_FACTS = Hot(lambda dialect: _facts_statement(dialect, with_agreements=False))
_FACTS_WITH_AGREEMENTS = Hot(lambda dialect: _facts_statement(dialect, with_agreements=True))
_FACTS_FOR_CALLER = Hot(lambda dialect: _facts_statement(dialect, with_agreements=True, keyed=True))


async def booking_facts(
    runner: Runner,
    *,
    space_id: int,
    lo: datetime,
    hi: datetime,
    party_id: int | None = None,
    exclude_id: int | None = None,
) -> BookingFacts | None:
    """The space and its site, the site's calendar around [lo, hi), the active
    agreements binding the owner and `party_id` (if given), and the held windows
    overlapping [lo, hi), all in one statement whatever the amount of data."""
    params = _facts_params(space_id, lo, hi, party_id, exclude_id)
    row = await runner.first(_FACTS if party_id is None else _FACTS_WITH_AGREEMENTS, params)
    return None if row is None else _facts_of(row, space_id, with_agreements=party_id is not None)


@dataclass(frozen=True, slots=True)
class CallerFacts:
    key_row: Row  # the caller's key (`KEY_COLUMNS`), NULLs when it has none
    facts: BookingFacts | None  # None: no such space
    party_exists: bool
    catalog_version: int  # the catalog these facts were read from (`CatalogVersion`)
    since: date  # the calendar and agreements are complete from this date on


def facts_from(instant_: datetime) -> date:
    """The first date whose calendar and agreements a booking from `instant_` on needs
    (a UTC date: local dates are within a day of it)."""
    return (instant_ - timedelta(days=1)).date()


async def caller_facts(
    runner: Runner,
    *,
    lookup_id: str | None,
    space_id: int,
    lo: datetime,
    hi: datetime,
    party_id: int | None,
    now: datetime,
) -> CallerFacts:
    """`booking_facts` for a new booking, with the caller's key found by `lookup_id`
    in the same statement; `party_id` None books for the key's own party. The
    calendar and agreements come complete from today (or the booking, if earlier) on,
    so that they also serve the caller's later bookings of the space."""
    since = min(facts_from(lo), facts_from(now))
    params = _facts_params(space_id, lo, hi, party_id, None) | {"lookup_id": lookup_id, "first_day": since}
    row = await runner.first(_FACTS_FOR_CALLER, params)
    assert row is not None  # the statement always answers one row
    rest = row[KEY_COLUMNS:]
    facts = None if rest[0] is None else _facts_of(rest, space_id, with_agreements=True)
    return CallerFacts(row[:KEY_COLUMNS], facts, bool(rest[-2]), rest[-1], since)


def _facts_params(
    space_id: int, lo: datetime, hi: datetime, party_id: int | None, exclude_id: int | None
) -> dict[str, Any]:
    # Local dates are within a day of UTC ones; rules filter precisely afterwards.
    return {
        "space_id": space_id,
        "first_day": (lo - timedelta(days=1)).date(),
        "last_day": (hi + timedelta(days=1)).date(),
        "hi": hi,
        "scan_from": lo - MAX_HELD,
        "lo": lo,
        "exclude_id": exclude_id or 0,
        "party_id": party_id,
    }


def _facts_of(row: Row, space_id: int, *, with_agreements: bool) -> BookingFacts:
    ctx = SpaceContext(
        space_id=space_id,
        capacity=row[0],
        standard_rate_cents_per_hour=row[1],
        site_id=row[2],
        owner_party_id=row[3],
        tz=zone(row[4]),
        open_hours=weekly_of(row[5]),
        reserved_hours=weekly_of(row[6]),
        custodial_hours=weekly_of(row[7]),
        custodial_rate_cents_per_hour=row[8],
    )
    closures: list[DateRange] = []
    recesses: list[DateRange] = []
    for kind, start, end in row[9] or ():
        (closures if kind == "closure" else recesses).append((date.fromisoformat(start), date.fromisoformat(end)))
    seconds = [int(n) * US for n in row[10].split(",")] if row[10] else []
    windows = sorted(zip(seconds[::2], seconds[1::2], strict=True))
    found = [
        AgreementFacts(
            r[0], r[1], date.fromisoformat(r[2]), date.fromisoformat(r[3]) if r[3] else None,
            Terms.of(r[4] if isinstance(r[4], dict) else json.loads(r[4])), ((r[5], r[6]), (r[7], r[8])),
        )
        for r in (row[11] if with_agreements else None) or ()
    ]
    return BookingFacts(ctx, tuple(closures), tuple(recesses), tuple(sorted(found, key=preference)), windows)


_BOOKING_FIELDS = tuple(c.key for c in Booking.__table__.c if c.key != "id")
# What every new booking has: literals in the PostgreSQL hot insert, not parameters.
_NEW = frozenset({"version", "cancelled_at", "late_cancellation", "updated_at"})
_EVENT_FIELDS = tuple(c.key for c in BookingEvent.__table__.c if c.key not in ("id", "booking_id"))
# (parameter name, value key) of the insert's values: names built once, not per booking.
_INSERT_PARAMS = tuple((f"b_{k}", k) for k in _BOOKING_FIELDS)
_EVENT_PARAMS = tuple((f"e_{k}", k) for k in _EVENT_FIELDS)


def _insert_statements(dialect: str) -> tuple[Hot, ...]:
    """On PostgreSQL one statement: the booking, its history row and (when `mark`)
    its site date marked pending. On SQLite three, in the caller's transaction."""
    # Core tables, not the ORM entities: no unit-of-work machinery on the hot path.
    bookings, events = Booking.__table__, BookingEvent.__table__
    booking = insert(bookings).values({k: bindparam(f"b_{k}", type_=bookings.c[k].type) for k in _BOOKING_FIELDS})
    event_values = {k: bindparam(f"e_{k}", type_=events.c[k].type) for k in _EVENT_FIELDS}
    if dialect == "postgresql":
        # Fewer parameters (each costs encoding on the hot path): a new booking's
        # version, cancellation and update time are its defaults; its history row
        # repeats the booking's own columns.
        row = {k: bindparam(f"b_{k}", type_=bookings.c[k].type) for k in _BOOKING_FIELDS if k not in _NEW} | {
            "version": literal(1), "cancelled_at": null(), "late_cancellation": false(),
            "updated_at": bindparam("b_created_at", type_=bookings.c.created_at.type),
        }
        # A booking judged on cached facts (`FactsCache`) is written only if the catalog
        # is still the one they were read from and the key is not revoked; NULLs (the
        # facts were read just now) check nothing.
        cached_version = bindparam("cached_version", type_=BigInteger)
        key_id = bindparam("key_id", type_=Integer)
        current = select(CatalogVersion.version).where(CatalogVersion.id == 1).scalar_subquery()
        live_key = exists().where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        guard = and_(or_(cached_version.is_(None), current == cached_version), or_(key_id.is_(None), live_key))
        fresh = insert(bookings).from_select(list(row), select(*row.values()).where(guard))
        c = bookings.c
        new = fresh.returning(c.id, c.site_id, c.local_date, c.series_id, c.status, c.created_at,
                              c.created_by_key_id).cte("new_booking")
        event = insert(events).from_select(
            ["booking_id", "series_id", "action", "status", "occurred_at", "actor_key_id", "actor_party_id",
             "actor_role"],
            select(new.c.id, new.c.series_id, literal("created"), new.c.status, new.c.created_at,
                   new.c.created_by_key_id, event_values["actor_party_id"], event_values["actor_role"]),
        )
        marked = marking(
            dialect,
            lambda stmt: stmt.from_select(
                ["site_id", "local_date", "seq"],
                select(new.c.site_id, new.c.local_date, literal(1, BigInteger)).where(
                    bindparam("mark", type_=Boolean)
                ),
            ),
        )
        # Data-modifying CTEs run whether or not the result reads them.
        return (Hot(select(new.c.id).add_cte(event.cte("new_event"), marked.cte("marked"))),)
    return (
        Hot(booking.returning(bookings.c.id)),
        Hot(insert(events).values(booking_id=bindparam("booking_id", type_=Integer), **event_values)),
        MARK_PENDING,
    )


_INSERT = {d: _insert_statements(d) for d in ("postgresql", "sqlite")}


async def insert_booking(
    runner: Runner,
    booking: dict[str, Any],
    event: dict[str, Any],
    *,
    mark: bool,
    cached: tuple[int, int | None] | None = None,
) -> int | None:
    """Insert a booking and its `created` history row, and mark its site date
    pending when `mark`; one round trip on PostgreSQL. `cached`: the catalog version
    the booking was judged at and the caller's key id (PostgreSQL): nothing is
    written, and None comes back, if either is no longer current."""
    params = {name: booking[k] for name, k in _INSERT_PARAMS}
    params.update({name: event[k] for name, k in _EVENT_PARAMS})
    statements = _INSERT[runner.dialect_name]
    if len(statements) == 1:
        version, key_id = cached or (None, None)
        row = await runner.first(
            statements[0], params | {"mark": mark, "cached_version": version, "key_id": key_id}
        )
        return None if row is None else int(row[0])
    assert cached is None, "SQLite books from facts read in its own transaction"
    row = await runner.first(statements[0], params)
    booking_id = int(row[0])  # type: ignore[index]
    await runner.execute(statements[1], params | {"booking_id": booking_id})
    if mark:
        await runner.execute(statements[2], {"site_id": booking["site_id"], "local_date": booking["local_date"]})
    return booking_id


# --- bookings on kept facts, written together (PostgreSQL) ---------------------------

# A kept-facts booking's own values: the rest are every new booking's defaults.
_KEPT_FIELDS = tuple(k for k in _BOOKING_FIELDS if k not in _NEW)
# Per booking besides its row: its history row's actor, what its facts were judged
# at (the guard of the single insert), whether its site date is to be re-billed.
_KEPT_EXTRA: dict[str, Any] = {
    "actor_party_id": Integer(), "actor_role": String(16), "cached_version": BigInteger(), "key_id": Integer(),
    "mark": Boolean(),
}


def _kept_batch_statement(dialect: str) -> Any:
    """Many bookings in one statement: each row of `unnest` is one booking with the
    single insert's guard; a row whose window another holds (the exclusion
    constraint, against other bookings and earlier rows alike) is skipped, not an
    error, so the others are written. Answers (ordinal, id) of the rows written."""
    bookings, events = typing.cast(Table, Booking.__table__), typing.cast(Table, BookingEvent.__table__)
    column_types: dict[str, Any] = {k: bookings.c[k].type for k in _KEPT_FIELDS}
    arrays = [bindparam(f"a_{k}", type_=ARRAY(t)) for k, t in column_types.items()] + [
        bindparam(f"a_{k}", type_=ARRAY(t)) for k, t in _KEPT_EXTRA.items()
    ]
    rows = func.unnest(*arrays).table_valued(*_KEPT_FIELDS, *_KEPT_EXTRA, with_ordinality="ord").render_derived()
    # Ids drawn first, so each written booking is known by the row it came from.
    v = select(literal_column("nextval('bookings_id_seq')", Integer).label("id"), *rows.c).cte("v")
    v = v.prefix_with("MATERIALIZED")  # drawn once per row, however often `v` is read
    current = select(CatalogVersion.version).where(CatalogVersion.id == 1).scalar_subquery()
    live_key = exists().where(ApiKey.id == v.c.key_id, ApiKey.revoked_at.is_(None))
    guard = and_(
        or_(v.c.cached_version.is_(None), current == v.c.cached_version), or_(v.c.key_id.is_(None), live_key)
    )
    row = {"id": v.c.id} | {k: v.c[k] for k in _KEPT_FIELDS} | {
        "version": literal(1), "cancelled_at": null(), "late_cancellation": false(), "updated_at": v.c.created_at,
    }
    c = bookings.c
    new = (
        pg_insert(bookings).from_select(list(row), select(*row.values()).where(guard))
        .on_conflict_do_nothing()
        .returning(c.id, c.site_id, c.local_date, c.series_id, c.status, c.created_at, c.created_by_key_id)
        .cte("new_booking")
    )
    written = new.join(v, v.c.id == new.c.id)
    event = insert(events).from_select(
        ["booking_id", "series_id", "action", "status", "occurred_at", "actor_key_id", "actor_party_id",
         "actor_role"],
        select(new.c.id, new.c.series_id, literal("created"), new.c.status, new.c.created_at,
               new.c.created_by_key_id, v.c.actor_party_id, v.c.actor_role).select_from(written),
    )
    marked = marking(
        dialect,
        lambda stmt: stmt.from_select(
            ["site_id", "local_date", "seq"],
            # One upsert per site date (ON CONFLICT may not touch a row twice), in
            # one order, so that two batches never wait for each other's site dates.
            select(new.c.site_id, new.c.local_date, literal(1, BigInteger)).select_from(written)
            .where(v.c.mark).distinct().order_by(new.c.site_id, new.c.local_date),
        ),
    )
    return select(v.c.ord, new.c.id).select_from(written).add_cte(event.cte("new_event"), marked.cte("marked"))


_INSERT_KEPT_BATCH = Hot(_kept_batch_statement)


@dataclass(frozen=True, slots=True)
class KeptBooking:
    """A booking judged on kept facts, to be written (`insert_kept_bookings`)."""

    values: dict[str, Any]
    event: dict[str, Any]
    mark: bool
    cached: tuple[int, int | None]  # (catalog version, key id) the facts were read at


async def insert_kept_bookings(runner: Runner, batch: Sequence[KeptBooking]) -> list[int | None]:
    """Write bookings judged on kept facts, in one statement whatever their number
    (PostgreSQL): each its id, or None when it was not written (stale facts, a
    revoked key, or its window held by another booking, an earlier one of the batch
    included), for the full path to judge again."""
    if len(batch) == 1:  # the single insert costs PostgreSQL less than unnest
        b = batch[0]
        return [await insert_booking(runner, b.values, b.event, mark=b.mark, cached=b.cached)]
    # Rows go in by space and held window, so that two batches (two workers) never wait
    # for each other's windows in opposite orders; of two simultaneous bookings for one
    # window, the first to arrive stays first (a stable sort).
    order = sorted(range(len(batch)), key=lambda i: (batch[i].values["space_id"], batch[i].values["held_start"]))
    rows = [batch[i] for i in order]
    params: dict[str, Any] = {f"a_{k}": [b.values[k] for b in rows] for k in _KEPT_FIELDS}
    params["a_actor_party_id"] = [b.event["actor_party_id"] for b in rows]
    params["a_actor_role"] = [b.event["actor_role"] for b in rows]
    params["a_cached_version"] = [b.cached[0] for b in rows]
    params["a_key_id"] = [b.cached[1] for b in rows]
    params["a_mark"] = [b.mark for b in rows]
    made: list[int | None] = [None] * len(batch)
    for ordinal, booking_id in await runner.all(_INSERT_KEPT_BATCH, params):
        made[order[ordinal - 1]] = int(booking_id)
    return made


async def insert_series_bookings(
    session: AsyncSession, series_id: int, bookings: list[dict[str, Any]], event: dict[str, Any]
) -> list[int]:
    """A series' bookings and their `created` history rows in three statements
    (two batched inserts and one read of the new ids), whatever their number."""
    await session.execute(insert(Booking), bookings)
    ids = list(
        (
            await session.scalars(
                select(Booking.id).where(Booking.series_id == series_id).order_by(Booking.start, Booking.id)
            )
        ).all()
    )
    await session.execute(insert(BookingEvent), [{**event, "booking_id": i} for i in ids])
    return ids


def visible(stmt: Select[Any], scope: BookingScope | None) -> Select[Any]:
    """Restrict a bookings query to what a key may see."""
    if scope is None:
        return stmt
    own = Booking.party_id == scope.party_id
    if not scope.with_owned_sites:
        return stmt.where(own)
    owned_sites = select(Site.id).where(Site.owner_party_id == scope.party_id)
    return stmt.where(or_(own, Booking.site_id.in_(owned_sites)))


@cache
def _booking_with_owner_statement(for_update: bool) -> Select[Any]:
    stmt = (
        select(Booking, Site.owner_party_id)
        .join(Site, Site.id == Booking.site_id)
        .where(Booking.id == bindparam("booking_id", type_=Integer))
    )
    # Serializes approve/decline/cancel/change of one booking (PostgreSQL; SQLite
    # write transactions are already exclusive).
    return stmt.with_for_update(of=Booking, key_share=True) if for_update else stmt


async def booking_with_owner(
    session: AsyncSession, booking_id: int, *, for_update: bool = False
) -> tuple[Booking, int] | None:
    row = (await session.execute(_booking_with_owner_statement(for_update), {"booking_id": booking_id})).first()
    return (row[0], row[1]) if row else None


def is_exclusion_violation(exc: BaseException) -> bool:
    """23P01, raised by asyncpg directly or wrapped by SQLAlchemy (IntegrityError)."""
    orig = exc.orig if isinstance(exc, IntegrityError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return code == EXCLUSION_VIOLATION




# What a booking response shows, in `BookingRead`'s order, then the version (ETag).
READ_COLUMNS = (
    Booking.id, Booking.status, Booking.space_id, Booking.site_id, Booking.party_id,
    Booking.agreement_id, Booking.series_id, Booking.start, Booking.end, Booking.setup_minutes,
    Booking.cleanup_minutes, Booking.purpose, Booking.attendance, Booking.created_at, Booking.updated_at,
    Booking.rental_fee_waived_cents, Booking.custodial_minutes, Booking.custodial_cost_cents,
    Booking.cost_shares_cents, Booking.version,
)
READ_NAMES = tuple(c.key for c in READ_COLUMNS)

# GET /v1/bookings/{id}: the caller's key, the booking and its site's owner in one statement.
READ_BOOKING = Hot(
    with_key(
        select(*READ_COLUMNS, Site.owner_party_id)
        .join(Site, Site.id == Booking.site_id)
        .where(Booking.id == bindparam("booking_id", type_=Integer))
    )
)
