"""`jointuse serve`'s HTTP/1.1: uvicorn's httptools protocol with the limits it lacks.

uvicorn bounds neither the size of a request's head (httptools buffers a header field
of any length: a 64 MiB one was read to its end) nor the time it takes to arrive (its
keep-alive timer runs between requests only, and every byte resets it). Here the
request line and header fields together get `max_header_bytes` (431 once past them,
before more is read), the head `header_timeout_seconds` from the connection, or from
its first byte on a kept-alive one, and the body `body_timeout_seconds` after the head
(408). These answers, and uvicorn's 400 for bytes that are not HTTP, are problems like
the application's. Per request this costs a subtraction per read and two clock reads."""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any, NamedTuple

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from app.core.config import get_settings
from app.core.errors import PROBLEM_MEDIA_TYPE, problem_type

# After a refusal, what the client still sends is read and dropped for a while, so that
# it reads the answer rather than a connection reset.
DRAIN_BYTES = 1_048_576
DRAIN_SECONDS = 2.0


class Limits(NamedTuple):
    max_head_bytes: int
    head_seconds: float
    body_seconds: float


@lru_cache(maxsize=1)
def limits() -> Limits:
    s = get_settings()
    return Limits(s.max_header_bytes, s.header_timeout_seconds, s.body_timeout_seconds)


def problem_message(status: int, code: str, title: str, detail: str, extra: bytes) -> bytes:
    """A whole HTTP/1.1 response carrying a problem, that closes the connection."""
    body = json.dumps(
        {"type": problem_type(code), "title": title, "status": status, "detail": detail,
         "code": code}
    ).encode()
    return b"".join((
        STATUS_LINE[status],
        extra,
        b"content-type: ", PROBLEM_MEDIA_TYPE.encode(), b"\r\n",
        b"content-length: ", str(len(body)).encode(), b"\r\n",
        b"connection: close\r\n",
        b"x-content-type-options: nosniff\r\ncache-control: no-store\r\n\r\n",
        body,
    ))  # fmt: skip


IDLE, HEAD, BODY = 0, 1, 2  # what a connection is waiting for


class HttpProtocol(HttpToolsProtocol):
    """`uvicorn --http app.core.protocol:HttpProtocol`: what `jointuse serve` runs.

    One timer per connection, armed when it opens and re-armed only when it fires: a
    request costs two clock reads (its head begun, its head read), not a timer."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits()
        # Bytes the current request's head may still take; None once its head is read.
        self._head_left: int | None = self.limits.max_head_bytes
        # A new connection waits for a head (nothing of it read yet) since it opened.
        self._waiting_for = HEAD
        self._since = 0.0
        self._timer: asyncio.TimerHandle | None = None
        # Bytes dropped since a refusal; None before one.
        self._dropped: int | None = None

    # --- connection --------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._since = self.loop.time()
        self._timer = self.loop.call_later(self.limits.head_seconds, self._check_time)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._dropped is not None:
            self._dropped += len(data)
            if self._dropped > DRAIN_BYTES:
                self.transport.close()
            return
        left = self._head_left
        if left is None or len(data) <= left:
            if left is not None:
                self._head_left = left - len(data)
            super().data_received(data)
            return
        # The parser gets what the head may still take; the rest only if the head ends in it.
        self._head_left = 0
        super().data_received(data[:left])
        if self.transport.is_closing() or self._dropped is not None:
            return
        if self._reading_head():
            self._refuse(
                431, "header-fields-too-large", "Request header fields too large",
                f"the request line and header fields exceed {self.limits.max_head_bytes} bytes",
            )
            return
        self.data_received(data[left:])

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "bad-request", "Bad request", "the request is not valid HTTP/1.1")

    # --- parser callbacks --------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._waiting_for == IDLE:  # a kept-alive connection: its head from its first byte
            self._waiting_for = HEAD
            self._since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._head_left = None
        self._waiting_for = BODY
        self._since = self.loop.time()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._waiting_for = IDLE
        self._head_left = self.limits.max_head_bytes

    # --- limits ------------------------------------------------------------------

    def _reading_head(self) -> bool:
        return self._head_left is not None

    def _check_time(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self._dropped is not None:
            return
        limits = self.limits
        waiting_for = self._waiting_for
        elapsed = self.loop.time() - self._since
        if waiting_for == IDLE:  # answering, or between requests (uvicorn's keep-alive)
            self._rearm(limits.head_seconds)
        elif waiting_for == HEAD:
            if elapsed < limits.head_seconds:
                self._rearm(limits.head_seconds - elapsed)
            elif self._head_left == limits.max_head_bytes:  # not a byte: an idle connection
                self.transport.close()
            else:
                self._refuse(
                    408, "request-timeout", "Request timeout",
                    f"the request's head did not arrive within {limits.head_seconds:g} seconds",
                )
        elif elapsed < limits.body_seconds or self.pipeline:  # in time, or queued behind one
            self._rearm(max(limits.body_seconds - elapsed, 0.5))
        elif self.cycle.response_started:  # answered before its body came: nothing to add
            self.transport.close()
        else:
            # The application gets a disconnect (its answer is not sent); the client a 408.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
            self._refuse(
                408, "request-timeout", "Request timeout",
                f"the request's body did not arrive within {limits.body_seconds:g} seconds",
            )

    def _rearm(self, seconds: float) -> None:
        self._timer = self.loop.call_later(seconds, self._check_time)

    def _refuse(self, status: int, code: str, title: str, detail: str) -> None:
        """Answer a problem and close, reading no more of the request."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._dropped = 0
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.disconnected:
            # An earlier request is being answered: close once it is, read nothing more.
            cycle.keep_alive = False
            self.flow.pause_reading()
            return
        extra = b"".join(n + b": " + v + b"\r\n" for n, v in self.server_state.default_headers)
        self.transport.write(problem_message(status, code, title, detail, extra))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._timer = self.loop.call_later(DRAIN_SECONDS, self.transport.close)
        else:
            self.transport.close()
