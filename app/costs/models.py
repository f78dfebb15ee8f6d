from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.time import utcnow


class CustodialCharge(Base):
    """A booking's part of its site date's custodial coverage beyond scheduled hours.
    Statements and reports add up these stored, traceable figures in SQL, after
    bringing every pending site date of their period up to date."""

    __tablename__ = "custodial_charges"
    __table_args__ = (
        UniqueConstraint("booking_id", "local_date", name="uq_custodial_charges_booking_date"),
        Index("ix_custodial_charges_agreement_date", "agreement_id", "local_date"),
        Index("ix_custodial_charges_site_date", "site_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    local_date: Mapped[date] = mapped_column(Date)
    beyond_minutes: Mapped[int]
    billed_minutes: Mapped[int]
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    shares_cents: Mapped[dict[str, Any]] = mapped_column(JSON)  # {party_id: cents}
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CostItem(Base):
    """Supplies, a capital item or a custodial adjustment, shared by the agreement's
    cost shares (as they stood when the item was recorded). A wrong item is never
    edited or deleted but voided (when, by which key, why): statements leave it out."""

    __tablename__ = "cost_items"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="void_has_reason"),
        Index("ix_cost_items_agreement_date", "agreement_id", "incurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    category: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    incurred_by_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    incurred_on: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    description: Mapped[str] = mapped_column(String(500))
    shares_cents: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    # The bootstrap admin key has no id: voided with `voided_by_key_id` null.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    void_reason: Mapped[str | None] = mapped_column(String(500))


class PendingSiteDate(Base):
    """A site date whose custodial charges may be stale: a booking that counts (or
    counted) in its coverage was made or changed, or the site's custodial hours did.
    Marked in the same statement or transaction as the change; a statement or report
    re-bills the pending dates of its period before it reads (`costs.flows.settle`).
    `seq` grows with each mark, so a settlement clears only the marks it has seen."""

    __tablename__ = "custodial_pending"
    __table_args__ = (Index("ix_custodial_pending_date", "local_date"),)

    # A work queue of derived data: no foreign key to check on every booking.
    site_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=1)
