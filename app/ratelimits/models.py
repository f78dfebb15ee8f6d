from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class RateLimitWindow(Base):
    """How much of a key's budget the workers have taken in one minute window."""

    __tablename__ = "rate_limit_windows"

    # The API key, by its secret's hash (`core.auth.caller_key`).
    caller: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Minutes since the epoch (`rules.window_of`).
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    taken: Mapped[int]
    # What the last statement granted (RETURNING sees only the row after the update).
    last_grant: Mapped[int]
