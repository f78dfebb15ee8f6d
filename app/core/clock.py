"""The one source of "now" for the app (habit 11: time is an input).

App code reads it through `app.core.time.utcnow()`; the system clock answers unless
another clock is installed, which is how tests choose the day they run on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


@dataclass(frozen=True)
class OffsetClock:
    """Real time shifted by a fixed amount: it still moves, so rows made one after
    another keep their order and timeouts still elapse."""

    offset: timedelta

    @classmethod
    def starting_at(cls, at: datetime) -> OffsetClock:
        """A clock that reads `at` (aware, any zone) now and runs on from there."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at.isoformat()} has no offset: a clock needs an instant")
        return cls(at - datetime.now(UTC))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


_installed: Clock = SystemClock()


def current() -> Clock:
    return _installed


def install(clock: Clock) -> Clock:
    """Make `clock` the app's source of "now"; returns the one it replaces."""
    global _installed
    previous, _installed = _installed, clock
    return previous


@contextmanager
def installed(clock: Clock) -> Iterator[Clock]:
    """`clock` for the length of a block, then the previous one again."""
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)
