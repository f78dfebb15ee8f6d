"""Idempotent writes (contract section 8), around the operation at the ASGI level, so
that every path to a booking (the fast lane, routed endpoints, series, actions) is
covered the same way and the operation itself knows nothing of keys.

A request with a key: its caller is authenticated (a bad key is a 401 first), then the
key is claimed in a transaction committed before the operation runs, so a second worker
sees it at once: the same request again while the first runs is 409
`idempotency-in-flight`, after it the first answer replayed, a different request 422
`idempotency-key-reused`. The answer is kept after the operation committed; an answer
that says "try again" (5xx, 429) frees the key instead.

A worker that dies between the operation's commit and keeping its answer leaves the
key running; after `rules.LEASE` a retry runs the request again (a booking's retry then
meets its own booking: 409 `booking-conflict`, never a second booking of the slot)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.auth import Principal, bearer_token
from app.core.errors import (
    DomainError,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    Unauthenticated,
    ValidationFailed,
    problem_response,
)
from app.core.middleware import replay_body
from app.core.time import utcnow
from app.idempotency import repository as repo
from app.idempotency import rules

REPLAYED = (b"idempotent-replayed", b"true")
# Expired keys are purged by the writes that claim keys, at most this often per worker.
PURGE_EVERY_SECONDS = 300


class IdempotentWrites:
    """Called by the request middleware for a write that carries an `Idempotency-Key`
    (`takes_key`), with the operation to run."""

    def __init__(self, *, keep_hours: int) -> None:
        self.keep_hours = keep_hours
        self._next_purge: datetime | None = None

    takes_key = staticmethod(rules.takes_key)

    async def __call__(
        self, raw_key: bytes, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        try:
            key = rules.valid_key(raw_key)
            if key is None:
                raise ValidationFailed(
                    ("header", "Idempotency-Key"), "must be 1 to 255 printable characters"
                )
            caller = _caller_of(await _authenticated(request))
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        body = await request.body()
        fingerprint = rules.fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        try:
            record_id = await self._claim(request, caller, key, fingerprint)
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        if isinstance(record_id, repo.Kept):
            await _replay(record_id, send)
            return
        await self._run(request, record_id, app, replay_body(body, receive), send)

    async def _claim(
        self, request: Request, caller: str, key: str, fingerprint: str
    ) -> int | repo.Kept:
        """This request's record, or the answer to replay; raises when another request
        has the key."""
        db = request.app.state.db
        now = utcnow()
        for _ in range(3):  # a key freed between the claim and the read: claim again
            async with db.write_sessions() as session:
                record_id = await repo.claim(
                    session, caller=caller, key=key, fingerprint=fingerprint, now=now,
                    expires_at=rules.expiry(now, self.keep_hours),
                )
                found = None if record_id is not None else await repo.kept(
                    session, caller=caller, key=key
                )
                if self._next_purge is None or now >= self._next_purge:
                    self._next_purge = now + timedelta(seconds=PURGE_EVERY_SECONDS)
                    await repo.purge(session, now=now)
                await session.commit()
            if record_id is not None:
                return record_id
            if found is None:
                continue
            if found.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if found.status is None:
                raise IdempotencyInFlight()
            return found
        raise IdempotencyInFlight()

    async def _run(
        self, request: Request, record_id: int, app: ASGIApp, receive: Receive, send: Send
    ) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        db = request.app.state.db
        try:
            await app(request.scope, receive, capture)
        except BaseException:
            async with db.write_sessions() as session:
                await repo.free(session, record_id)
                await session.commit()
            raise
        async with db.write_sessions() as session:
            if rules.kept(status):
                replayed = [
                    [n.decode("latin-1"), v.decode("latin-1")]
                    for n, v in headers
                    if n.lower() in rules.REPLAYED_HEADERS
                ]
                await repo.keep(
                    session, record_id, status=status, headers=json.dumps(replayed),
                    body=b"".join(chunks),
                )
            else:
                await repo.free(session, record_id)
            await session.commit()


async def _authenticated(request: Request) -> Principal:
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("this operation needs an API key")
    state = request.app.state
    async with state.db.read_sessions() as session:
        principal: Principal = await state.authenticate(session, token, state.admin_key)
    return principal


def _caller_of(principal: Principal) -> str:
    """Keys are scoped to the API key that sent them."""
    return "admin" if principal.key_id is None else f"key:{principal.key_id}"


async def _answer_problem(refused: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        refused.status, refused.code, refused.title, refused.detail,
        headers=refused.headers, **refused.body(),
    )
    await response(scope, receive, send)


async def _replay(first: repo.Kept, send: Send) -> None:
    assert first.status is not None and first.body is not None
    kept_headers = json.loads(first.headers or "[]")
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in kept_headers]
    headers += [(b"content-length", str(len(first.body)).encode()), REPLAYED]
    await send({"type": "http.response.start", "status": first.status, "headers": headers})
    await send({"type": "http.response.body", "body": first.body})
