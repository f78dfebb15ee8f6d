from __future__ import annotations

from pydantic import Field

from app.core.schemas import ResponseModel, examples
from app.core.time import Instant


class CalendarFeedRead(ResponseModel):
    model_config = examples(
        {
            "id": 7,
            "party_id": 3,
            "url": "https://jointuse.example.org/v1/calendar-feeds/"
            "Jx1v0c5S2mJr3KqS8yqg0m1bT0yXcA7dZ0bq9uYkQeA.ics",
            "created_at": "2027-01-04T17:00:00Z",
        }
    )

    id: int
    party_id: int
    url: str = Field(
        description="The party's feed, served with no `Authorization` header (a secret "
        "token in the path: shown only here). `DELETE` the feed to end it."
    )
    created_at: Instant
