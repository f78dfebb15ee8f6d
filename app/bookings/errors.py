"""Booking errors: `DomainError`s, so core's one handler answers them as problems."""

from __future__ import annotations

from typing import Any

from app.bookings.schemas import Violations
from app.core.errors import DomainError


class BookingRulesViolated(DomainError):
    """Every failed rule at once, each `{rule, detail, start}`."""

    status, code, title = 422, "booking-rules-violated", "Booking rules violated"
    problem_fields = Violations

    def __init__(self, violations: list[dict[str, Any]], detail: str | None = None) -> None:
        rules = sorted({v["rule"] for v in violations})
        super().__init__(detail or f"the booking breaks: {', '.join(rules)}")
        self.violations = violations

    def body(self) -> dict[str, Any]:
        return {"violations": self.violations}


class BookingConflict(BookingRulesViolated):
    """The only failures are conflicts with other bookings of the space."""

    status, code, title = 409, "booking-conflict", "Booking conflict"
