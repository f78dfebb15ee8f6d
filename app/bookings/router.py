from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings import flows, service
from app.bookings import repository as repo
from app.bookings import series as series_service
from app.bookings.availability import REASONS, iso, micros
from app.bookings.errors import BookingConflict, BookingRulesViolated
from app.bookings.models import Booking, BookingEvent
from app.bookings.schemas import (
    ActionBody,
    Availability,
    AvailabilityWindow,
    BookingCreate,
    BookingEventRead,
    BookingRead,
    BookingStatus,
    BookingUpdate,
    Quote,
    QuoteResult,
    SeriesCreate,
    SeriesRead,
    ViolationRead,
)
from app.bookings.views import booking_json, series_read, to_read, view_of_values
from app.core.auth import Principal, bearer_token
from app.core.deps import (
    DatabaseDep,
    PrincipalDep,
    ReadPrincipalDep,
    ReadSessionDep,
    SessionDep,
    json_body,
    query_of,
)
from app.core.hot import HotRoute, hot
from app.core.ids import PathId, id_beside, id_or_zero, parse_id
from app.core.openapi import IfMatchHeader, op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.core.schemas import MAX_ID, Omittable
from app.core.sql import SessionRunner
from app.core.time import Instant, utcnow
from app.idempotency import claims
from app.keys.auth import credentials

router = APIRouter(prefix="/v1/bookings", tags=["bookings"], route_class=HotRoute)
# `/v1/bookings/{booking_id}` beside `/v1/bookings/quote`: "quote" is never a booking id.
BOOKING = id_beside("booking_id", "quote")
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _with_etag(response: Response, booking: Booking) -> BookingRead:
    response.headers["ETag"] = service.etag(booking)
    return to_read(booking)


def booking_response(
    v: repo.BookingView, status_code: int = 200, *, created: bool = False
) -> Response:
    """A booking as JSON bytes with its ETag (and its `Location` when `created`),
    serialized once (the hot routes skip FastAPI's response-model validation of what
    the database gave)."""
    headers = {"ETag": service.etag_of(v.id, v.version)}
    if created:
        headers["Location"] = f"/v1/bookings/{v.id}"
    return Response(booking_json(v), status_code, headers, media_type="application/json")


RULES_DOC = (
    "Every rule of the contract's section 4 is checked and all failures are reported "
    "together: 422 `booking-rules-violated`, or 409 `booking-conflict` when conflicts "
    "are the only failures."
)


@router.post(
    "",
    response_model=BookingRead,
    **op(
        "Book a space",
        BookingConflict,
        BookingRulesViolated,
        status_code=201,
        etag=True,
        idempotent=True,
        description=RULES_DOC,
    ),
)
@hot(body=BookingCreate, lane=True)
async def create_booking(request: Request) -> Response:
    # A hot route: the key's presence is checked first (a keyless request is a 401
    # whatever its body), the key itself by the rules' facts statement (service.book).
    state = request.app.state
    caller = credentials(request.headers.get("authorization"), state.admin_key)
    data = await json_body(request, BookingCreate)
    values = await service.make_booking(
        state.db, caller=caller, data=data, now=utcnow(), key=claims.of(request)
    )
    return booking_response(view_of_values(values), 201, created=True)


@router.post(
    "/quote",
    **op("Check and price a booking without making it", description="Writes nothing. " + RULES_DOC),
)
async def quote_booking(
    data: BookingCreate, session: SessionDep, principal: PrincipalDep
) -> QuoteResult:
    ev = await service.quote_booking(
        SessionRunner(session), caller=principal, data=data, now=utcnow()
    )
    q = ev.quotes[0]
    return QuoteResult(
        ok=not ev.violations,
        violations=[ViolationRead(**service.violation_body(v)) for v in ev.violations],
        quote=Quote(
            rental_fee_waived_cents=q.rental_fee_waived_cents,
            custodial_minutes=q.custodial_minutes,
            custodial_cost_cents=q.custodial_cost_cents,
            cost_shares_cents=q.cost_shares_cents,
        ),
        status=BookingStatus(ev.status) if not ev.violations else None,
        agreement_id=ev.agreement.id if ev.agreement else None,
    )


