"""Webhooks as the API manages them: made, listed, read, removed, and their deliveries
shown. The worker that delivers is `app.webhooks.worker`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role, require_key
from app.core.db import Database, added
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.pagination import as_int, keyset, page_of
from app.core.time import utcnow
from app.events.repository import feed_end
from app.events.rules import EventType
from app.webhooks import repository as repo
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.network import check_url
from app.webhooks.rules import UnsafeAddress, new_secret


def _managing_party(principal: Principal | None) -> int | None:
    """Whose webhooks a key manages: every one (admin: None) or its party's (manager)."""
    principal = require_key(principal)
    if principal.is_admin:
        return None
    if principal.role is Role.manager and principal.party_id is not None:
        return principal.party_id
    raise Forbidden("only an admin or a manager may manage webhooks")


async def create_webhook(
    session: AsyncSession,
    *,
    principal: Principal,
    url: str,
    event_types: Sequence[EventType],
    allow_private: bool,
) -> Webhook:
    """A new webhook receiving the events committed from now on that its maker sees."""
    party_id = _managing_party(principal)
    try:
        await check_url(url, allow_private=allow_private, must_resolve=False)
    except UnsafeAddress as exc:
        raise ValidationFailed(["body", "url"], str(exc)) from None
    after_txid, after_id = await feed_end(session)
    return await added(
        session,
        Webhook(
            party_id=party_id,
            url=url,
            event_types=list(dict.fromkeys(str(t) for t in event_types)),
            secret=new_secret(),
            created_at=utcnow(),
            created_by_key_id=principal.key_id,
            after_txid=after_txid,
            after_id=after_id,
        ),
    )


async def list_webhooks(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[Webhook], str | None]:
    party_id = _managing_party(principal)
    stmt = select(Webhook)
    if party_id is not None:
        stmt = stmt.where(Webhook.party_id == party_id)
    rows = (await session.scalars(keyset(stmt, [Webhook.id], cursor, limit, [as_int]))).all()
    return page_of(rows, limit, lambda w: [w.id])


async def get_webhook(session: AsyncSession, *, principal: Principal, webhook_id: int) -> Webhook:
    party_id = _managing_party(principal)
    webhook = await session.get(Webhook, webhook_id)
    # Another party's webhook is as if it did not exist.
    if webhook is None or (party_id is not None and webhook.party_id != party_id):
        raise NotFound("no such webhook")
    return webhook


async def delete_webhook(session: AsyncSession, *, principal: Principal, webhook_id: int) -> None:
    webhook = await get_webhook(session, principal=principal, webhook_id=webhook_id)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook.id)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    await session.delete(webhook)
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    *,
    principal: Principal,
    webhook_id: int,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[WebhookDelivery, list[WebhookAttempt]]], str | None]:
    """A webhook's deliveries, oldest first, each with its tries."""
    webhook = await get_webhook(session, principal=principal, webhook_id=webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    rows = (
        await session.scalars(keyset(stmt, [WebhookDelivery.id], cursor, limit, [as_int]))
    ).all()
    shown, next_cursor = page_of(rows, limit, lambda d: [d.id])
    tries: dict[int, list[WebhookAttempt]] = {d.id: [] for d in shown}
    if shown:
        found = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(tries)))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)
        )
        for attempt in found:
            tries[attempt.delivery_id].append(attempt)
    return [(d, tries[d.id]) for d in shown], next_cursor


def backlog_of(db: Database) -> Callable[[], Awaitable[tuple[int, int, float]]]:
    """The webhook gauges of `GET /metrics`, read when it is scraped."""

    async def backlog() -> tuple[int, int, float]:
        async with db.read_sessions() as session:
            return await repo.backlog(session, utcnow())

    return backlog
