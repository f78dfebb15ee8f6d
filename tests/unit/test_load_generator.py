"""The bench's load generator finds each response's end and counts what it was
answered, against a real HTTP server."""

from __future__ import annotations

import asyncio

import pytest

from bench.load import BadResponse, build_request, response_end, run

OK = b"HTTP/1.1 201 Created\r\nETag: \"1\"\r\nContent-Length: 5\r\n\r\nhello"


def test_a_complete_response_ends_after_its_content_length() -> None:
    assert response_end(OK) == (201, len(OK))


def test_an_incomplete_response_is_awaited() -> None:
    assert response_end(OK[:-1]) is None
    assert response_end(OK[:20]) is None


def test_header_names_are_matched_whatever_their_case() -> None:
    lower = OK.replace(b"Content-Length", b"content-length")
    assert response_end(lower) == (201, len(lower))


def test_a_response_without_a_length_is_refused() -> None:
    with pytest.raises(BadResponse):
        response_end(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")


async def test_a_run_counts_every_answered_request_by_status() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(OK[:30])  # in two pieces, as a server may send it
                await writer.drain()
                writer.write(OK[30:])
        except asyncio.IncompleteReadError:  # the client closed: the run is over
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await run(
            "127.0.0.1",
            port,
            [build_request("GET", "/", "x")],
            connections=2,
            seconds=0.3,
            warmup=0.1,
        )
    assert result.requests > 0
    assert result.statuses == {201: result.requests}
    assert len(result.latencies_ms) == result.requests
