"""A small closed-loop HTTP/1.1 load generator (keep-alive, pre-built requests).

It runs on the machine it measures, beside the server and PostgreSQL, so every
microsecond it spends is taken from them: it is written as a bare `asyncio.Protocol`
that finds each response's end with two `bytes.find` calls and sends the next
request from the same callback (stream readers cost it about twice as much CPU per
request). Responses must carry `Content-Length`, as the servers measured here do."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def build_request(
    method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class BadResponse(Exception):
    pass


def response_end(buffer: bytes | bytearray, start: int = 0) -> tuple[int, int] | None:
    """(status, end offset) of the complete response at `start` of `buffer`, or None
    while it is incomplete."""
    head_end = buffer.find(b"\r\n\r\n", start)
    if head_end < 0:
        return None
    head = bytes(buffer[start:head_end]).lower()
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        raise BadResponse(f"no Content-Length in {head[:200]!r}")
    value_end = head.find(b"\r\n", at + 17)
    length = int(head[at + 17 : value_end if value_end >= 0 else None])
    end = head_end + 4 + length
    if len(buffer) < end:
        return None
    return int(head[9:12]), end


@dataclass
class _Tally:
    measure_from: float
    stop_at: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


class _Connection(asyncio.Protocol):
    """One keep-alive connection with one request in flight at a time."""

    def __init__(self, source: Iterator[bytes], tally: _Tally, done: asyncio.Future[None]) -> None:
        self.source = source
        self.tally = tally
        self.done = done
        self.buffer = bytearray()
        self.sent_at = 0.0
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._send(time.perf_counter())

    def _send(self, now: float) -> None:
        if now >= self.tally.stop_at:
            self.transport.close()
            return
        self.sent_at = now
        self.transport.write(next(self.source))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            found = response_end(self.buffer)
        except BadResponse as exc:
            self._fail(exc)
            return
        if found is None:
            return
        status, end = found
        if end != len(self.buffer):
            self._fail(BadResponse("bytes after the response to a single request in flight"))
            return
        self.buffer.clear()
        now = time.perf_counter()
        tally = self.tally
        if self.sent_at >= tally.measure_from:
            tally.latencies.append((now - self.sent_at) * 1000)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
        self._send(now)

    def _fail(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if exc is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(exc)


async def run(
    host: str,
    port: int,
    requests: Callable[[], Iterator[bytes]] | list[bytes],
    *,
    connections: int = 16,
    seconds: float = 3.0,
    warmup: float = 0.5,
) -> Result:
    """Keep `connections` requests in flight for `seconds` (after `warmup`); the
    requests sent during the warm-up are not counted."""
    source = itertools.cycle(requests) if isinstance(requests, list) else requests()
    loop = asyncio.get_running_loop()
    measure_from = time.perf_counter() + warmup
    tally = _Tally(measure_from=measure_from, stop_at=measure_from + seconds)
    done: list[asyncio.Future[None]] = []
    for _ in range(connections):
        finished = loop.create_future()
        await loop.create_connection(lambda f=finished: _Connection(source, tally, f), host, port)
        done.append(finished)
    # A server that stops answering fails the run rather than hanging it.
    await asyncio.wait_for(asyncio.gather(*done), warmup + seconds + 30)
    return Result(len(tally.latencies), seconds, tally.latencies, tally.statuses)
