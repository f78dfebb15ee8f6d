from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.core.schemas import (
    Documented,
    IdMap,
    IdRef,
    LongText,
    Omittable,
    RequestModel,
    ResponseModel,
    StrictInt,
    examples,
)
from app.core.time import INSTANT_PATTERN, Instant

Minutes = Annotated[StrictInt, Field(ge=0, le=240, description="Integer minutes")]
Attendance = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Purpose = Annotated[LongText, Field(max_length=500)]


class BookingStatus(StrEnum):
    requested = "requested"
    confirmed = "confirmed"
    declined = "declined"
    cancelled = "cancelled"


# `core.time.Instant`'s grammar, its seconds (and any fraction) zero.
_ANY_SECOND = ":[0-5][0-9](\\.[0-9]+)?"
assert _ANY_SECOND in INSTANT_PATTERN
WHOLE_MINUTE_PATTERN = INSTANT_PATTERN.replace(_ANY_SECOND, ":00(\\.0+)?")


def _whole_minute(value: datetime) -> datetime:
    if value.second or value.microsecond:
        raise ValueError("bookings start and end on whole minutes")
    return value


# A booking's (or series') `start` or `end`, made or changed: seconds zero (section 1).
BookingInstant = Annotated[
    Instant,
    AfterValidator(_whole_minute),
    Documented(pattern=WHOLE_MINUTE_PATTERN),
    Field(
        description="RFC 3339 instant with an offset, in the years 1970 to 2199, on a whole "
        "minute (seconds zero)"
    ),
]


class _Window(RequestModel):
    start: BookingInstant
    end: BookingInstant
    setup_minutes: Minutes = 0
    cleanup_minutes: Minutes = 0

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class BookingCreate(_Window):
    model_config = examples(
        {
            "space_id": 1,
            "party_id": 3,
            "start": "2027-01-12T18:00:00-08:00",
            "end": "2027-01-12T20:00:00-08:00",
            "setup_minutes": 15,
            "cleanup_minutes": 15,
            "purpose": "Youth basketball practice",
            "attendance": 30,
        }
    )

    space_id: IdRef
    party_id: IdRef | None = Field(
        None, description="Defaults to the key's party; admin may book for any"
    )
    purpose: Purpose = ""
    attendance: Attendance = 0
    agreement_id: IdRef | None = Field(None, description="Choose the covering agreement")
    rental_fee_cents: Annotated[StrictInt, Field(ge=0, le=10**11)] = Field(
        0, description="Always 0: a rental fee is refused (`rental-fee-prohibited`)"
    )


class BookingUpdate(RequestModel):
    model_config = examples({"end": "2027-01-12T20:30:00-08:00", "attendance": 40})

    start: Omittable[BookingInstant] = None
    end: Omittable[BookingInstant] = None
    setup_minutes: Omittable[Minutes] = None
    cleanup_minutes: Omittable[Minutes] = None
    purpose: Omittable[Purpose] = None
    attendance: Omittable[Attendance] = None


class ActionBody(RequestModel):
    model_config = examples({"reason": "Confirmed with the principal"})

    reason: Annotated[LongText, Field(max_length=500)] | None = None


class Quote(ResponseModel):
    """A standalone estimate: this booking as if alone on its site date."""

    rental_fee_cents: int = 0
    rental_fee_waived_cents: int
    custodial_minutes: int
    custodial_cost_cents: int
    cost_shares_cents: IdMap[int] = Field(description="{party_id: cents}")


# The example booking's quote, in the booking and in the quote's answer.
QUOTE_EXAMPLE: JsonDict = {
    "rental_fee_cents": 0,
    "rental_fee_waived_cents": 15000,
    "custodial_minutes": 135,
    "custodial_cost_cents": 9450,
    "cost_shares_cents": {"1": 4725, "2": 4725},
}

# A booking as responses show it (its example; the feed's too).
BOOKING_EXAMPLE: JsonDict = {
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
    "quote": QUOTE_EXAMPLE,
}


class BookingRead(ResponseModel):
    model_config = examples(BOOKING_EXAMPLE)

    id: int
    status: BookingStatus
    space_id: int
    site_id: int
    party_id: int
    agreement_id: int | None
    series_id: int | None
    start: Instant
    end: Instant
    setup_minutes: int
    cleanup_minutes: int
    purpose: str
    attendance: int
    created_at: Instant
    updated_at: Instant
    quote: Quote


class Rule(StrEnum):
    """The booking rules of contract section 4 (`bookings.rules`, one function each)."""

    rental_fee_prohibited = "rental-fee-prohibited"
    no_agreement = "no-agreement"
    agreement_kind = "agreement-kind"
    outside_open_hours = "outside-open-hours"
    owner_priority = "owner-priority"
    site_closed = "site-closed"
    conflict = "conflict"
    notice_too_short = "notice-too-short"
    too_far_ahead = "too-far-ahead"
    too_long = "too-long"
    over_capacity = "over-capacity"


