from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.time import utcnow


class CalendarFeed(Base):
    """A secret address of a party's calendar, for apps that cannot send a key: only a
    sha256 of its token is kept, and deleting the row ends the address."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who made it, as recorded: a value, like the bookings' `created_by_key_id`.
    created_by_key_id: Mapped[int | None]