@router.get("", **op("List bookings", description="Ordered by `start`, then `id`."))
async def list_bookings(
    session: SessionDep,
    principal: PrincipalDep,
    space_id: IdQuery = None,
    site_id: IdQuery = None,
    party_id: IdQuery = None,
    status: BookingStatus | None = None,
    series_id: IdQuery = None,
    from_: Annotated[
        Instant | None, Query(alias="from", description="Overlapping this instant or later")
    ] = None,
    to: Annotated[Instant | None, Query(description="Overlapping before this instant")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[BookingRead]:
    filters = service.BookingFilters(
        space_id=space_id,
        site_id=site_id,
        party_id=party_id,
        status=status,
        from_=from_,
        to=to,
        series_id=series_id,
    )
    found = await service.list_bookings(
        session, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return page(found, to_read)


@router.get(f"/{BOOKING}", response_model=BookingRead, **op("Read a booking", 404, etag=True))
@hot(path=["booking_id"])
async def get_booking(request: Request) -> Response:
    # A hot route: the key check rides on the booking's own statement (service.read_booking).
    state = request.app.state
    async with state.db.runner() as runner:
        view = await service.read_booking(
            runner,
            token=bearer_token(request.headers.get("authorization")),
            admin_key=state.admin_key,
            booking_id=id_or_zero(request.path_params["booking_id"]),
        )
    return booking_response(view)


@router.patch(
    f"/{BOOKING}",
    **op(
        "Change a booking",
        404,
        409,
        BookingConflict,
        BookingRulesViolated,
        if_match=True,
        etag=True,
        description="Needs `If-Match` with the booking's ETag. Under an agreement without "
        "`auto_confirm`, a change to a confirmed booking's times, setup, cleanup or a higher "
        "attendance puts it back to `requested`. " + RULES_DOC,
    ),
)
async def change_booking(
    booking_id: PathId,
    data: BookingUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> BookingRead:
    booking = await service.change_booking(
        session,
        principal=principal,
        booking_id=parse_id(booking_id, "booking"),
        data=data,
        if_match=if_match,
        now=utcnow(),
    )
    return _with_etag(response, booking)


async def _act(
    action: str,
    booking_id: str,
    body: ActionBody | None,
    session: AsyncSession,
    principal: Principal,
    response: Response,
) -> BookingRead:
    booking = await service.act(
        session,
        principal=principal,
        booking_id=parse_id(booking_id, "booking"),
        action=action,
        reason=body.reason if body else None,
        now=utcnow(),
    )
    return _with_etag(response, booking)


# Optional, not nullable: an action without a body has no reason.
OptionalAction = Annotated[Omittable[ActionBody], Body()]


def _action_route(action: str, summary: str) -> None:
    """POST /v1/bookings/{id}/<action>: approve, decline and cancel take the same
    inputs and answer the booking with its ETag."""

    async def endpoint(
        booking_id: PathId,
        session: SessionDep,
        principal: PrincipalDep,
        response: Response,
        body: OptionalAction = None,
    ) -> BookingRead:
        return await _act(action, booking_id, body, session, principal, response)

    endpoint.__name__ = endpoint.__qualname__ = f"{action}_booking"  # the operation id
    router.post(
        f"/{BOOKING}/{action}", **op(summary, 404, 409, etag=True, idempotent=True)
    )(endpoint)


for _action, _summary in (
    ("approve", "Approve a requested booking"),
    ("decline", "Decline a requested booking"),
    ("cancel", "Cancel a booking"),
):
    _action_route(_action, _summary)


def event_read(event: BookingEvent, principal: Principal) -> BookingEventRead:
    """Everyone who may see the booking sees which party acted, in which role; which key
    acted, only admins and that key's own party."""
    read = BookingEventRead.model_validate(event)
    if principal.is_admin or (
        read.actor_party_id is not None and read.actor_party_id == principal.party_id
    ):
        return read
    return read.model_copy(update={"actor_key_id": None})


@router.get(
    f"/{BOOKING}/history",
    **op("A booking's history", 404,
         description="Who did what and when. `actor_key_id` is shown to admins and to the "
         "acting key's own party only (null for others)."),
)
async def booking_history(
    booking_id: PathId,
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[BookingEventRead]:
    found = await service.history(
        session,
        principal=principal,
        booking_id=parse_id(booking_id, "booking"),
        limit=limit,
        cursor=cursor,
    )
    return page(found, lambda e: event_read(e, principal))


# --- series -------------------------------------------------------------------

series_router = APIRouter(prefix="/v1/booking-series", tags=["booking series"])


@series_router.post(
    "",
    **op(
        "Book a recurring series",
        BookingConflict,
        BookingRulesViolated,
        status_code=201,
        idempotent=True,
        description="The RRULE (`FREQ` `DAILY` to `YEARLY`; COUNT or UNTIL; at most 500 "
        "occurrences, exactly COUNT, each within `max_advance_days`; none in a spring-forward "
        "gap: else a 422 `validation-error` at once) is expanded in the site's local time. "
        "All or nothing: " + RULES_DOC + " Each violation names its occurrence's `start`.",
    ),
)
async def create_series(
    data: SeriesCreate,
    reads: ReadSessionDep,
    db: DatabaseDep,
    principal: ReadPrincipalDep,
    response: Response,
) -> SeriesRead:
    # The rule is expanded before a write lock is taken (`flows.create_series`).
    series, ids = await flows.create_series(
        reads, db, principal=principal, data=data, now=utcnow()
    )
    response.headers["Location"] = f"/v1/booking-series/{series.id}"
    return series_read(series, ids)


@series_router.get("/{series_id}", **op("Read a booking series", 404))
async def get_series(series_id: PathId, session: SessionDep, principal: PrincipalDep) -> SeriesRead:
    series, ids = await series_service.get_series(
        session, principal=principal, series_id=parse_id(series_id, "booking series")
    )
    return series_read(series, ids)


@series_router.post(
    "/{series_id}/cancel", **op("Cancel a series' occurrences not yet started", 404, 409)
)
async def cancel_series(
    series_id: PathId, session: SessionDep, principal: PrincipalDep, body: OptionalAction = None
) -> SeriesRead:
    series, ids = await series_service.cancel_series(
        session,
        principal=principal,
        series_id=parse_id(series_id, "booking series"),
        reason=body.reason if body else None,
        now=utcnow(),
    )
    return series_read(series, ids)


# --- availability -------------------------------------------------------------

availability_router = APIRouter(tags=["availability"], route_class=HotRoute)


@availability_router.get(
    "/v1/spaces/{space_id}/availability",
    **op(
        "A space's free and busy time",
        404,
        public=True,
        description="Busy blocks give a reason (`booking`, `closure`, `reserved`, `closed`) "
        "and never who booked. The span is at most 62 days.",
    ),
    response_model=Availability,
    response_model_by_alias=True,
)
@hot(query=AvailabilityWindow, path=["space_id"])
async def space_availability(request: Request) -> Response:
    window = query_of(request, AvailabilityWindow)
    sid = parse_id(request.path_params["space_id"], "space")
    from_, to = window.from_, window.to
    async with request.app.state.db.runner() as runner:
        free, busy = await service.availability(runner, space_id=sid, start=from_, end=to)
    # A hot route: the `Availability` document written directly (a week is dozens of
    # blocks; building and re-validating models for them would cost more than the rest).
    body = {
        "space_id": sid,
        "from": iso(micros(from_)),
        "to": iso(micros(to)),
        "free": [{"start": iso(s), "end": iso(e)} for s, e in free],
        "busy": [{"start": iso(s), "end": iso(e), "reason": REASONS[r]} for s, e, r in busy],
    }
    return Response(to_json(body), media_type="application/json")
