"""Idempotent writes (contract section 8), around the operation at the ASGI level, so
that every path to a booking (the fast lane, routed endpoints, series, actions) is
covered the same way and the operation itself knows nothing of keys.

A request with a key: the key is claimed for its caller (the API key, known by the hash
of its secret: no lookup, the operation authenticates as always) in a statement committed
before the operation runs, so a second worker sees it at once: the same request again
while the first runs is 409 `idempotency-in-flight`, after it the first answer
replayed, a different request 422 `idempotency-key-reused`. The answer is kept after the
operation committed; an answer that says "try again" (5xx, 429) or "who are you?" (401)
frees the key instead.

A worker that dies between the operation's commit and keeping its answer leaves the
key running; after `rules.LEASE` a retry runs the request again (a booking's retry then
meets its own booking: 409 `booking-conflict`, never a second booking of the slot)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.auth import bearer_token, caller_key
from app.core.deps import authenticate_first
from app.core.errors import (
    DomainError,
    IdempotencyInFlight,
    IdempotencyKeyReused,
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
            token = bearer_token(request.headers.get("authorization"))
            key = rules.valid_key(raw_key)
            if key is None:
                await authenticate_first(request)  # a bad API key is a 401 first
                raise ValidationFailed(
                    ("header", "Idempotency-Key"), "must be 1 to 255 printable characters"
                )
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        if token is None:  # no API key: the operation answers its 401
            await app(scope, receive, send)
            return
        body = await request.body()
        fingerprint = rules.fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        try:
            claimed = await self._claim(request, caller_key(token), key, fingerprint)
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        if isinstance(claimed, repo.Kept):
            await _replay(claimed, send)
            return
        await self._run(request, claimed, app, replay_body(body, receive), send)

    async def _claim(
        self, request: Request, caller: str, key: str, fingerprint: str
    ) -> int | repo.Kept:
        """This request's record, or the answer to replay; raises when another request
        has the key."""
        db = request.app.state.db
        now = utcnow()
        for _ in range(3):  # a key freed between the claim and the read: claim again
            async with db.runner(write=True) as runner:
                record_id = await repo.claim(
                    runner, caller=caller, key=key, fingerprint=fingerprint, now=now,
                    locked_until=now + rules.LEASE,
                    expires_at=rules.expiry(now, self.keep_hours),
                )
                found = None if record_id is not None else await repo.kept(
                    runner, caller=caller, key=key
                )
                if self._next_purge is None or now >= self._next_purge:
                    self._next_purge = now + timedelta(seconds=PURGE_EVERY_SECONDS)
                    await repo.purge(runner, now=now)
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
            async with db.runner(write=True) as runner:
                await repo.free(runner, record_id)
            raise
        async with db.runner(write=True) as runner:
            if rules.kept(status):
                replayed = [
                    [n.decode("latin-1"), v.decode("latin-1")]
                    for n, v in headers
                    if n.lower() in rules.REPLAYED_HEADERS
                ]
                await repo.keep(
                    runner, record_id, status=status, headers=json.dumps(replayed),
                    body=b"".join(chunks),
                )
            else:
                await repo.free(runner, record_id)


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
