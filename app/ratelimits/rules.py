"""Rate-limit arithmetic, pure: fixed windows of a minute, the slice of a window's budget
a worker takes at a time, and the IETF RateLimit header fields."""

from __future__ import annotations

from datetime import datetime

WINDOW_SECONDS = 60
# A worker takes at most this share of a key's budget at a time (and never more than
# `MAX_SLICE`): one statement per slice, not per request. What a worker took and did not
# use is lost for the window: smaller slices waste less, larger ones cost fewer statements.
SLICE_SHARE = 20
MAX_SLICE = 50
POLICY = "default"


def window_of(now: datetime) -> int:
    """The window `now` is in: minutes since the epoch."""
    return int(now.timestamp()) // WINDOW_SECONDS


def seconds_left(now: datetime) -> int:
    """Whole seconds until the window ends (at least 1: a client waits, then asks)."""
    return max(1, WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS)


def slice_to_take(limit: int, taken: int) -> int:
    """How much of the budget to ask for: a share of the limit, smaller as the window's
    budget runs out (a quarter of what is left), so that the workers' unused slices
    strand little of it."""
    base = max(1, min(limit // SLICE_SHARE, MAX_SLICE))
    return max(1, min(base, (limit - taken) // 4))


def policy_header(limit: int) -> str:
    return f'"{POLICY}";q={limit};w={WINDOW_SECONDS}'


def limit_header(remaining: int, reset: int) -> str:
    return f'"{POLICY}";r={max(0, remaining)};t={reset}'
