"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams (keep-alive,
pre-built requests), light enough to leave most of a core to the server."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


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


def build_request(method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
            break
    if length:
        await reader.readexactly(length)
    return status


async def run(
    host: str,
    port: int,
    requests: Callable[[], Iterator[bytes]] | list[bytes],
    *,
    connections: int = 16,
    seconds: float = 3.0,
    warmup: float = 0.5,
) -> Result:
    """Keep `connections` requests in flight for `seconds` (after `warmup`)."""
    source = itertools.cycle(requests) if isinstance(requests, list) else requests()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    count = 0
    start_measure = time.perf_counter() + warmup
    stop_at = start_measure + seconds

    async def worker() -> None:
        nonlocal count
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                writer.write(next(source))
                t0 = time.perf_counter()
                status = await _read_response(reader)
                t1 = time.perf_counter()
                if t0 >= start_measure:
                    latencies.append((t1 - t0) * 1000)
                    statuses[status] = statuses.get(status, 0) + 1
                    count += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return Result(count, seconds, latencies, statuses)
