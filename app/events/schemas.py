from __future__ import annotations

from pydantic import Field

from app.bookings.schemas import BOOKING_EXAMPLE, BookingRead, SeriesRead
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
                    "data": BOOKING_EXAMPLE,
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
