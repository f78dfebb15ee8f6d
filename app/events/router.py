from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.deps import DatabaseDep, ReadPrincipalDep, ReadSessionDep
from app.core.openapi import op
from app.core.pagination import LimitQuery
from app.events import service
from app.events.schemas import EventPage

router = APIRouter(prefix="/v1/events", tags=["events"])

AfterQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of an earlier page; none: the oldest event"),
]


@router.get(
    "",
    response_model=EventPage,
    **op(
        "Follow the change feed",
        description="What happened to the bookings (and series) this key may see, oldest "
        "first: `booking.requested`, `booking.confirmed`, `booking.declined`, "
        "`booking.cancelled`, `booking.changed`, `series.created`, `series.cancelled`, each "
        "with the booking or series as `GET` showed it after the change. `next_cursor` "
        "resumes exactly after the last item, never skipping or repeating one while writes "
        "go on (an event shows once every transaction older than it has ended); at the end "
        "it is the cursor to poll with later.",
    ),
)
async def list_events(
    db: DatabaseDep,
    session: ReadSessionDep,
    principal: ReadPrincipalDep,
    after: AfterQuery = None,
    limit: LimitQuery = 50,
) -> Response:
    page = await service.feed_page(db, session, principal=principal, after=after, limit=limit)
    return Response(page, media_type="application/json")
