"""The worker's statements: turn a webhook's new feed events into deliveries (moving
its cursor in the same transaction), take the deliveries that are due, record tries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic_core import to_json
from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings.access import BookingScope
from app.events.service import page_items
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.webhooks.rules import DeliveryStatus, message_id

# Declarative types `__table__` as any FromClause; these models are mapped to tables.
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)


def _postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _scope(webhook: Webhook) -> BookingScope | None:
    # A manager's webhook sees what the manager's key sees (`bookings.access`).
    return None if webhook.party_id is None else BookingScope(webhook.party_id, True)


async def fan_out(session: AsyncSession, *, now: datetime, page: int) -> int:
    """For each webhook no other worker holds: the next `page` events after its cursor
    that it sees, as pending deliveries of the types it wants, and the cursor moved past
    them, in the session's transaction. A crash before the commit leaves the cursor
    where it was: the events are turned into deliveries again (once: the delivery's
    (webhook, event) is unique). How many events were read."""
    stmt = select(Webhook).order_by(Webhook.id)
    if _postgresql(session):
        # Several workers: each webhook's cursor is moved by one at a time.
        stmt = stmt.with_for_update(skip_locked=True)
    webhooks = list((await session.scalars(stmt)).all())
    read = 0
    for webhook in webhooks:
        joined, resume = await page_items(
            session, after=(webhook.after_txid, webhook.after_id), limit=page, scope=_scope(webhook)
        )
        items: list[dict[str, Any]] = json.loads(f"[{joined}]")
        read += len(items)
        rows = [
            {
                "webhook_id": webhook.id,
                "event_id": item["id"],
                "event_type": item["type"],
                "message_id": message_id(webhook.id, item["id"]),
                # The same JSON as the feed's item.
                "payload": to_json(item).decode(),
                "status": DeliveryStatus.pending.value,
                "attempts": 0,
                "first_due_at": now,
                "next_attempt_at": now,
            }
            for item in items
            if item["type"] in webhook.event_types
        ]
        if rows:
            maker = pg_insert if _postgresql(session) else sqlite_insert
            await session.execute(
                maker(WebhookDelivery).on_conflict_do_nothing(
                    index_elements=["webhook_id", "event_id"]
                ),
                rows,
            )
        if resume != (webhook.after_txid, webhook.after_id):
            webhook.after_txid, webhook.after_id = resume
    await session.flush()
    return read


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery taken by this worker, with where it goes."""

    id: int
    webhook_id: int
    message_id: str
    payload: str
    attempts: int
    first_due_at: datetime
    url: str
    secret: str


async def take_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Due]:
    """Up to `limit` deliveries due now, moved `lease` ahead so that no other worker
    takes them meanwhile (and so that, if this one dies, they are due again by then)."""
    d = WebhookDelivery
    due = (
        select(d.id)
        .where(d.status == DeliveryStatus.pending.value, d.next_attempt_at <= now)
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
    )
    if _postgresql(session):
        due = due.with_for_update(skip_locked=True)
    taken = (
        await session.execute(
            update(d)
            .where(d.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=now + lease)
            .returning(d.id, d.webhook_id, d.message_id, d.payload, d.attempts, d.first_due_at)
        )
    ).all()
    if not taken:
        return []
    hooks = {
        w.id: w
        for w in await session.execute(
            select(Webhook.id, Webhook.url, Webhook.secret).where(
                Webhook.id.in_({t.webhook_id for t in taken})
            )
        )
    }
    return [
        Due(*t, url=hooks[t.webhook_id].url, secret=hooks[t.webhook_id].secret)
        for t in sorted(taken, key=lambda t: t.id)
        if t.webhook_id in hooks
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One try of a delivery, and what becomes of it."""

    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    status: DeliveryStatus
    next_attempt_at: datetime | None


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """The tries, and each delivery's new state; a delivery another worker has since
    delivered (its lease ran out meanwhile) stays delivered."""
    if not outcomes:
        return
    d = _DELIVERIES.c
    await session.execute(
        update(_DELIVERIES)
        .where(d.id == bindparam("b_id"), d.status == DeliveryStatus.pending.value)
        .values(
            status=bindparam("b_status"),
            attempts=d.attempts + 1,
            last_attempt_at=bindparam("b_at"),
            next_attempt_at=bindparam("b_next"),
            delivered_at=bindparam("b_delivered"),
        ),
        [
            {
                "b_id": o.delivery_id,
                "b_status": o.status.value,
                "b_at": o.attempted_at,
                "b_next": o.next_attempt_at,
                "b_delivered": o.attempted_at if o.status is DeliveryStatus.delivered else None,
            }
            for o in outcomes
        ],
    )
    # Not for a delivery removed meanwhile with its webhook.
    a = _ATTEMPTS.c
    values = select(
        bindparam("b_delivery", type_=a.delivery_id.type),
        bindparam("b_at", type_=a.attempted_at.type),
        bindparam("b_code", type_=a.status_code.type),
        bindparam("b_error", type_=a.error.type),
        bindparam("b_ms", type_=a.duration_ms.type),
    ).where(select(d.id).where(d.id == bindparam("b_delivery")).exists())
    await session.execute(
        insert(_ATTEMPTS).from_select(
            ["delivery_id", "attempted_at", "status_code", "error", "duration_ms"], values
        ),
        [
            {
                "b_delivery": o.delivery_id,
                "b_at": o.attempted_at,
                "b_code": o.status_code,
                "b_error": o.error,
                "b_ms": o.duration_ms,
            }
            for o in outcomes
        ],
    )


async def backlog(session: AsyncSession, now: datetime) -> tuple[int, int, float]:
    """Deliveries pending and failed, and the oldest pending one's age in seconds (each
    an index range: the pending and failed rows are partial indexes' own)."""
    d = WebhookDelivery
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(d.first_due_at)).where(
                d.status == DeliveryStatus.pending.value
            )
        )
    ).one()
    failed = (
        await session.execute(
            select(func.count()).where(d.status == DeliveryStatus.failed.value)
        )
    ).scalar_one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return pending, failed, max(age, 0.0)
