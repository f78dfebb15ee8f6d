"""The suite's clock (habit 11: no test depends on today's weekday, hour or the next
DST change).

`JOINTUSE_TEST_NOW` puts a whole run on a chosen instant, e.g.
`JOINTUSE_TEST_NOW=2026-12-31T23:30:00-08:00`; unset, the run is on real time.
Either way tests and the app in-process read the same clock (the app's, installed
by `tests/conftest.py`), so a test's "today" is the app's "today". `make test-dates`
runs the tests marked `dates` (their dates meet "now") once on each instant of the
Makefile's TEST_DATES. Tests that start servers (tests/ops) stay on real time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.core.clock import Clock, OffsetClock, SystemClock
from app.core.time import local_today, utcnow

ENV = "JOINTUSE_TEST_NOW"
SITE_ZONE = ZoneInfo("America/Los_Angeles")  # the test sites' zone (tests/factories.py)


def chosen_instant(environ: Mapping[str, str] = os.environ) -> datetime | None:
    """The instant `JOINTUSE_TEST_NOW` names, or None for real time."""
    text = environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{ENV}={text!r} is not an ISO 8601 instant") from None
    if at.utcoffset() is None:
        # Whose midnight would it be? Say it, so a run means the same on every machine.
        raise ValueError(f"{ENV}={text!r} needs an offset, e.g. 2026-12-31T23:30:00-08:00")
    return at


def suite_clock(environ: Mapping[str, str] = os.environ) -> Clock:
    """Time moves on from the chosen instant (an offset clock): rows made one after
    another keep their order, as they do in production."""
    at = chosen_instant(environ)
    return SystemClock() if at is None else OffsetClock.starting_at(at)


def now() -> datetime:
    return utcnow()


def site_today() -> date:
    """Today on the test sites' wall clocks."""
    return local_today(SITE_ZONE)
