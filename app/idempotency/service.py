"""Idempotent writes (contract section 8), around the operation at the ASGI level, so
that every path to a booking (the fast lane, routed endpoints, series, actions) is
covered the same way.

A request with a key: the key is claimed for its caller (the API key, known by the hash
of its secret: no lookup, the operation authenticates as always) in a statement committed
before the operation runs, so a second worker sees it at once: the same request again
while the first runs is 409 `idempotency-in-flight`, after it the first answer
replayed, a different request 422 `idempotency-key-reused`. The answer is kept after the
operation committed; an answer that says "try again" (5xx, 429) or "who are you?" (401)
frees the key instead.

`POST /v1/bookings` (`rules.claimed_by_operation`) is handed its key instead
(`claims.KeyedWrite`): on kept facts its insert keeps the key with the booking, in one
statement; any other way it claims the key first, as above. An answer it gives without
having claimed the key (nothing written) is claimed and kept at once, after.

A worker that dies between the operation's commit and keeping its answer leaves the
key running; after `rules.LEASE` a retry runs the request again (a booking's retry then
meets its own booking: 409 `booking-conflict`, never a second booking of the slot)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.auth import bearer_token, caller_key
from app.core.deps import authenticate_first
from app.core.errors import DomainError, ValidationFailed, problem_response
from app.core.middleware import replay_body
from app.core.time import utcnow
from app.idempotency import claims, rules
from app.idempotency import repository as repo
from app.idempotency.claims import KeyedWrite, Replayed

REPLAYED = (b"idempotent-replayed", b"true")
# Expired keys are purged by the writes that take keys, at most this often per worker.
PURGE_EVERY = timedelta(seconds=300)


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
        authorization = next(
            (v.decode("latin-1") for n, v in scope["headers"] if n == b"authorization"), None
        )
        try:
            token = bearer_token(authorization)
            key = rules.valid_key(raw_key)
            if key is None:
                await authenticate_first(Request(scope, receive))  # a bad API key: a 401 first
                raise ValidationFailed(
                    ("header", "Idempotency-Key"), "must be 1 to 255 printable characters"
                )
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        if token is None:  # no API key: the operation answers its 401
            await app(scope, receive, send)
            return
        body = await _body(receive)
        db = scope["app"].state.db
        now = utcnow()
        write = KeyedWrite(
            db, caller=caller_key(token), key=key, now=now, keep_hours=self.keep_hours,
            fingerprint=rules.fingerprint(
                scope["method"], scope["path"], scope.get("query_string", b""), body
            ),
        )
        if self._next_purge is None or now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY
            async with db.runner(write=True) as runner:
                await repo.purge(runner, now=now)
        receive = replay_body(body, receive)
        if rules.claimed_by_operation(scope["method"], scope["path"]):
            scope[claims.SCOPE_KEY] = write
        else:
            try:
                await write.claim()
            except Replayed:
                assert write.replay is not None
                await _replay(write.replay, send)
                return
            except DomainError as refused:
                await _answer_problem(refused, scope, receive, send)
                return
        await _run(write, app, scope, receive, send)


async def _run(write: KeyedWrite, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """The operation, its answer kept (or the key freed) after. An answer given while the
    key is still free (the operation wrote nothing, claimed nothing) is held back until the
    key is claimed with it: another request may have answered first."""
    status = 0
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    held: list[Message] = []
    passing = True

    async def capture(message: Message) -> None:
        nonlocal status, headers, passing
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", ()))
            passing = write.state in ("claimed", "kept", "refused")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        if passing:
            await send(message)
        else:
            held.append(message)

    try:
        await app(scope, receive, capture)
    except BaseException:
        if write.record_id is not None:
            async with write.db.runner(write=True) as runner:
                await repo.free(runner, write.record_id)
        raise
    if write.state == "replay":
        assert write.replay is not None
        await _replay(write.replay, send)
        return
    if write.state in ("kept", "refused"):
        return
    answer = None
    if rules.kept(status):
        replayed = [
            [n.decode("latin-1"), v.decode("latin-1")]
            for n, v in headers
            if n.lower() in rules.REPLAYED_HEADERS
        ]
        answer = repo.Answer(status, json.dumps(replayed), b"".join(chunks))
    if write.state == "claimed":
        assert write.record_id is not None
        async with write.db.runner(write=True) as runner:
            if answer is not None:
                await repo.keep(runner, write.record_id, answer)
            else:
                await repo.free(runner, write.record_id)
        return
    # Free: nothing written, nothing claimed. A "try again" is sent as it is; an
    # outcome is kept, unless the key's first request answered (or runs) meanwhile.
    if answer is not None:
        try:
            found = await write.claim_or_find(answer)
        except DomainError as refused:
            await _answer_problem(refused, scope, receive, send)
            return
        if isinstance(found, repo.Kept):
            await _replay(found, send)
            return
    for message in held:
        await send(message)


async def _body(receive: Receive) -> bytes:
    """The request's body (`Request.body` without a `Request`)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()  # as Starlette's `Request.body`: nothing is run
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


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
