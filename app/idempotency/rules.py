"""What an idempotency key is, what makes two requests "the same", and which answers
are kept for replay: pure functions, no database."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

from app.core.schemas import IDEMPOTENCY_KEY_PATTERN

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN.encode())

# The writes that take a key: a booking, a series, a booking's actions.
_IDEMPOTENT_PATHS = re.compile(
    r"^/v1/(?:bookings|booking-series|bookings/[0-9]{1,10}/(?:approve|decline|cancel))$"
)

# How long a first request may run before a retry takes its key over: far beyond the
# database's timeouts, so a key is taken over only from a worker that died mid-request.
LEASE = timedelta(seconds=60)


def takes_key(method: str, path: str) -> bool:
    return method == "POST" and _IDEMPOTENT_PATHS.match(path) is not None


def claimed_by_operation(method: str, path: str) -> bool:
    """A write that keeps its key itself (`claims`): a booking, whose insert on kept
    facts writes the key with its answer; any other way, it claims the key first."""
    return method == "POST" and path == "/v1/bookings"


def valid_key(raw: bytes) -> str | None:
    """The key as sent, or None when it is not 1-255 printable characters."""
    return raw.decode("ascii") if _KEY.match(raw) else None


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """The request a key was first used for: its operation and its body. JSON bodies
    are compared as JSON (key order and spacing do not make a different request)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, canonical):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def kept(status: int) -> bool:
    """An answer the key replays: every outcome of the request itself (made, refused
    by the rules, a conflict, invalid). An answer that says "try again" (429, 5xx) is
    not an outcome, nor is a 401 (no caller): the key is freed so that the retry is made."""
    return status < 500 and status not in (401, 408, 425, 429)


# The headers of a kept answer that its replay carries (the request id and the
# headers every answer gets are the replay's own).
REPLAYED_HEADERS = frozenset((b"content-type", b"location", b"etag"))


def expiry(now: datetime, keep_hours: int) -> datetime:
    return now + timedelta(hours=keep_hours)
