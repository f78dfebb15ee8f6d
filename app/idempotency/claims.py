"""One keyed request's hold on its key (contract section 8).

`IdempotentWrites` makes one per keyed request. For most writes it claims the key
before the operation runs. An operation that writes in a statement of its own may
instead keep its key there (`rules.claimed_by_operation`: `POST /v1/bookings`, whose
insert on kept facts writes the key's record with its 201 answer, so that the key costs
no round trip): the operation is handed the `KeyedWrite` (`of(request)`) and, before
writing any other way, calls `claim()`, which takes the key or stops the operation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from starlette.requests import Request

from app.core.db import Database
from app.core.errors import DomainError, IdempotencyInFlight, IdempotencyKeyReused
from app.idempotency import repository as repo
from app.idempotency import rules

SCOPE_KEY = "jointuse.idempotency"

# free: nothing claimed (yet); claimed: a running record of this request's, its answer
# kept (or the key freed) after; kept: written with its answer by the operation's own
# statement; replay: the key's first answer is the answer; refused: another request's
# key (422 reused, 409 in flight: the operation's answer says so).
State = Literal["free", "claimed", "kept", "replay", "refused"]


@dataclass(frozen=True, slots=True)
class KeyToKeep:
    """What an operation's own insert writes for its key, with its answer."""

    caller: str
    key: str
    fingerprint: str
    expires_at: datetime


class Replayed(DomainError):
    """Stops an operation whose key already has an answer: `IdempotentWrites` sends
    that answer instead of the operation's."""

    status, code, title = 409, "idempotency-replayed", "Replayed"


class KeyedWrite:
    __slots__ = ("caller", "db", "expires_at", "fingerprint", "key", "now", "record_id",
                 "replay", "state")

    def __init__(
        self, db: Database, *, caller: str, key: str, fingerprint: str, now: datetime,
        keep_hours: int,
    ) -> None:
        self.db = db
        self.caller = caller
        self.key = key
        self.fingerprint = fingerprint
        self.now = now
        self.expires_at = rules.expiry(now, keep_hours)
        self.state: State = "free"
        self.record_id: int | None = None
        self.replay: repo.Kept | None = None

    def to_keep(self) -> KeyToKeep:
        assert self.state == "free"
        return KeyToKeep(self.caller, self.key, self.fingerprint, self.expires_at)

    def kept_by_operation(self) -> None:
        """The operation's statement wrote the key with its answer (committed)."""
        self.state = "kept"

    async def claim(self) -> None:
        """Before the operation writes: the key becomes this request's (a running record,
        committed, so every worker sees it), or the operation stops: 422 reused, 409 in
        flight, or `Replayed` (the first answer)."""
        if self.state == "claimed":
            return
        assert self.state == "free"
        found = await self.claim_or_find(None)
        if isinstance(found, int):
            self.state, self.record_id = "claimed", found
            return
        self.state, self.replay = "replay", found
        raise Replayed()

    async def claim_or_find(self, answer: repo.Answer | None) -> int | repo.Kept:
        """Claims the key (with `answer`: claimed and kept at once, for an operation that
        wrote nothing) and gives its record's id, or the first answer to replay; raises
        when another request has the key."""
        for _ in range(3):  # a key freed between the claim and the read: claim again
            async with self.db.runner(write=True) as runner:
                record_id = await repo.claim(
                    runner, caller=self.caller, key=self.key, fingerprint=self.fingerprint,
                    now=self.now, locked_until=self.now + rules.LEASE,
                    expires_at=self.expires_at, answer=answer,
                )
                found = None if record_id is not None else await repo.kept(
                    runner, caller=self.caller, key=self.key
                )
            if record_id is not None:
                return record_id
            if found is None:
                continue
            if found.fingerprint != self.fingerprint:
                self.state = "refused"
                raise IdempotencyKeyReused()
            if found.status is None:
                self.state = "refused"
                raise IdempotencyInFlight()
            return found
        self.state = "refused"
        raise IdempotencyInFlight()


def of(request: Request) -> KeyedWrite | None:
    """The request's key, when its operation keeps it (`rules.claimed_by_operation`)."""
    found = request.scope.get(SCOPE_KEY)
    return found if isinstance(found, KeyedWrite) else None

