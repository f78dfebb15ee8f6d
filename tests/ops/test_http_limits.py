"""`jointuse serve` bounds what a client can make it hold (`core.protocol`): a request's
head in size (431) and in time (408), its body in time; and bytes that are not HTTP are
a problem too. Talked to over raw sockets, as an attacker would. The database plays no
part here: SQLite only."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.migrate import upgrade
from tests.conftest import ADMIN_KEY
from tests.ops.conftest import Served, serving

pytestmark = pytest.mark.slow

TIMEOUT_SECONDS = 1.0
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("http-limits")
    url = f"sqlite:///{workdir / 'limits.db'}"
    upgrade(url)
    with serving(
        url,
        workdir,
        JOINTUSE_ADMIN_KEY=ADMIN_KEY,
        JOINTUSE_HEADER_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
        JOINTUSE_BODY_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
    ) as served:
        yield served


def connect(server: Served) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def read_response(
    sock: socket.socket, buffered: bytearray | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One response, read to its Content-Length; with `buffered`, what was read past it
    stays there for the next call (pipelined answers)."""
    data = bytes(buffered or b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    if buffered is not None:
        buffered[:] = body[length:]
    return status, headers, body[:length]


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def assert_problem(headers: dict[str, str], body: bytes, status: int, code: str) -> None:
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    problem = json.loads(body)
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"urn:jointuse:problem:{code}"


def test_a_64_mib_header_is_refused_431_after_its_first_kilobytes(server: Served) -> None:
    rss_before = rss_kib(server.process.proc.pid)
    started = time.monotonic()
    sent = 0
    chunk = b"a" * 65536
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
        try:
            while sent < 64 * MIB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, headers, body = read_response(sock)
    assert status == 431
    assert_problem(headers, body, 431, "header-fields-too-large")
    assert sent < 4 * MIB, f"{sent} bytes were taken before the answer"
    assert time.monotonic() - started < 5
    assert rss_kib(server.process.proc.pid) - rss_before < 16 * 1024


def test_a_long_url_counts_in_the_head(server: Served) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz?" + b"q" * 40_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        status, headers, body = read_response(sock)
    assert status == 431
    assert_problem(headers, body, 431, "header-fields-too-large")


def test_a_head_trickled_a_byte_at_a_time_is_answered_408(server: Served) -> None:
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        while not select.select([sock], [], [], 0.1)[0]:
            sock.sendall(b"X")  # a byte every 0.1 s: never an idle connection
            assert time.monotonic() - started < 5, "no answer to a head that never ends"
        status, headers, body = read_response(sock)
        assert closed_within(sock, 5)
    assert status == 408
    assert_problem(headers, body, 408, "request-timeout")
    assert TIMEOUT_SECONDS <= time.monotonic() - started < 4


def test_a_connection_that_sends_nothing_is_closed(server: Served) -> None:
    started = time.monotonic()
    with connect(server) as sock:
        assert closed_within(sock, 5)
    assert time.monotonic() - started < 4


def test_a_kept_alive_connection_that_sends_nothing_more_is_closed(server: Served) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock)[0] == 200
        assert closed_within(sock, 10)  # uvicorn's keep-alive timeout, 5 s


def test_a_body_that_does_not_arrive_in_time_is_answered_408(server: Served) -> None:
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/parties HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + ADMIN_KEY.encode() + b"\r\n"
            b"Content-Length: 100\r\n\r\n{\"name\": "
        )
        status, headers, body = read_response(sock)
        assert closed_within(sock, 5)
    assert status == 408
    assert_problem(headers, body, 408, "request-timeout")
    assert time.monotonic() - started < 4


def test_bytes_that_are_not_http_are_a_400_problem(server: Served) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nBad Header\x01: x\r\n\r\n")
        status, headers, body = read_response(sock)
    assert status == 400
    assert_problem(headers, body, 400, "bad-request")


def test_ordinary_requests_are_unaffected(server: Served) -> None:
    big_but_fine = {"X-Filler": "f" * 8000}
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        for _ in range(20):  # one kept-alive connection
            assert http.get("/healthz", headers=big_but_fine).status_code == 200
        made = http.post(
            "/v1/parties",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            json={"name": "Oak Park Neighbors " + "x" * 100, "kind": "community_group"},
        )
        assert made.status_code == 201, made.text


def test_pipelined_requests_are_each_answered(server: Served) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(request * 3)
        buffered = bytearray()
        answers = [read_response(sock, buffered) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 200]
