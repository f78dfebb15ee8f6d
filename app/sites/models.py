from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.time import utcnow


class Site(Base):
    """A school site or a city facility, with its weekly hours in local time."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("custodial_rate_cents_per_hour >= 0", name="rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    owner_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    open_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    reserved_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    custodial_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    custodial_rate_cents_per_hour: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Space(Base):
    """A bookable space of a site: a gym, a multipurpose room, a field."""

    __tablename__ = "spaces"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("standard_rental_rate_cents_per_hour >= 0", name="rate_not_negative"),
        # A booking names its space and (denormalized) site: one foreign key checks both.
        UniqueConstraint("id", "site_id", name="uq_spaces_id_site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int]
    # What an outside group would pay; under an agreement it is waived.
    standard_rental_rate_cents_per_hour: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarException(Base):
    """Days a site is closed (`closure`) or school is not in session (`recess`);
    dates inclusive, in the site's local calendar."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (
        CheckConstraint("start_date <= end_date", name="dates_ordered"),
        Index("ix_calendar_exceptions_site_dates", "site_id", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
