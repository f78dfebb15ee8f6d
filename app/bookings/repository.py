"""The SQL of bookings: the few indexed queries the rules and views need."""

from __future__ import annotations

import json
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, NamedTuple
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
from app.bookings.access import BookingScope
from app.bookings.availability import US, instant
from app.bookings.models import HOLDING_STATUSES, Booking, BookingEvent, CatalogVersion
from app.bookings.rules import DateRange, Held, SiteCalendar
from app.core.db import UTCDateTime
from app.core.sql import Hot, Row, Runner, SessionRunner
from app.core.time import WeeklyMinutes, weekly_minutes, zone
from app.costs.repository import MARK_PENDING, marking
from app.idempotency.claims import KeyToKeep
from app.idempotency.models import IdempotencyRecord
from app.keys.models import ApiKey
from app.keys.repository import KEY_COLUMNS, key_lookup, with_key
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

    def calendar(
        self, closures: tuple[DateRange, ...], recesses: tuple[DateRange, ...]
    ) -> SiteCalendar:
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
    held_us: tuple[tuple[int, int], ...]  # holding bookings' windows (µs since the epoch), by start

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


def _facts_statement(dialect: str, *, for_booking: bool) -> Select[Any]:
    """Built once per dialect (building a statement costs more than running it);
    the values come as bind parameters. Columns: `SpaceRow`, and `for_booking`
    (every judged booking: create, quote, change, series) the caller's key row
    (`KEY_COLUMNS`) first and `BookingExtras` after: the booking party defaults to
    the key's. Without it (availability) the window's facts alone."""
    space_id = bindparam("space_id", type_=Integer)
    caller = key_lookup().subquery("caller")
    party_id: Any = func.coalesce(bindparam("party_id", type_=Integer), caller.c.party_id)
    first_day, last_day = bindparam("first_day", type_=Date), bindparam("last_day", type_=Date)
    # A booking's facts are kept for the caller's later bookings (`FactsCache`): from
    # `first_day` on, with no end, they serve any booking that starts later.
    in_calendar = [CalendarException.end_date >= first_day]
    if not for_booking:
        in_calendar.append(CalendarException.start_date <= last_day)
    calendar = (
        select(
            _json_rows(
                dialect,
                CalendarException.kind,
                CalendarException.start_date,
                CalendarException.end_date,
            )
        )
        .where(CalendarException.site_id == Site.id, *in_calendar)
        .scalar_subquery()
    )
    # "start,end,start,end,...": a busy space has hundreds of these a year, and a
    # comma list of integers is the cheapest form to decode.
    pair = (
        cast(_epoch_seconds(dialect, Booking.held_start), Text)
        + ","
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
    space = {
        "capacity": Space.capacity,
        "standard_rate_cents_per_hour": Space.standard_rental_rate_cents_per_hour,
        "site_id": Site.id,
        "owner_party_id": Site.owner_party_id,
        "timezone": Site.timezone,
        "open_hours": cast(Site.open_hours, Text),
        "reserved_hours": cast(Site.reserved_hours, Text),
        "custodial_hours": cast(Site.custodial_hours, Text),
        "custodial_rate_cents_per_hour": Site.custodial_rate_cents_per_hour,
        "calendar": type_coerce(calendar, JSON),
        "held": held.scalar_subquery(),
    }
    assert tuple(space) == SpaceRow._fields
    if not for_booking:
        return (
            select(*space.values()).join(Site, Site.id == Space.site_id).where(Space.id == space_id)
        )
    agreement = {
        "id": Agreement.id,
        "kind": Agreement.kind,
        "starts_on": Agreement.starts_on,
        "ends_on": Agreement.ends_on,
        "terms": _json_value(dialect, Agreement.terms),
        "party_a_id": Agreement.party_a_id,
        "share_a_percent": Agreement.share_a_percent,
        "party_b_id": Agreement.party_b_id,
        "share_b_percent": Agreement.share_b_percent,
    }
    assert tuple(agreement) == AgreementRow._fields
    agreements = select(_json_rows(dialect, *agreement.values())).where(
        Agreement.status == "active",
        or_(
            Agreement.party_a_id == Site.owner_party_id, Agreement.party_b_id == Site.owner_party_id
        ),
        or_(
            Agreement.party_a_id == party_id,
            Agreement.party_b_id == party_id,
            # Correlated by name: `caller` lives two levels up.
            exists()
            .where(DirectPartner.agreement_id == Agreement.id, DirectPartner.party_id == party_id)
            .correlate(Agreement, caller),
        ),
        or_(Agreement.ends_on.is_(None), Agreement.ends_on >= first_day),
    )
    extras = {
        "agreements": type_coerce(agreements.scalar_subquery(), JSON),
        "party_exists": exists().where(Party.id == party_id),
        "catalog_version": select(CatalogVersion.version)
        .where(CatalogVersion.id == 1)
        .scalar_subquery(),
    }
    assert tuple(extras) == BookingExtras._fields
    one = select(literal(1).label("one")).subquery("one")
    place = join(Space, Site, Site.id == Space.site_id)
    return select(*caller.c, *space.values(), *extras.values()).select_from(
        one.outerjoin(caller, true()).outerjoin(place, Space.id == space_id)
    )


class SpaceRow(NamedTuple):
    """The facts statement's columns about the space, its site and the window."""

    capacity: int
    standard_rate_cents_per_hour: int
    site_id: int
    owner_party_id: int
    timezone: str
    open_hours: str | None  # JSON text
    reserved_hours: str | None
    custodial_hours: str | None
    custodial_rate_cents_per_hour: int
    calendar: list[list[str]] | None  # [kind, start_date, end_date]
    held: str | None  # "start,end,start,end,..." in epoch seconds


class BookingExtras(NamedTuple):
    """What a booking's facts add after `SpaceRow`."""

    agreements: list[list[Any]] | None  # `AgreementRow`s
    party_exists: bool
    catalog_version: int


class AgreementRow(NamedTuple):
    id: int
    kind: str
    starts_on: str
    ends_on: str | None
    terms: Any  # JSON (text on SQLite)
    party_a_id: int
    share_a_percent: int
    party_b_id: int
    share_b_percent: int


_WINDOW_FACTS = Hot(lambda dialect: _facts_statement(dialect, for_booking=False))
_BOOKING_FACTS = Hot(lambda dialect: _facts_statement(dialect, for_booking=True))
_SPACE_END = KEY_COLUMNS + len(SpaceRow._fields)


async def window_facts(
    runner: Runner, *, space_id: int, lo: datetime, hi: datetime
) -> BookingFacts | None:
    """The space and its site, the site's calendar around [lo, hi) and the held
    windows overlapping it (availability), in one statement whatever the data."""
    row = await runner.first(_WINDOW_FACTS, _facts_params(space_id, lo, hi, None, None))
    return None if row is None else _facts_of(space_id, SpaceRow._make(row), None)


@dataclass(frozen=True, slots=True)
class CallerFacts:
    key_row: Row  # the caller's key (`KEY_COLUMNS`), NULLs when it has none
    facts: BookingFacts | None  # None: no such space
    party_exists: bool
    catalog_version: int | None  # the catalog these facts were read from (`CatalogVersion`)
    since: date  # the calendar and agreements are complete from this date on


def facts_from(instant_: datetime) -> date:
    """The first date whose calendar and agreements a booking from `instant_` on needs
    (a UTC date: local dates are within a day of it)."""
    return (instant_ - timedelta(days=1)).date()


async def booking_facts(
    runner: Runner,
    *,
    lookup_id: str | None,
    space_id: int,
    lo: datetime,
    hi: datetime,
    party_id: int | None,
    now: datetime,
    exclude_id: int | None = None,
) -> CallerFacts:
    """Every fact judging bookings of a space over [lo, hi) needs, in one statement
    whatever the amount of data: the caller's key (found by `lookup_id`, if any), the
    space and its site, the site's calendar and the active agreements binding the
    owner and the booking party (`party_id`; None: the key's own), the held windows
    overlapping [lo, hi) but `exclude_id`'s, and the catalog version. The calendar
    and agreements come complete from today (or the booking, if earlier) on, so that
    they also serve the caller's later bookings of the space."""
    since = min(facts_from(lo), facts_from(now))
    params = _facts_params(space_id, lo, hi, party_id, exclude_id) | {
        "lookup_id": lookup_id,
        "first_day": since,
    }
    row = await runner.first(_BOOKING_FACTS, params)
    assert row is not None  # the statement always answers one row
    space = SpaceRow._make(row[KEY_COLUMNS:_SPACE_END])
    extras = BookingExtras._make(row[_SPACE_END:])
    facts = None if space.site_id is None else _facts_of(space_id, space, extras.agreements)
    return CallerFacts(
        row[:KEY_COLUMNS], facts, bool(extras.party_exists), extras.catalog_version, since
    )


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


def _facts_of(space_id: int, s: SpaceRow, agreements: list[list[Any]] | None) -> BookingFacts:
    ctx = SpaceContext(
        space_id=space_id,
        capacity=s.capacity,
        standard_rate_cents_per_hour=s.standard_rate_cents_per_hour,
        site_id=s.site_id,
        owner_party_id=s.owner_party_id,
        tz=zone(s.timezone),
        open_hours=weekly_of(s.open_hours),
        reserved_hours=weekly_of(s.reserved_hours),
        custodial_hours=weekly_of(s.custodial_hours),
        custodial_rate_cents_per_hour=s.custodial_rate_cents_per_hour,
    )
    closures: list[DateRange] = []
    recesses: list[DateRange] = []
    for kind, start, end in s.calendar or ():
        (closures if kind == "closure" else recesses).append(
            (date.fromisoformat(start), date.fromisoformat(end))
        )
    seconds = [int(n) * US for n in s.held.split(",")] if s.held else []
    windows = tuple(sorted(zip(seconds[::2], seconds[1::2], strict=True)))
    found = [_agreement_of(AgreementRow._make(r)) for r in agreements or ()]
    return BookingFacts(
        ctx, tuple(closures), tuple(recesses), tuple(sorted(found, key=preference)), windows
    )


def _agreement_of(a: AgreementRow) -> AgreementFacts:
    return AgreementFacts(
        a.id,
        a.kind,
        date.fromisoformat(a.starts_on),
        date.fromisoformat(a.ends_on) if a.ends_on else None,
        Terms.of(a.terms if isinstance(a.terms, dict) else json.loads(a.terms)),
        ((a.party_a_id, a.share_a_percent), (a.party_b_id, a.share_b_percent)),
    )


# --- writing new bookings: one insert, fed one row or many ------------------------

_BOOKING_FIELDS = tuple(c.key for c in Booking.__table__.c if c.key != "id")
# What every new booking has: written by the insert itself, not passed per booking.
_NEW = frozenset({"version", "cancelled_at", "late_cancellation", "updated_at"})
_GIVEN = tuple(k for k in _BOOKING_FIELDS if k not in _NEW)
# Per booking besides its row: its history row's actor, the guard of the facts it was
# judged on, whether its site date is to be re-billed.
_EXTRA: dict[str, Any] = {
    "actor_party_id": Integer(),
    "actor_role": String(16),
    "cached_version": BigInteger(),
    "key_id": Integer(),
    "mark": Boolean(),
    "data": Text(),
}
# A keyed booking's `Idempotency-Key` (`idempotency.claims.KeyToKeep`), kept by the
# insert with its answer: the key's record, written only with its booking.
_KEYED: dict[str, Any] = {
    "idem_caller": IdempotencyRecord.caller.type,
    "idem_key": IdempotencyRecord.key.type,
    "idem_fingerprint": IdempotencyRecord.fingerprint.type,
    "idem_expires_at": IdempotencyRecord.expires_at.type,
}
# The headers a new booking's answer carries (`router.booking_response(..., created=True)`),
# as the key keeps them, the id put in by the insert.
KEPT_HEADERS = json.dumps(
    [["etag", '"{id}.1"'], ["location", "/v1/bookings/{id}"], ["content-type", "application/json"]]
)
# A new booking's event `data` is its JSON with id 0 (`views.new_booking_json`); the
# insert puts in the id it draws: the same splice in SQL and in Python (`with_id`).
DATA_ID_PREFIX = '{"id":'
_PLACEHOLDER = DATA_ID_PREFIX + "0"


def with_id(data: str, booking_id: int) -> str:
    assert data.startswith(_PLACEHOLDER)
    return f"{DATA_ID_PREFIX}{booking_id}{data[len(_PLACEHOLDER):]}"


@dataclass(frozen=True, slots=True)
class Guard:
    """What a booking was judged on: the catalog version its facts were read at and
    the caller's key (None: the bootstrap admin). The insert writes nothing if either
    is no longer current (a closure, a terminated agreement, a revoked key meanwhile)."""

    catalog_version: int | None
    key_id: int | None


@dataclass(frozen=True, slots=True)
class NewBooking:
    """A judged booking, to be written by `insert_bookings`."""

    values: dict[str, Any]  # its columns (`_GIVEN`)
    actor_party_id: int | None  # who made it, for its `created` history row
    actor_role: str
    mark: bool  # its site date is to be re-billed
    guard: Guard
    data: str  # its event's `data`, its id still 0 (`with_id`)
    # Its Idempotency-Key, written with the booking and its answer (the 201 body is
    # the event's `data`); a key already kept fails the statement (nothing written).
    key: KeyToKeep | None = None


def _insert_statement(source: str, *, keyed: bool = False) -> Any:
    """The insert of new bookings on PostgreSQL, whatever their number: each booking
    its row, its `created` history row and (when `mark`) its site date marked pending,
    written only if its guard holds; a booking whose window another holds (the
    exclusion constraint, against other bookings and earlier rows of the statement
    alike) is skipped, not an error. Rows come from bind parameters (`one`: a lone
    booking; `unnest` costs PostgreSQL more for one row) or from arrays (`many`).
    `keyed`: each booking that has an Idempotency-Key (`NewBooking.key`) writes the
    key's record with its 201 answer, as a plain insert: a key that has a record (kept,
    running, expired) fails the whole statement on its unique constraint, so that a key
    is never kept for a booking not written nor a booking written under another's key.
    Answers (ordinal, id) of the bookings written."""
    bookings, events = (
        typing.cast(Table, Booking.__table__),
        typing.cast(Table, BookingEvent.__table__),
    )
    types: dict[str, Any] = {k: bookings.c[k].type for k in _GIVEN} | _EXTRA
    if keyed:
        types |= _KEYED
    # Ids drawn first, so each booking written is known by the row it came from.
    next_id = literal_column("nextval('bookings_id_seq')", Integer).label("id")
    if source == "many":
        arrays = [bindparam(k, type_=ARRAY(t)) for k, t in types.items()]
        rows = func.unnest(*arrays).table_valued(*types, with_ordinality="ord").render_derived()
        v = select(next_id, *rows.c).cte("v")
    else:
        v = select(
            next_id,
            *(bindparam(k, type_=t).label(k) for k, t in types.items()),
            literal(1).label("ord"),
        ).cte("v")
    v = v.prefix_with("MATERIALIZED")  # drawn once per row, however often `v` is read
    current = select(CatalogVersion.version).where(CatalogVersion.id == 1).scalar_subquery()
    live_key = exists().where(ApiKey.id == v.c.key_id, ApiKey.revoked_at.is_(None))
    guard = and_(
        or_(v.c.cached_version.is_(None), current == v.c.cached_version),
        or_(v.c.key_id.is_(None), live_key),
    )
    row = (
        {"id": v.c.id}
        | {k: v.c[k] for k in _GIVEN}
        | {
            "version": literal(1),
            "cancelled_at": null(),
            "late_cancellation": false(),
            "updated_at": v.c.created_at,
        }
    )
    c = bookings.c
    new = (
        pg_insert(bookings)
        .from_select(list(row), select(*row.values()).where(guard))
        .on_conflict_do_nothing()
        .returning(
            c.id, c.site_id, c.local_date, c.series_id, c.status, c.created_at, c.created_by_key_id
        )
        .cte("new_booking")
    )
    written = new.join(v, v.c.id == new.c.id)
    data = (
        literal(DATA_ID_PREFIX)
        .concat(cast(new.c.id, Text))
        .concat(func.substr(v.c.data, len(_PLACEHOLDER) + 1))
    )
    event = insert(events).from_select(
        [
            "booking_id",
            "series_id",
            "action",
            "status",
            "occurred_at",
            "actor_key_id",
            "actor_party_id",
            "actor_role",
            "data",
        ],
        select(
            new.c.id,
            new.c.series_id,
            literal("created"),
            new.c.status,
            new.c.created_at,
            new.c.created_by_key_id,
            v.c.actor_party_id,
            v.c.actor_role,
            data,
        ).select_from(written),
    )
    marked = marking(
        "postgresql",
        lambda stmt: stmt.from_select(
            ["site_id", "local_date", "seq"],
            # One upsert per site date (ON CONFLICT may not touch a row twice), in
            # one order, so that two statements never wait for each other's site dates.
            select(new.c.site_id, new.c.local_date, literal(1, BigInteger))
            .select_from(written)
            .where(v.c.mark)
            .distinct()
            .order_by(new.c.site_id, new.c.local_date),
        ),
    )
    ctes = [event.cte("new_event"), marked.cte("marked")]
    if keyed:
        records = typing.cast(Table, IdempotencyRecord.__table__)
        kept = insert(records).from_select(
            ["caller", "key", "fingerprint", "status", "headers", "body", "created_at",
             "locked_until", "expires_at"],
            select(
                v.c.idem_caller,
                v.c.idem_key,
                v.c.idem_fingerprint,
                literal(201),
                func.replace(literal(KEPT_HEADERS), "{id}", cast(new.c.id, Text)),
                func.convert_to(data, "UTF8"),
                new.c.created_at,
                new.c.created_at,
                v.c.idem_expires_at,
            )
            .select_from(written)
            .where(v.c.idem_key.is_not(None))
            # One order of keys, so that two statements never wait for each other's.
            .order_by(v.c.idem_caller, v.c.idem_key),
        )
        ctes.append(kept.cte("kept_key"))
    # Data-modifying CTEs run whether or not the result reads them.
    return select(v.c.ord, new.c.id).select_from(written).add_cte(*ctes)


_INSERT_ONE = Hot(lambda dialect: _insert_statement("one"))
_INSERT_MANY = Hot(lambda dialect: _insert_statement("many"))
_INSERT_ONE_KEYED = Hot(lambda dialect: _insert_statement("one", keyed=True))
_INSERT_MANY_KEYED = Hot(lambda dialect: _insert_statement("many", keyed=True))
# The unique constraint a key already kept fails a keyed insert on.
KEY_TAKEN = "uq_idempotency_keys_caller"


def _params(b: NewBooking, keyed: bool) -> dict[str, Any]:
    params = {k: b.values[k] for k in _GIVEN} | {
        "actor_party_id": b.actor_party_id,
        "actor_role": b.actor_role,
        "cached_version": b.guard.catalog_version,
        "key_id": b.guard.key_id,
        "mark": b.mark,
        "data": b.data,
    }
    if keyed:
        k = b.key
        params |= {
            "idem_caller": k and k.caller,
            "idem_key": k and k.key,
            "idem_fingerprint": k and k.fingerprint,
            "idem_expires_at": k and k.expires_at,
        }
    return params


async def insert_bookings(runner: Runner, batch: Sequence[NewBooking]) -> list[int | None]:
    """Write new bookings: each its id, or None when it was not written (its guard
    failed, or its window is held, by an earlier booking of the batch too), for the
    caller to judge again on fresh facts. On PostgreSQL one statement whatever their
    number; on SQLite, whose writers are serialized and judge in their own
    transaction, three (`_insert_sqlite`)."""
    if runner.dialect_name != "postgresql":
        assert isinstance(runner, SessionRunner)
        return await _insert_sqlite(runner.session, batch)
    keyed = any(b.key is not None for b in batch)
    if len(batch) == 1:
        one = _INSERT_ONE_KEYED if keyed else _INSERT_ONE
        row = await runner.first(one, _params(batch[0], keyed))
        return [None if row is None else int(row[1])]
    # Rows go in by space and held window, so that two statements (two workers) never
    # wait for each other's windows in opposite orders.
    order = sorted(
        range(len(batch)),
        key=lambda i: (batch[i].values["space_id"], batch[i].values["held_start"]),
    )
    rows = [_params(batch[i], keyed) for i in order]
    params = {k: [r[k] for r in rows] for k in rows[0]}
    made: list[int | None] = [None] * len(batch)
    for ordinal, booking_id in await runner.all(
        _INSERT_MANY_KEYED if keyed else _INSERT_MANY, params
    ):
        made[order[ordinal - 1]] = int(booking_id)
    return made


async def _insert_sqlite(session: AsyncSession, batch: Sequence[NewBooking]) -> list[int | None]:
    """SQLite: the bookings, their history rows and their site dates, a statement
    each whatever their number. The request judged them in this write transaction
    (BEGIN IMMEDIATE: no other writer in between), so every one is written."""
    new = {"version": 1, "cancelled_at": None, "late_cancellation": False}
    rows = [b.values | new | {"updated_at": b.values["created_at"]} for b in batch]
    if len(rows) == 1:
        ids = [
            int(
                (await session.execute(insert(Booking).returning(Booking.id), rows[0])).scalar_one()
            )
        ]
    else:  # a series' occurrences, in start order: one executemany, then their ids
        series_id = rows[0]["series_id"]
        assert series_id is not None and all(r["series_id"] == series_id for r in rows)
        await session.execute(insert(Booking), rows)
        found = await session.scalars(
            select(Booking.id)
            .where(Booking.series_id == series_id)
            .order_by(Booking.start, Booking.id)
        )
        ids = [int(i) for i in found.all()]
    await session.execute(
        insert(BookingEvent),
        [
            {
                "booking_id": i,
                "series_id": r["series_id"],
                "action": "created",
                "status": r["status"],
                "occurred_at": r["created_at"],
                "actor_key_id": r["created_by_key_id"],
                "actor_party_id": b.actor_party_id,
                "actor_role": b.actor_role,
                "data": with_id(b.data, i),
            }
            for i, r, b in zip(ids, rows, batch, strict=True)
        ],
    )
    marks = sorted(
        {(r["site_id"], r["local_date"]) for r, b in zip(rows, batch, strict=True) if b.mark}
    )
    if marks:
        await session.execute(
            MARK_PENDING.statement("sqlite"), [{"site_id": s, "local_date": d} for s, d in marks]
        )
    return list(ids)


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
def _booking_with_owner_statement(for_update: bool) -> Select[Booking, int]:
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
    row = (
        await session.execute(_booking_with_owner_statement(for_update), {"booking_id": booking_id})
    ).first()
    return (row[0], row[1]) if row else None


def is_exclusion_violation(exc: BaseException) -> bool:
    """23P01, raised by asyncpg directly or wrapped by SQLAlchemy (IntegrityError)."""
    orig = exc.orig if isinstance(exc, IntegrityError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )
    return code == EXCLUSION_VIOLATION


class BookingView(NamedTuple):
    """What a booking response shows (`BookingRead`'s fields, then its quote's), then
    its version (the ETag): one field per column of `READ_COLUMNS`, named as `Booking`'s."""

    id: int
    status: str
    space_id: int
    site_id: int
    party_id: int
    agreement_id: int | None
    series_id: int | None
    start: datetime
    end: datetime
    setup_minutes: int
    cleanup_minutes: int
    purpose: str
    attendance: int
    created_at: datetime
    updated_at: datetime
    rental_fee_waived_cents: int
    custodial_minutes: int
    custodial_cost_cents: int
    cost_shares_cents: dict[str, int]
    version: int


READ_COLUMNS = tuple(getattr(Booking, name) for name in BookingView._fields)

# GET /v1/bookings/{id}: the caller's key, the booking and its site's owner in one statement.
READ_BOOKING = Hot(
    with_key(
        select(*READ_COLUMNS, Site.owner_party_id)
        .join(Site, Site.id == Booking.site_id)
        .where(Booking.id == bindparam("booking_id", type_=Integer))
    )
)
_SITE_OWNER = KEY_COLUMNS + len(BookingView._fields)


def view_with_owner(row: Row | None) -> tuple[BookingView, int] | None:
    """`READ_BOOKING`'s booking and its site's owner; None when there is no such booking."""
    if row is None or row[KEY_COLUMNS] is None:
        return None
    return BookingView._make(row[KEY_COLUMNS:_SITE_OWNER]), row[_SITE_OWNER]
