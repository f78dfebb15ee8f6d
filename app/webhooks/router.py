from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.core.deps import PrincipalDep, SessionDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.webhooks import service
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.rules import DeliveryStatus
from app.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

MANAGED = (
    "For admin keys (every webhook) and managers (their party's webhooks; another "
    "party's answers 404)."
)


def _read(webhook: Webhook) -> WebhookRead:
    return WebhookRead.model_validate(webhook)


def _delivery_read(found: tuple[WebhookDelivery, list[WebhookAttempt]]) -> DeliveryRead:
    delivery, tries = found
    pending = delivery.status == DeliveryStatus.pending
    return DeliveryRead.model_validate(
        {
            "id": delivery.id,
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "message_id": delivery.message_id,
            "status": delivery.status,
            "created_at": delivery.first_due_at,
            "next_attempt_at": delivery.next_attempt_at if pending else None,
            "delivered_at": delivery.delivered_at,
            "attempts": [AttemptRead.model_validate(a) for a in tries],
        }
    )


@router.post(
    "",
    **op(
        "Make a webhook",
        status_code=201,
        description="The change feed's events, from now on, POSTed to `url` as the feed "
        "shows them (`{id, type, occurred_at, data}`) and signed as Standard Webhooks do "
        "(`webhook-id`, the same on every try; `webhook-timestamp`; `webhook-signature`). "
        "A webhook receives the events its maker's key sees. Deliveries come from the "
        "feed, written with each change, and are made by `jointuse worker`; a failed one "
        "is tried again after `JOINTUSE_WEBHOOK_RETRY_BASE_SECONDS` (10), then about twice "
        "as late each time with jitter, for 24 hours, then marked failed. The signing "
        "`secret` is shown only here. " + MANAGED,
    ),
)
async def create_webhook(
    data: WebhookCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> WebhookCreated:
    webhook = await service.create_webhook(
        session,
        principal=principal,
        url=data.url,
        event_types=data.event_types,
        allow_private=request.app.state.settings.webhook_allow_private_urls,
    )
    response.headers["Location"] = f"/v1/webhooks/{webhook.id}"
    return WebhookCreated.model_validate(webhook)


@router.get("", **op("List webhooks", description=MANAGED))
async def list_webhooks(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WebhookRead]:
    return page(
        await service.list_webhooks(session, principal=principal, limit=limit, cursor=cursor),
        _read,
    )


@router.get(
    "/{webhook_id}",
    **op("Read a webhook", 404, description="Never its secret. " + MANAGED),
)
async def get_webhook(
    webhook_id: PathId, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    webhook = await service.get_webhook(
        session, principal=principal, webhook_id=parse_id(webhook_id, "webhook")
    )
    return _read(webhook)


@router.delete(
    "/{webhook_id}",
    **op(
        "Remove a webhook",
        404,
        status_code=204,
        description="Its pending deliveries are not made, and its delivery log goes with "
        "it. " + MANAGED,
    ),
)
async def delete_webhook(
    webhook_id: PathId, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_webhook(
        session, principal=principal, webhook_id=parse_id(webhook_id, "webhook")
    )
    return Response(status_code=204)


StatusQuery = Annotated[
    DeliveryStatus | None, Query(description="Only the deliveries in this status")
]


@router.get(
    "/{webhook_id}/deliveries",
    **op(
        "List a webhook's deliveries",
        404,
        description="Each event delivered (or being delivered) to the webhook, oldest "
        "first, with every try: when, the receiver's status code or why none came, how "
        "long it took. " + MANAGED,
    ),
)
async def list_deliveries(
    webhook_id: PathId,
    session: SessionDep,
    principal: PrincipalDep,
    status: StatusQuery = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DeliveryRead]:
    return page(
        await service.list_deliveries(
            session,
            principal=principal,
            webhook_id=parse_id(webhook_id, "webhook"),
            status=status,
            limit=limit,
            cursor=cursor,
        ),
        _delivery_read,
    )
