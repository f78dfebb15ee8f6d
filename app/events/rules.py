"""What an event is called in the feed: pure functions of its history row."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    booking_requested = "booking.requested"
    booking_confirmed = "booking.confirmed"
    booking_declined = "booking.declined"
    booking_cancelled = "booking.cancelled"
    booking_changed = "booking.changed"
    series_created = "series.created"
    series_cancelled = "series.cancelled"


# (of a series, action, status or None for any) -> the event's type. The feed's SQL
# writes the same (`repository._type_of`).
TYPES: dict[tuple[bool, str, str | None], EventType] = {
    (False, "created", "requested"): EventType.booking_requested,
    (False, "created", "confirmed"): EventType.booking_confirmed,
    (False, "approved", None): EventType.booking_confirmed,
    (False, "declined", None): EventType.booking_declined,
    (False, "cancelled", None): EventType.booking_cancelled,
    (False, "changed", None): EventType.booking_changed,
    (True, "created", None): EventType.series_created,
    (True, "cancelled", None): EventType.series_cancelled,
}


def event_type(action: str, status: str, *, of_series: bool) -> EventType:
    """A booking made `confirmed` at once is one `booking.confirmed`; one made
    `requested` is `booking.requested`, then confirmed or declined when the owner acts.
    A change is `booking.changed` whatever it does to the status (a change that puts a
    confirmed booking back to `requested` shows it in `data`)."""
    found = TYPES.get((of_series, action, status)) or TYPES.get((of_series, action, None))
    if found is None:
        raise ValueError(f"no event type for {action} ({status})")
    return found