class ViolationRead(ResponseModel):
    rule: Rule
    detail: str
    start: Instant | None = Field(None, description="The occurrence's start (series)")


class Violations(BaseModel):
    """What a `booking-rules-violated` or `booking-conflict` problem adds."""

    violations: list[ViolationRead] = Field(description="Every failed rule, all at once")


class QuoteResult(ResponseModel):
    model_config = examples(
        {
            "ok": True,
            "violations": [],
            "quote": QUOTE_EXAMPLE,
            "status": "requested",
            "agreement_id": 1,
        }
    )

    ok: bool
    violations: list[ViolationRead]
    quote: Quote | None
    status: BookingStatus | None = Field(None, description="What the booking would be now")
    agreement_id: int | None = None


class BookingEventRead(ResponseModel):
    id: int
    booking_id: int
    action: str
    status: BookingStatus
    occurred_at: Instant
    actor_key_id: int | None
    actor_party_id: int | None
    actor_role: str
    reason: str | None
    changes: dict[str, dict[str, object]] | None


class SeriesCreate(_Window):
    model_config = examples(
        {
            "space_id": 1,
            "party_id": 3,
            "start": "2027-01-19T18:00:00-08:00",
            "end": "2027-01-19T19:30:00-08:00",
            "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8",
            "purpose": "After-school chess club",
            "attendance": 24,
        }
    )

    space_id: IdRef
    party_id: IdRef | None = None
    rrule: Annotated[
        str,
        Field(
            min_length=1,
            max_length=500,
            examples=["FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301T000000Z"],
        ),
    ]
    exdates: Annotated[list[Instant], Field(max_length=500)] = []
    purpose: Purpose = ""
    attendance: Attendance = 0
    agreement_id: IdRef | None = None
    rental_fee_cents: Annotated[StrictInt, Field(ge=0, le=10**11)] = 0


class SeriesStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"


class SeriesRead(ResponseModel):
    model_config = examples(
        {
            "id": 7,
            "status": "active",
            "space_id": 1,
            "site_id": 1,
            "party_id": 3,
            "agreement_id": 1,
            "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8",
            "exdates": [],
            "start": "2027-01-20T02:00:00Z",
            "end": "2027-01-20T03:30:00Z",
            "setup_minutes": 0,
            "cleanup_minutes": 0,
            "purpose": "After-school chess club",
            "attendance": 24,
            "booking_ids": [201, 202, 203, 204, 205, 206, 207, 208],
            "created_at": "2027-01-04T17:05:00Z",
        }
    )

    id: int
    status: SeriesStatus
    space_id: int
    site_id: int
    party_id: int
    agreement_id: int | None
    rrule: str
    exdates: list[Instant]
    start: Instant
    end: Instant
    setup_minutes: int
    cleanup_minutes: int
    purpose: str
    attendance: int
    booking_ids: list[int]
    created_at: Instant


class FreeBlock(ResponseModel):
    start: Instant
    end: Instant


class BusyReason(StrEnum):
    booking = "booking"
    closure = "closure"
    reserved = "reserved"
    closed = "closed"


class BusyBlock(ResponseModel):
    start: Instant
    end: Instant
    reason: BusyReason


class Availability(ResponseModel):
    model_config = examples(
        {
            "space_id": 1,
            "from": "2027-01-12T08:00:00Z",
            "to": "2027-01-13T08:00:00Z",
            "free": [
                {"start": "2027-01-12T14:00:00Z", "end": "2027-01-12T16:00:00Z"},
                {"start": "2027-01-12T23:00:00Z", "end": "2027-01-13T01:45:00Z"},
                {"start": "2027-01-13T04:15:00Z", "end": "2027-01-13T06:00:00Z"},
            ],
            "busy": [
                {"start": "2027-01-12T08:00:00Z", "end": "2027-01-12T14:00:00Z",
                 "reason": "closed"},
                {"start": "2027-01-12T16:00:00Z", "end": "2027-01-12T23:00:00Z",
                 "reason": "reserved"},
                {"start": "2027-01-13T01:45:00Z", "end": "2027-01-13T04:15:00Z",
                 "reason": "booking"},
                {"start": "2027-01-13T06:00:00Z", "end": "2027-01-13T08:00:00Z",
                 "reason": "closed"},
            ],
        }
    )

    space_id: int
    from_: Instant = Field(serialization_alias="from")
    to: Instant
    free: list[FreeBlock]
    busy: list[BusyBlock]


class AvailabilityWindow(BaseModel):
    """The query of `GET /v1/spaces/{id}/availability` (unknown parameters are ignored,
    as on every route)."""

    model_config = ConfigDict(extra="ignore")

    from_: Instant = Field(alias="from")
    to: Instant
