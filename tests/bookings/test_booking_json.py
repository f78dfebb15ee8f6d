"""The hot routes write a booking's JSON straight from its values: byte for byte what
pydantic writes for the `BookingRead` model the contract documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.bookings.repository import BookingView
from app.bookings.schemas import BookingRead
from app.bookings.views import booking_json, read_of

START = datetime(2027, 1, 12, 2, 0, tzinfo=UTC)


def values(**changed: object) -> BookingView:
    v: dict[str, object] = {
        "id": 41,
        "status": "confirmed",
        "space_id": 5,
        "site_id": 2,
        "party_id": 3,
        "agreement_id": 1,
        "series_id": None,
        "start": START,
        "end": START + timedelta(hours=2),
        "setup_minutes": 15,
        "cleanup_minutes": 0,
        "purpose": 'Chess club \u2013 \u00e9checs "open"',
        "attendance": 12,
        "created_at": START - timedelta(days=9, microseconds=17),
        "updated_at": START - timedelta(days=9),
        "rental_fee_waived_cents": 15000,
        "custodial_minutes": 120,
        "custodial_cost_cents": 8400,
        "cost_shares_cents": {"7": 4200, "9": 4200},
        "version": 3,
    }
    v.update(changed)
    return BookingView(**v)


@pytest.mark.parametrize(
    "changed",
    [
        {},
        {"agreement_id": None, "cost_shares_cents": {}, "status": "requested", "series_id": 8},
        {"start": datetime(2027, 3, 8, 18, 0, tzinfo=timezone(timedelta(hours=-7)))},
        {"purpose": "", "attendance": 0, "cost_shares_cents": {"12": 1}},
    ],
)
def test_a_bookings_json_is_what_pydantic_writes_for_its_model(changed: dict[str, object]) -> None:
    v = values(**changed)
    assert booking_json(v) == BookingRead.__pydantic_serializer__.to_json(read_of(v))
    assert BookingRead.model_validate_json(booking_json(v)) == BookingRead.model_validate(
        read_of(v).model_dump()
    )
