"""What `jointuse serve`'s HTTP protocol (`app.core.protocol`) costs per request.

`python -m bench.protocol` drives uvicorn's httptools protocol and ours in-process, on
one uvloop, with a transport that keeps nothing and an ASGI app that answers at once:
kept-alive GET requests, one at a time, as a load generator's connection sends them.
Rounds alternate between the two and the medians of CPU time per request are printed;
no sockets, so the machine's other load disturbs it far less than `python -m bench`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.core.protocol import HttpProtocol

REQUEST = (
    b"GET /v1/bookings/123 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
    b"Authorization: Bearer jk_0123456789abcdef0123456789abcdef\r\n"
    b"Accept: application/json\r\nUser-Agent: bench\r\n\r\n"
)
BODY = b'{"hello":"world"}'


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


class NullTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True


async def per_request_us(protocol_class: type[HttpToolsProtocol], requests: int) -> float:
    config = Config(app=app, log_level="warning", access_log=False, lifespan="off")
    config.load()
    state = ServerState()
    protocol = protocol_class(config, state, {}, asyncio.get_running_loop())
    protocol.connection_made(NullTransport())
    started = time.process_time()
    for _ in range(requests):
        protocol.data_received(REQUEST)
        while state.tasks:  # the request's task runs to its answer
            await asyncio.sleep(0)
    spent = time.process_time() - started
    protocol.connection_lost(None)
    return spent / requests * 1e6


async def measure(rounds: int, requests: int) -> None:
    classes: dict[str, type[HttpToolsProtocol]] = {
        "uvicorn httptools": HttpToolsProtocol,
        "core.protocol": HttpProtocol,
    }
    for protocol_class in classes.values():  # warm-up
        await per_request_us(protocol_class, requests // 10)
    results: dict[str, list[float]] = {name: [] for name in classes}
    for _ in range(rounds):
        for name, protocol_class in classes.items():
            results[name].append(await per_request_us(protocol_class, requests))
    base = statistics.median(results["uvicorn httptools"])
    print(f"{rounds} rounds x {requests} kept-alive requests, CPU time per request (median)")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:20} {median:8.2f} us   {median - base:+6.2f} us  "
              f"(rounds: {', '.join(f'{v:.2f}' for v in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    uvloop.run(measure(args.rounds, args.requests))


if __name__ == "__main__":
    main()
