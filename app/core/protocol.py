"""`jointuse serve`'s HTTP/1.1: uvicorn's httptools protocol with the limits it lacks.

uvicorn bounds neither the size of a request's head (httptools buffers a header field
of any length: a 64 MiB one was read to its end) nor the time it takes to arrive (its
keep-alive timer runs between requests only, and every byte resets it). Here the
request line and header fields together get `max_header_bytes` (431 once past them,
before more is read), the head `header_timeout_seconds` from the connection, or from
its first byte on a kept-alive one, and the body `body_timeout_seconds` after the head
(408). These answers, and uvicorn's 400 for bytes that are not HTTP, are problems like
the application's. Per request this costs a subtraction per read and one timer."""

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


class HttpProtocol(HttpToolsProtocol):
    """`uvicorn --http app.core.protocol:HttpProtocol`: what `jointuse serve` runs."""

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
        self._head_read_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        # Bytes dropped since a refusal; None before one.
        self._dropped: int | None = None

    # --- connection --------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.head_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
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
        if self._timer is None:  # a kept-alive connection: its next head, from its first byte
            self._arm(self.limits.head_seconds)

    def on_headers_complete(self) -> None:
        self._head_left = None
        self._head_read_at = self.loop.time()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self._head_left = self.limits.max_head_bytes

    # --- limits ------------------------------------------------------------------

    def _reading_head(self) -> bool:
        return self._head_left is not None

    def _arm(self, seconds: float) -> None:
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self._dropped is not None:
            return
        limits = self.limits
        if self._head_left is not None:
            if self._head_left == limits.max_head_bytes:  # not a byte sent: an idle connection
                self.transport.close()
                return
            self._refuse(
                408, "request-timeout", "Request timeout",
                f"the request's head did not arrive within {limits.head_seconds:g} seconds",
            )
            return
        remaining = self._head_read_at + limits.body_seconds - self.loop.time()
        if remaining > 0 or self.pipeline:  # still in time, or queued behind another request
            self._arm(max(remaining, limits.body_seconds))
            return
        cycle = self.cycle
        if cycle.response_started:  # answered before its body came: nothing more to say
            self.transport.close()
            return
        # The application gets a disconnect (its answer is not sent); the client a 408.
        cycle.disconnected = True
        cycle.message_event.set()
        self._refuse(
            408, "request-timeout", "Request timeout",
            f"the request's body did not arrive within {limits.body_seconds:g} seconds",
        )

    def _refuse(self, status: int, code: str, title: str, detail: str) -> None:
        """Answer a problem and close, reading no more of the request."""
        self._disarm()
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
