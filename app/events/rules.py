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


_OF_BOOKING_ACTION = {
    "approved": EventType.booking_confirmed,
    "declined": EventType.booking_declined,
    "cancelled": EventType.booking_cancelled,
    "changed": EventType.booking_changed,
}
_OF_SERIES_ACTION = {
    "created": EventType.series_created,
    "cancelled": EventType.series_cancelled,
}


def event_type(action: str, status: str, *, of_series: bool) -> EventType:
    """A booking made `confirmed` at once is one `booking.confirmed`; one made
    `requested` is `booking.requested`, then confirmed or declined when the owner acts.
    A change is `booking.changed` whatever it does to the status (a change that puts a
    confirmed booking back to `requested` shows it in `data`)."""
    if of_series:
        return _OF_SERIES_ACTION[action]
    if action == "created":
        return (
            EventType.booking_requested if status == "requested" else EventType.booking_confirmed
        )
    return _OF_BOOKING_ACTION[action]
