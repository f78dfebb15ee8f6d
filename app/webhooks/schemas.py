from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic.config import JsonDict

from app.core.schemas import RequestModel, ResponseModel, examples
from app.core.time import Instant
from app.events.rules import EventType
from app.webhooks.rules import ALL_TYPES, DeliveryStatus

WebhookUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2048,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+$",
        description="Where deliveries are POSTed (http or https). A URL whose host is, or "
        "resolves to, a loopback, private or link-local address is refused "
        "unless the service allows it (`JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS`)",
    ),
]


class WebhookCreate(RequestModel):
    model_config = examples(
        {
            "url": "https://partners.example.org/jointuse/events",
            "event_types": ["booking.confirmed", "booking.cancelled"],
        }
    )

    url: WebhookUrl
    event_types: list[EventType] = Field(
        default_factory=lambda: [EventType(t) for t in ALL_TYPES],
        min_length=1,
        max_length=len(ALL_TYPES),
        description="The change feed's event types to deliver; left out: all of them",
    )


WEBHOOK_EXAMPLE: JsonDict = {
    "id": 4,
    "url": "https://partners.example.org/jointuse/events",
    "event_types": ["booking.confirmed", "booking.cancelled"],
    "party_id": 1,
    "created_at": "2027-01-04T17:00:00Z",
}


class WebhookRead(ResponseModel):
    model_config = examples(WEBHOOK_EXAMPLE)

    id: int
    url: str
    event_types: list[EventType]
    party_id: int | None = Field(
        description="The manager's party whose events (its own bookings and those at the "
        "sites it owns) it receives; null: made by an admin, it receives every event"
    )
    created_at: Instant


class WebhookCreated(WebhookRead):
    model_config = examples(
        {**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    )

    secret: str = Field(
        description="The signing key, shown only here: `whsec_` then the base64 of the key "
        "bytes (Standard Webhooks). Each delivery carries `webhook-signature: v1,<base64 "
        'HMAC-SHA256 of "webhook-id.webhook-timestamp.body">`'
    )


class AttemptRead(ResponseModel):
    attempted_at: Instant
    status_code: int | None = Field(description="The receiver's answer; null: none came")
    error: str | None = Field(description="Why the try failed; null: it succeeded (2xx)")
    duration_ms: int


class DeliveryRead(ResponseModel):
    model_config = examples(
        {
            "id": 90,
            "event_id": 501,
            "event_type": "booking.confirmed",
            "message_id": "msg_4_501",
            "status": "delivered",
            "created_at": "2027-01-04T17:00:00Z",
            "next_attempt_at": None,
            "delivered_at": "2027-01-04T17:00:11Z",
            "attempts": [
                {
                    "attempted_at": "2027-01-04T17:00:01Z",
                    "status_code": 503,
                    "error": "the receiver answered 503",
                    "duration_ms": 12,
                },
                {
                    "attempted_at": "2027-01-04T17:00:11Z",
                    "status_code": 204,
                    "error": None,
                    "duration_ms": 9,
                },
            ],
        }
    )

    id: int
    event_id: int = Field(description="The change feed event delivered (its `id`)")
    event_type: EventType
    message_id: str = Field(description="The `webhook-id` header: the same on every try")
    status: DeliveryStatus = Field(
        description="`pending` until a try succeeds (`delivered`) or tries have gone on for "
        "24 hours (`failed`)"
    )
    created_at: Instant = Field(description="When the event was first due to be delivered")
    next_attempt_at: Instant | None = Field(description="When it is tried next while pending")
    delivered_at: Instant | None
    attempts: list[AttemptRead] = Field(description="Every try, oldest first")


