"""A booking and a series as `GET` shows them: the responses, and the `data` of their
change-feed events (written with the change, so that an event shows the booking as it
was then)."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

from pydantic_core import to_json

from app.bookings.models import Booking, BookingSeries
from app.bookings.repository import BookingView
from app.bookings.schemas import BookingRead, BookingStatus, Quote, SeriesRead

# A view begins with `BookingRead`'s fields, in their order; its quote's fields (but the
# rental fee: none under the agreement) are view fields of the same names.
_SHOWN = tuple(name for name in BookingRead.model_fields if name != "quote")
_QUOTED = tuple(name for name in Quote.model_fields if name != "rental_fee_cents")
assert BookingView._fields[: len(_SHOWN)] == _SHOWN
assert _SHOWN[0] == "id"  # `booking_json` begins with it (`repository.with_id`)
_view_of_booking = attrgetter(*BookingView._fields)
_view_of_values = itemgetter(*BookingView._fields)


def view_of(b: Booking) -> BookingView:
    return BookingView._make(_view_of_booking(b))


def view_of_values(values: dict[str, Any]) -> BookingView:
    return BookingView._make(_view_of_values(values))


def read_of(v: BookingView) -> BookingRead:
    """A booking response from its view (trusted database values: no validation)."""
    fields: dict[str, Any] = dict(zip(_SHOWN, v, strict=False))
    fields["status"] = BookingStatus(v.status)
    quote = {name: getattr(v, name) for name in _QUOTED}
    fields["quote"] = Quote.model_construct(rental_fee_cents=0, **quote)
    return BookingRead.model_construct(**fields)


def to_read(b: Booking) -> BookingRead:
    return read_of(view_of(b))


def booking_json(v: BookingView) -> bytes:
    """`read_of(v)` as pydantic writes it (tests compare the two), without building
    the models: on the hot routes that took two thirds of the serializing."""
    body = dict(zip(_SHOWN, v, strict=False))
    quote = {"rental_fee_cents": 0}
    for name in _QUOTED:  # a loop: faster than a comprehension or zip here
        quote[name] = getattr(v, name)
    body["quote"] = quote
    return to_json(body)


def new_booking_json(values: dict[str, Any]) -> str:
    """A booking about to be written, as `GET` will show it, its id still 0: the
    insert puts in the id it draws (`repository.with_id`)."""
    return booking_json(view_of_values(values | {"id": 0})).decode()


def booking_data(b: Booking) -> str:
    return booking_json(view_of(b)).decode()


# `SeriesRead`'s fields that are the series row's columns as they are stored.
_SERIES_COLUMNS = tuple(n for n in SeriesRead.model_fields if n not in ("exdates", "booking_ids"))


def series_read(series: BookingSeries, booking_ids: list[int]) -> SeriesRead:
    fields: dict[str, Any] = {name: getattr(series, name) for name in _SERIES_COLUMNS}
    fields["exdates"] = [datetime.fromisoformat(e) for e in series.exdates]
    return SeriesRead(**fields, booking_ids=booking_ids)


def series_data(series: BookingSeries, booking_ids: list[int]) -> str:
    return series_read(series, booking_ids).model_dump_json()
