"""Webhook rules as pure functions: the signature, the backoff, public addresses."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.webhooks.rules import (
    JITTER,
    LONGEST_WAIT,
    RETRY_FOR,
    UnsafeAddress,
    after_failure,
    is_public,
    new_secret,
    retry_wait,
    secret_bytes,
    signature,
    url_host,
)

T0 = datetime(2027, 1, 4, 17, 0, tzinfo=UTC)


def test_the_signature_is_standard_webhooks_published_example():
    # The example of the Standard Webhooks specification (and of Svix's docs).
    key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signed = signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_whsec_and_24_random_bytes():
    made = {new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(s.startswith("whsec_") and len(secret_bytes(s)) == 24 for s in made)


def test_the_first_wait_is_the_base_and_each_next_about_twice_as_long():
    rng = random.Random(1)
    waits = [retry_wait(n, 10, rng).total_seconds() for n in range(1, 8)]
    assert 10 * (1 - JITTER) <= waits[0] <= 10 * (1 + JITTER)
    for n, wait in enumerate(waits, start=1):
        nominal = 10 * 2 ** (n - 1)
        assert nominal * (1 - JITTER) <= wait <= nominal * (1 + JITTER)


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0.1, max_value=3600))
def test_no_wait_is_longer_than_the_longest_with_its_jitter(failures, base):
    wait = retry_wait(failures, base, random.Random(failures))
    assert timedelta(0) < wait <= LONGEST_WAIT * (1 + JITTER)


def test_tries_go_on_for_a_day_then_stop():
    rng = random.Random(3)
    now, failures = T0, 0
    while True:
        failures += 1
        due = after_failure(failures=failures, first_due=T0, now=now, base_seconds=10, rng=rng)
        if due is None:
            break
        assert due > now
        now = due
    assert now - T0 >= RETRY_FOR
    assert now - T0 < RETRY_FOR + LONGEST_WAIT * (1 + JITTER)
    assert failures > 10


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(address) is public


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://partners.example.org/hook", "partners.example.org", 443),
        ("http://partners.example.org/hook", "partners.example.org", 80),
        ("http://[2606:2800::1]:8443/x", "2606:2800::1", 8443),
    ],
)
def test_a_url_names_its_host_and_port(url, host, port):
    assert url_host(url) == (host, port)


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "http:///x", "http://[::1/x", "http://u:p@example.org/"]
)
def test_a_url_that_cannot_be_a_receivers_is_refused(url):
    with pytest.raises(UnsafeAddress):
        url_host(url)
