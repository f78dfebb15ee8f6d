"""One pure-ASGI middleware (cheaper than a stack of BaseHTTPMiddleware): a request
id on every response and in every log line, the headers every answer carries, `HEAD`
answered as `GET` without its body, a body-size limit, an optional access log."""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    CallerFirst,
    DomainError,
    RateLimited,
    internal_error_response,
    problem_response,
    problem_type,
)
from app.core.logs import request_id_var
from app.core.metrics import UNMATCHED, RequestMetrics

REQUEST_ID_HEADER = b"x-request-id"
# Every answer: no content sniffing. Answers to a key: never stored by a cache (a
# route that sets its own Cache-Control keeps it).
NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")
_VALID_RID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
access_log = logging.getLogger("jointuse.access")


# Request ids: a random prefix per process and a counter, unique without a syscall
# per request (uuid4 reads the OS random source every time).
_RID_PREFIX = secrets.token_hex(6)
_rid_counter = itertools.count(1)


def new_request_id() -> str:
    return f"{_RID_PREFIX}{next(_rid_counter):010x}"


class KeyedWrites(Protocol):
    """Writes made once per `Idempotency-Key` (the idempotency domain's, given by
    `create_app`: core imports no domain)."""

    def takes_key(self, method: str, path: str) -> bool: ...

    async def __call__(
        self, raw_key: bytes, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None: ...


class LimitVerdict(Protocol):
    @property
    def admitted(self) -> bool: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...


class KeyLimits(Protocol):
    """Requests per API key (the rate-limit domain's, given by `create_app`)."""

    limit: int

    def applies_to(self, token: str) -> bool: ...

    async def check(self, scope: Scope, token: str) -> LimitVerdict: ...


def _bearer(authorization: bytes) -> str | None:
    scheme, _, token = authorization.partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token:
        return None  # the operation answers its 401
    return token.decode("latin-1")


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, access_log: bool = False,
        lanes: Mapping[tuple[str, str], ASGIApp] | None = None,
        caller_first: CallerFirst | None = None,
        keyed_writes: KeyedWrites | None = None,
        key_limits: KeyLimits | None = None,
        metrics: RequestMetrics | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.keyed_writes = keyed_writes
        self.key_limits = key_limits
        # A body too large is refused after the caller: a bad key is a 401 first.
        self.caller_first = caller_first
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log
        # Hot routes called straight (`hot.FastLane`), by method and exact path.
        self.lanes = lanes or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        length: int | None = None
        authorization: bytes | None = None
        idempotency_key: bytes | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and _VALID_RID.match(value):
                rid = value
            elif name == b"content-length":
                length = int(value) if value.isdigit() else -1
            elif name == b"authorization":
                authorization = value
            elif name == b"idempotency-key":
                idempotency_key = value
        rid_str = rid.decode() if rid else new_request_id()
        token = request_id_var.set(rid_str)
        rid_header = (REQUEST_ID_HEADER, rid_str.encode())
        started = time.perf_counter()
        status_holder = [0]
        keyed = authorization is not None
        limited: list[tuple[bytes, bytes]] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = [*message.get("headers", ()), rid_header, NOSNIFF, *limited]
                if keyed and not any(name == b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        app_scope = scope
        send_with_id: Send = send_with_headers
        if scope["method"] == "HEAD":
            # Every GET route answers HEAD: the same status and headers, no body.
            app_scope = {**scope, "method": "GET"}
            send_with_id = _without_body(send_with_headers)

        try:
            if authorization is not None and self.key_limits is not None:
                bearer = _bearer(authorization)
                if bearer is not None and self.key_limits.applies_to(bearer):
                    verdict = await self.key_limits.check(scope, bearer)
                    limited = verdict.headers
                    if not verdict.admitted:
                        refused = RateLimited(self.key_limits.limit)
                        await problem_response(
                            refused.status, refused.code, refused.title, refused.detail,
                        )(app_scope, receive, send_with_id)
                        return
            if length is not None and length > self.max_body_bytes:
                await self._too_large(app_scope, receive, send_with_id, rid_str)
                return
            if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
                # No Content-Length (chunked): read up to the limit before the app sees it.
                body = await self._buffer(receive)
                if body is None:
                    await self._too_large(app_scope, receive, send_with_id, rid_str)
                    return
                receive = replay_body(body, receive)
            lane = (
                self.lanes.get((scope["method"], scope["path"]))
                if not scope.get("root_path")
                else None
            )
            target = lane or self.app
            if lane is not None:
                app_scope["jointuse.template"] = scope["path"]
            writes = self.keyed_writes
            if (
                idempotency_key is not None
                and writes is not None
                and writes.takes_key(scope["method"], scope["path"])
            ):
                await writes(idempotency_key, target, app_scope, receive, send_with_id)
            else:
                await target(app_scope, receive, send_with_id)
        except Exception as exc:
            if status_holder[0]:  # the response has begun; nothing more can be said
                raise
            # Answered here, where the request id is still known, rather than by
            # Starlette's outermost error middleware, which runs after this one ends.
            response = internal_error_response(scope["method"], scope["path"], exc)
            await response(scope, receive, send_with_id)
        finally:
            if self.metrics is not None:
                route = app_scope.get("route")
                template = getattr(route, "path_format", None) or app_scope.get(
                    "jointuse.template", UNMATCHED
                )
                self.metrics.observe(
                    template, scope["method"], status_holder[0], time.perf_counter() - started
                )
            if self.access_log:
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder[0],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    async def _buffer(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        if self.caller_first is not None:
            try:
                await self.caller_first(Request(scope))
            except DomainError as refused:
                # The body is left unread: the connection closes after the answer.
                await problem_response(
                    refused.status, refused.code, refused.title, refused.detail,
                    headers={**(refused.headers or {}), "Connection": "close"},
                    **refused.body(),
                )(scope, receive, send)
                return
        body = json.dumps(
            {
                "type": problem_type("payload-too-large"),
                "title": "Payload too large",
                "status": 413,
                "detail": f"request body exceeds {self.max_body_bytes} bytes",
                "code": "payload-too-large",
                "request_id": rid,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _without_body(send: Send) -> Send:
    """The GET answer's status and headers (its Content-Length too, as RFC 9110 allows
    for HEAD), then an empty end of body."""
    ended = False

    async def send_head(message: Message) -> None:
        nonlocal ended
        if message["type"] == "http.response.body":
            if ended:
                return
            ended = True
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head


def replay_body(body: bytes, receive: Receive) -> Receive:
    """`receive` that gives the body already read again, whole."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
