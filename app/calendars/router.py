from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from app.calendars import service
from app.calendars.ics import MEDIA_TYPE
from app.calendars.rules import DAYS_AHEAD, DAYS_BACK, etag_matches
from app.calendars.schemas import CalendarFeedRead
from app.core.deps import DatabaseDep, PrincipalDep, SessionDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op

router = APIRouter(tags=["calendars"])


class _NotIcs(Convertor[str]):
    """A feed id segment that is not a secret address (`<token>.ics`): another method
    there is the document's 405 naming GET alone, not the id route's answer."""

    regex = r"[^/]+(?<!\.ics)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("not_ics", _NotIcs())

IfNoneMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=1000,
        description="The `ETag` of a feed read before: 304 with no body if it is current",
    ),
]
_ICS_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The feed's version; send it as `If-None-Match` to be answered 304 "
        "while it is current",
        "required": True,
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "When the newest change the feed shows was made (HTTP date)",
        "required": True,
        "schema": {"type": "string"},
    },
}
ICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An iCalendar (RFC 5545) stream: one `VEVENT` per booking (`UID` "
        "`booking-<id>@jointuse`, `SEQUENCE` growing with each change, `STATUS` CONFIRMED, "
        "TENTATIVE while requested, CANCELLED once cancelled or declined), times in the "
        "site's zone with its `VTIMEZONE`",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "headers": _ICS_HEADERS,
    },
    304: {
        "description": "Not modified: `If-None-Match` names the current `ETag` (no body)",
        "headers": {"ETag": _ICS_HEADERS["ETag"]},
    },
}
WINDOW = (
    f"It holds the bookings starting from {DAYS_BACK} days ago to {DAYS_AHEAD} days ahead."
)


def ics_op(summary: str, description: str, *, public: bool) -> dict[str, Any]:
    return {
        **op(summary, 404, public=public, description=f"{description} {WINDOW}",
             responses=ICS_RESPONSES),
        "response_class": Response,
    }


def ics_response(answer: service.Ics, if_none_match: str | None) -> Response:
    headers = {
        "ETag": answer.etag,
        "Last-Modified": answer.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    if etag_matches(if_none_match, answer.etag):
        return Response(status_code=304, headers={"ETag": answer.etag})
    return Response(answer.body, media_type=MEDIA_TYPE, headers=headers)


BUSY = ("Busy time only: each booking that holds the space (requested or confirmed) is "
        "a `VEVENT` `SUMMARY:Booked` over its held window (setup and cleanup included), "
        "with no party, purpose or other detail; one cancelled or declined stays as "
        "`STATUS:CANCELLED`.")


@router.get(
    "/v1/spaces/{space_id}/calendar.ics",
    **ics_op("A space's busy time as an iCalendar feed", BUSY, public=True),
)
async def space_calendar(
    space_id: PathId, db: DatabaseDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    answer = await service.space_calendar(db, space_id=parse_id(space_id, "space"))
    return ics_response(answer, if_none_match)


@router.get(
    "/v1/sites/{site_id}/calendar.ics",
    **ics_op("A site's busy time as an iCalendar feed",
             f"{BUSY} Every space of the site.", public=True),
)
async def site_calendar(
    site_id: PathId, db: DatabaseDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    answer = await service.site_calendar(db, site_id=parse_id(site_id, "site"))
    return ics_response(answer, if_none_match)


PARTY = ("The party's own bookings with their details: the purpose as `SUMMARY`, the "
         "space and site as `LOCATION`, status, attendance, setup and cleanup in "
         "`DESCRIPTION`. For the party's own keys and admin.")


@router.get(
    "/v1/parties/{party_id}/calendar.ics",
    **ics_op("A party's bookings as an iCalendar feed", PARTY, public=False),
)
async def party_calendar(
    party_id: PathId,
    db: DatabaseDep,
    principal: PrincipalDep,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    answer = await service.party_calendar(
        db, principal=principal, party_id=parse_id(party_id, "party")
    )
    return ics_response(answer, if_none_match)


@router.post(
    "/v1/parties/{party_id}/calendar-feeds",
    **op(
        "Make a secret address of a party's iCalendar feed",
        404,
        status_code=201,
        description="For calendar apps, which cannot send a key: `url` serves the party's "
        "feed (as `GET /v1/parties/{party_id}/calendar.ics`) with no `Authorization` "
        "header. Only a hash of its token is kept: the `url` is shown here alone. For the "
        "party's own keys and admin.",
    ),
)
async def create_calendar_feed(
    party_id: PathId,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> CalendarFeedRead:
    feed, token = await service.create_feed(
        session, principal=principal, party_id=parse_id(party_id, "party")
    )
    response.headers["Location"] = f"/v1/calendar-feeds/{feed.id}"
    url = str(request.url_for("secret_calendar", token=token))
    return CalendarFeedRead(
        id=feed.id, party_id=feed.party_id, url=url, created_at=feed.created_at
    )


@router.delete(
    "/v1/calendar-feeds/{feed_id:not_ics}",
    **op("End a secret calendar address", 404, status_code=204,
         description="From then on its `url` answers 404. For the party's own keys and "
         "admin."),
)
async def delete_calendar_feed(
    feed_id: PathId, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_feed(
        session, principal=principal, feed_id=parse_id(feed_id, "calendar feed")
    )
    return Response(status_code=204)


TokenPath = Annotated[str, Path(description="The token of the secret address (`url`)")]


@router.get(
    "/v1/calendar-feeds/{token}.ics",
    **ics_op("A party's iCalendar feed at its secret address", PARTY.replace(
        "For the party's own keys and admin.", "No key: the token in the path is the secret."
    ), public=True),
)
async def secret_calendar(
    token: TokenPath, db: DatabaseDep, if_none_match: IfNoneMatchHeader = None
) -> Response:
    answer = await service.secret_calendar(db, token=token)
    return ics_response(answer, if_none_match)
