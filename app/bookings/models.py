from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.time import utcnow

# Bookings in these states hold their space.
HOLDING_STATUSES = ("requested", "confirmed")


class BookingSeries(Base):
    """A recurring booking (RFC 5545 RRULE, expanded in the site's local time)."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    rrule: Mapped[str] = mapped_column(String(1000))
    exdates: Mapped[list[str]] = mapped_column(JSON)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(String(500))
    attendance: Mapped[int]
    setup_minutes: Mapped[int]
    cleanup_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))


class Booking(Base):
    """One use of a space. `held_start`/`held_end` include setup and cleanup: the
    window that no other holding booking of the space may overlap."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint('start < "end"', name="start_before_end"),
        CheckConstraint("held_start < held_end", name="held_ordered"),
        CheckConstraint(
            "setup_minutes >= 0 AND cleanup_minutes >= 0", name="setup_cleanup_not_negative"
        ),
        CheckConstraint("attendance >= 0", name="attendance_not_negative"),
        # Every index costs each booking insert ~20 µs of PostgreSQL CPU: only those a
        # query reads. Availability and conflict checks: one range scan per space.
        Index("ix_bookings_space_held", "space_id", "held_start"),
        Index("ix_bookings_party_start", "party_id", "start"),
        Index("ix_bookings_start_id", "start", "id"),
        # A site's bookings: its dates' custodial coverage, a manager's view.
        Index("ix_bookings_site_date", "site_id", "local_date"),
        # A series' occurrences; single bookings stay out of it.
        Index(
            "ix_bookings_series_id",
            "series_id",
            postgresql_where=text("series_id IS NOT NULL"),
            sqlite_where=text("series_id IS NOT NULL"),
        ),
        # The space, and that `site_id` is the space's site, in one check per insert.
        ForeignKeyConstraint(
            ["space_id", "site_id"],
            ["spaces.id", "spaces.site_id"],
            name="fk_bookings_space_site_spaces",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int]
    site_id: Mapped[int]
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    # No index: nothing reads bookings by agreement, and agreements are never deleted.
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"))
    status: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    setup_minutes: Mapped[int]
    cleanup_minutes: Mapped[int]
    held_start: Mapped[datetime] = mapped_column(UTCDateTime)
    held_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # The site-local date of the booking (a held window lies within one local date):
    # statements and reports filter and group by it in SQL.
    local_date: Mapped[date] = mapped_column(Date)
    booked_minutes: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500))
    attendance: Mapped[int]
    # Snapshot of the agreement when the booking was made: later changes to the
    # agreement apply to later bookings only.
    cost_shares: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The standalone quote, computed when the booking was made or changed.
    rental_fee_waived_cents: Mapped[int]
    custodial_minutes: Mapped[int]
    custodial_cost_cents: Mapped[int]
    cost_shares_cents: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Cancelled less than `late_cancel_hours` before its start while confirmed:
    # it keeps counting in custodial coverage.
    late_cancellation: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Who made it, as recorded (like the history's actor): a value, not a reference, so
    # the hot insert pays no foreign-key check for it.
    created_by_key_id: Mapped[int | None]


class BookingEvent(Base):
    """One state change of a booking (or of a series: `booking_id` null), written in
    the same transaction as the change. The history endpoint, the change feed and
    webhooks read these."""

    __tablename__ = "booking_events"
    __table_args__ = (
        Index("ix_booking_events_booking", "booking_id", "id"),
        # The change feed's order on PostgreSQL (`events.repository`).
        Index(
            "ix_booking_events_txid",
            "txid",
            "id",
            postgresql_where=text("txid IS NOT NULL"),
            sqlite_where=text("txid IS NOT NULL"),
        ),
        CheckConstraint(
            "booking_id IS NOT NULL OR series_id IS NOT NULL", name="of_booking_or_series"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"))
    # created, changed, approved, declined, cancelled
    action: Mapped[str] = mapped_column(String(16))
    # the booking's (or series') status after the change
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The actor as authenticated at the time: recorded values, not references (a log
    # row neither constrains nor is constrained by the live tables).
    actor_key_id: Mapped[int | None]
    actor_party_id: Mapped[int | None]
    actor_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The booking (or series) as `GET` showed it after the change, as JSON text (the
    # feed and webhooks send it as it is). Null in rows older than the feed.
    data: Mapped[str | None] = mapped_column(Text)
    # PostgreSQL: the writing transaction's id (a column default, migration 0009), by
    # which the feed orders events and holds back those of transactions still running.
    # Null on SQLite, whose writers are serialized: there `id` is commit order.
    txid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())


class CatalogVersion(Base):
    """One row whose `version` changes (PostgreSQL triggers, migration 0006) with every
    change to parties, sites, spaces, calendars, agreements and direct partners: what
    the booking rules read besides other bookings. A worker that keeps those facts
    books from them only if the version its insert reads is the one they were read at."""

    __tablename__ = "catalog_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
