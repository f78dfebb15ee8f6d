"""The idempotency rules without a database: keys, "the same request", kept answers."""

from __future__ import annotations

import pytest

from app.idempotency import rules


@pytest.mark.parametrize("raw", [b"a", b"x" * 255, b"with spaces ok", b"~!@#$%^&*()"])
def test_a_key_of_1_to_255_printable_characters_is_valid(raw: bytes) -> None:
    assert rules.valid_key(raw) == raw.decode()


@pytest.mark.parametrize("raw", [b"", b"x" * 256, b"new\nline", b"\x7f", "é".encode()])
def test_a_key_otherwise_is_not(raw: bytes) -> None:
    assert rules.valid_key(raw) is None


def test_the_same_json_in_another_order_or_spacing_is_the_same_request() -> None:
    a = rules.fingerprint("POST", "/v1/bookings", b"", b'{"a": 1, "b": [1, 2]}')
    b = rules.fingerprint("POST", "/v1/bookings", b"", b'{"b":[1,2],\n "a":1}')
    assert a == b


@pytest.mark.parametrize(
    ("path", "query", "body"),
    [
        ("/v1/bookings", b"", b'{"a": 2}'),
        ("/v1/booking-series", b"", b'{"a": 1}'),
        ("/v1/bookings", b"x=1", b'{"a": 1}'),
        ("/v1/bookings", b"", b'[{"a": 1}]'),
    ],
)
def test_another_operation_query_or_body_is_another_request(
    path: str, query: bytes, body: bytes
) -> None:
    assert rules.fingerprint("POST", path, query, body) != rules.fingerprint(
        "POST", "/v1/bookings", b"", b'{"a": 1}'
    )


def test_bodies_that_are_not_json_are_compared_as_bytes() -> None:
    assert rules.fingerprint("POST", "/p", b"", b"not json") == rules.fingerprint(
        "POST", "/p", b"", b"not json"
    )
    assert rules.fingerprint("POST", "/p", b"", b"not json") != rules.fingerprint(
        "POST", "/p", b"", b"not json "
    )


@pytest.mark.parametrize("status", [200, 201, 404, 409, 412, 422])
def test_an_outcome_is_kept(status: int) -> None:
    assert rules.kept(status)


@pytest.mark.parametrize("status", [401, 429, 500, 502, 503, 504])
def test_an_answer_that_says_try_again_is_not_kept(status: int) -> None:
    assert not rules.kept(status)


@pytest.mark.parametrize(
    ("method", "path", "takes"),
    [
        ("POST", "/v1/bookings", True),
        ("POST", "/v1/booking-series", True),
        ("POST", "/v1/bookings/12/approve", True),
        ("POST", "/v1/bookings/12/decline", True),
        ("POST", "/v1/bookings/12/cancel", True),
        ("POST", "/v1/bookings/quote", False),
        ("PATCH", "/v1/bookings/12", False),
        ("GET", "/v1/bookings", False),
        ("POST", "/v1/booking-series/3/cancel", False),
        ("POST", "/v1/bookings/", False),
    ],
)
def test_the_writes_that_take_a_key(method: str, path: str, takes: bool) -> None:
    assert rules.takes_key(method, path) is takes
