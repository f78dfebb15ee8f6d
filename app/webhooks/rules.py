"""Webhooks as pure functions: the secret's form, the Standard Webhooks signature, when
a failed delivery is tried again, and which addresses a delivery may go to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from app.events.rules import EventType

SECRET_PREFIX = "whsec_"
# Retried for at least this long after the event, then marked failed (contract section 8).
RETRY_FOR = timedelta(hours=24)
# No wait between tries grows past this: a receiver down for a night still gets its
# events within hours of coming back, and the 24 hours hold many tries.
LONGEST_WAIT = timedelta(hours=4)
# Each next try about twice as late as the one before, +-20 %.
JITTER = 0.2


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


def new_secret() -> str:
    """`whsec_` and the base64 of 24 random bytes, as Standard Webhooks write a key."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (the `webhook-signature` value)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, message_id, timestamp, body),
    }


def message_id(webhook_id: int, event_id: int) -> str:
    """The `webhook-id`: one per event and webhook, the same on every try, so that a
    receiver that saw it already can tell a repeat."""
    return f"msg_{webhook_id}_{event_id}"


def retry_wait(failures: int, base_seconds: float, rng: random.Random) -> timedelta:
    """The wait after the `failures`-th failed try in a row: `base`, then about twice as
    long each time, with jitter so that receivers coming back are not hit in step."""
    exponent = min(failures - 1, 32)
    wait = min(base_seconds * 2**exponent, LONGEST_WAIT.total_seconds())
    return timedelta(seconds=wait * rng.uniform(1 - JITTER, 1 + JITTER))


def after_failure(
    *, failures: int, first_due: datetime, now: datetime, base_seconds: float, rng: random.Random
) -> datetime | None:
    """When to try again, or None: give up, a day having gone by since the delivery
    was first due."""
    if now - first_due >= RETRY_FOR:
        return None
    return now + retry_wait(failures, base_seconds, rng)


def wanted(event_type: str, event_types: list[str]) -> bool:
    return event_type in event_types


ALL_TYPES = [t.value for t in EventType]


# --- where a delivery may go -------------------------------------------------


class UnsafeAddress(ValueError):
    """A webhook URL that is not http(s), or whose host is (or resolves to) a loopback,
    private, link-local or otherwise non-public address."""


def url_host(url: str) -> tuple[str, int]:
    """The host and port an URL names, or `UnsafeAddress` for one that cannot be a
    receiver's."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # an unclosed `[` of an IPv6 host, say
        raise UnsafeAddress("the webhook URL is not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeAddress("a webhook URL must be http or https")
    if not hostname:
        raise UnsafeAddress("a webhook URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeAddress("a webhook URL must not carry credentials")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeAddress("the webhook URL's port is not a number from 0 to 65535") from None
    return hostname, port or (443 if parts.scheme == "https" else 80)


def is_public(address: str) -> bool:
    """A global unicast address: not loopback, private, link-local, shared (CGNAT),
    multicast, reserved or unspecified; an IPv4-mapped IPv6 address as its IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_addresses(host: str, addresses: list[str], *, must_resolve: bool) -> None:
    """Every address public. A host that does not resolve (yet) may be registered: it
    is checked again before each delivery, which it fails while it does not resolve."""
    if not addresses and must_resolve:
        raise UnsafeAddress(f"the webhook URL's host {host!r} does not resolve")
    for address in addresses:
        if not is_public(address):
            raise UnsafeAddress(
                f"the webhook URL's host {host!r} is (or resolves to) {address}, a loopback, "
                "private or link-local address"
            )
