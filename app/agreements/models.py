from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.time import utcnow


class Agreement(Base):
    """A joint-use agreement between exactly two parties (the city and a district or
    charter school). `party_a` is listed first in `party_ids`: remainders of cost
    splits go to it."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("party_a_id <> party_b_id", name="two_parties"),
        CheckConstraint(
            "share_a_percent >= 0 AND share_b_percent >= 0"
            " AND share_a_percent + share_b_percent = 100",
            name="shares_sum_to_100",
        ),
        CheckConstraint("ends_on IS NULL OR starts_on <= ends_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    party_a_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    party_b_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    share_a_percent: Mapped[int]
    share_b_percent: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def party_ids(self) -> list[int]:
        return [self.party_a_id, self.party_b_id]

    @property
    def cost_shares(self) -> dict[int, int]:
        return {self.party_a_id: self.share_a_percent, self.party_b_id: self.share_b_percent}


class DirectPartner(Base):
    """A community group that books under the agreement (the direct partner concept)."""

    __tablename__ = "agreement_direct_partners"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
