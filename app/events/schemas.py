from __future__ import annotations

from pydantic import Field

from app.bookings.schemas import BookingRead, SeriesRead
from app.core.schemas import ResponseModel, examples
from app.core.time import Instant
from app.events.rules import EventType


class EventRead(ResponseModel):
    id: int
    type: EventType
    occurred_at: Instant
    data: BookingRead | SeriesRead = Field(
        description="The booking (or, for `series.*`, the series) as `GET` showed it "
        "after the change"
    )


class EventPage(ResponseModel):
    model_config = examples(
        {
            "items": [
                {
                    "id": 501,
                    "type": "booking.requested",
                    "occurred_at": "2027-01-04T17:00:00Z",
                    "data": {
                        "id": 101,
                        "status": "requested",
                        "space_id": 1,
                        "site_id": 1,
                        "party_id": 3,
                        "agreement_id": 1,
                        "series_id": None,
                        "start": "2027-01-13T02:00:00Z",
                        "end": "2027-01-13T04:00:00Z",
                        "setup_minutes": 15,
                        "cleanup_minutes": 15,
                        "purpose": "Youth basketball practice",
                        "attendance": 30,
                        "created_at": "2027-01-04T17:00:00Z",
                        "updated_at": "2027-01-04T17:00:00Z",
                        "quote": {
                            "rental_fee_cents": 0,
                            "rental_fee_waived_cents": 15000,
                            "custodial_minutes": 135,
                            "custodial_cost_cents": 9450,
                            "cost_shares_cents": {"1": 4725, "2": 4725},
                        },
                    },
                }
            ],
            "next_cursor": "WzEyMzQsNTAxXQ",
        }
    )

    items: list[EventRead]
    next_cursor: str = Field(
        description="Pass as `after` to resume exactly after the last item; never null: "
        "at the end it is the cursor to poll with later"
    )
