"""The limiter the request middleware asks before an answer to a key (`core.middleware`
`KeyLimits`). Each worker counts locally within a slice of the key's window budget
taken from the database (`repository.take`), so the limit holds across workers and
hosts at one statement per slice, not per request.

Across workers the count is exact in what it admits (never more than the limit in a
window) and approximate in what it reports: `RateLimit`'s remaining is the database's
count less this worker's unused slice. Slices other workers took and did not use are
lost to the window, so a key may be refused a little before the limit: at most a slice
per worker (`rules.slice_to_take`, smaller as the window runs out)."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass

from starlette.types import Scope

from app.core.auth import caller_key
from app.core.time import utcnow
from app.ratelimits import repository as repo
from app.ratelimits import rules


@dataclass(slots=True)
class _Slice:
    window: int
    left: int  # this worker's, not yet used
    taken: int  # the window's count in the database when it was taken


@dataclass(frozen=True, slots=True)
class Verdict:
    admitted: bool
    headers: list[tuple[bytes, bytes]]
    retry_after: int


class KeyRateLimits:
    def __init__(self, *, per_minute: int, admin_key: str | None) -> None:
        self.limit = per_minute
        self.admin_key = admin_key
        self.policy = (b"ratelimit-policy", rules.policy_header(per_minute).encode())
        self._slices: dict[str, _Slice] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._purged_window = 0

    def applies_to(self, token: str) -> bool:
        """Every API key is limited; the bootstrap admin key (the operator's, from the
        environment) is not."""
        return self.admin_key is None or not hmac.compare_digest(token, self.admin_key)

    async def check(self, scope: Scope, token: str) -> Verdict:
        now = utcnow()
        window = rules.window_of(now)
        caller = caller_key(token)
        current = self._slices.get(caller)
        if current is None or current.window != window or current.left == 0:
            current = await self._take(scope, caller, window)
        reset = rules.seconds_left(now)
        if current.left == 0:
            headers = [self.policy, _limit(0, reset), (b"retry-after", str(reset).encode())]
            return Verdict(False, headers, reset)
        current.left -= 1
        remaining = self.limit - current.taken + current.left
        return Verdict(True, [self.policy, _limit(remaining, reset)], 0)

    async def _take(self, scope: Scope, caller: str, window: int) -> _Slice:
        # One statement at a time per key in this worker: simultaneous requests of a key
        # share the slice the first one takes.
        lock = self._locks.setdefault(caller, asyncio.Lock())
        async with lock:
            current = self._slices.get(caller)
            if current is not None and current.window == window and current.left > 0:
                return current
            if current is not None and current.window == window:
                if current.taken >= self.limit:
                    return current  # spent: known without asking
                taken = current.taken
            else:
                taken = 0
            db = scope["app"].state.db
            async with db.runner(write=True) as runner:
                grant = await repo.take(
                    runner, caller=caller, window=window,
                    want=rules.slice_to_take(self.limit, taken), limit=self.limit,
                )
                if window > self._purged_window:
                    self._purged_window = window
                    await repo.purge(runner, before=window - 1)
                    self._forget_before(window)
            fresh = _Slice(window, grant.granted, grant.taken)
            self._slices[caller] = fresh
            return fresh


    def _forget_before(self, window: int) -> None:
        for caller in [c for c, s in self._slices.items() if s.window < window]:
            del self._slices[caller]
            lock = self._locks.get(caller)
            if lock is not None and not lock.locked():
                del self._locks[caller]


def _limit(remaining: int, reset: int) -> tuple[bytes, bytes]:
    return (b"ratelimit", rules.limit_header(remaining, reset).encode())
