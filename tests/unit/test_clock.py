"""The app's one clock, the suite's clock set from JOINTUSE_TEST_NOW, and the date
helpers that read it (habit 11)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.core import clock
from app.core.clock import OffsetClock, SystemClock
from app.core.time import local_today, utcnow
from tests import clock as suite
from tests.bookings.helpers import next_weekday, tomorrow
from tests.unit.support import LA

pytestmark = pytest.mark.dates

NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 30, tzinfo=LA)  # 2027-01-01 07:30 UTC


def test_an_offset_clock_reads_the_chosen_instant_in_utc() -> None:
    now = OffsetClock.starting_at(NEW_YEARS_EVE).now()
    assert now.tzinfo is UTC
    assert timedelta(0) <= now - NEW_YEARS_EVE < timedelta(seconds=5)


def test_an_offset_clock_gives_the_chosen_local_date() -> None:
    with clock.installed(OffsetClock.starting_at(NEW_YEARS_EVE)):
        assert local_today(LA) == date(2026, 12, 31)
        assert utcnow().date() == date(2027, 1, 1)  # already next year in UTC


def test_an_offset_clock_keeps_moving() -> None:
    c = OffsetClock.starting_at(NEW_YEARS_EVE)
    first = c.now()
    assert c.now() >= first  # so created_at orderings hold as in production


def test_an_offset_clock_needs_an_instant_not_a_wall_time() -> None:
    with pytest.raises(ValueError, match="no offset"):
        OffsetClock.starting_at(datetime(2026, 12, 31, 23, 30))


def test_utcnow_follows_the_installed_clock_and_the_previous_one_returns() -> None:
    before = clock.current()
    with clock.installed(OffsetClock(timedelta(days=-400))):
        assert utcnow() < datetime.now(UTC) - timedelta(days=399)
    assert clock.current() is before


def test_the_system_clock_is_real_time() -> None:
    assert abs(SystemClock().now() - datetime.now(UTC)) < timedelta(seconds=5)


# --- the suite's clock -----------------------------------------------------------------


def test_the_suite_runs_on_real_time_unless_told_otherwise() -> None:
    assert isinstance(suite.suite_clock({}), SystemClock)
    assert isinstance(suite.suite_clock({suite.ENV: " "}), SystemClock)


def test_the_suite_clock_starts_at_the_chosen_instant() -> None:
    chosen = suite.suite_clock({suite.ENV: "2026-12-31T23:30:00-08:00"})
    assert chosen.now().astimezone(LA).date() == date(2026, 12, 31)


@pytest.mark.parametrize("text", ["2026-12-31T23:30:00", "New Year's Eve"])
def test_a_chosen_instant_without_an_offset_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=suite.ENV):
        suite.suite_clock({suite.ENV: text})


def test_the_suite_installed_its_clock_for_this_run() -> None:
    chosen = suite.chosen_instant()
    if chosen is None:
        assert isinstance(clock.current(), SystemClock)
    else:
        assert isinstance(clock.current(), OffsetClock)
        assert timedelta(0) <= utcnow() - chosen < timedelta(hours=1)


# --- the date helpers, on every day of a week and at New Year ------------------------

A_WEEK = [datetime(2027, 2, 1, 10, 0, tzinfo=LA) + timedelta(days=n) for n in range(7)]  # Mon-Sun


@pytest.mark.parametrize("now", [*A_WEEK, NEW_YEARS_EVE], ids=lambda d: d.strftime("%a %Y-%m-%d"))
def test_next_weekday_keeps_the_week_in_order_whatever_today_is(now: datetime) -> None:
    with clock.installed(OffsetClock.starting_at(now)):
        days = [next_weekday(d) for d in range(7)]
        assert [d.weekday() for d in days] == list(range(7))
        assert days == sorted(days) and days[6] - days[0] == timedelta(days=6)
        ahead = [(d - now.date()).days for d in days]
        assert min(ahead) >= 8 and max(ahead) <= 20  # past 72 hours' notice, inside 30 days
        assert next_weekday(1, weeks_ahead=4) == next_weekday(1) + timedelta(weeks=2)


def test_tomorrow_is_the_sites_next_date_even_when_utc_is_already_there() -> None:
    with clock.installed(OffsetClock.starting_at(NEW_YEARS_EVE)):
        assert tomorrow() == date(2027, 1, 1)


# --- one reading of the real clock --------------------------------------------------

REAL_CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
ROOT = Path(__file__).resolve().parents[2]


def real_clock_readings(folder: str, *, allowed: str, programs: tuple[str, ...] = ()) -> list[str]:
    """Lines under `folder` that read the real clock, outside the one file allowed to
    and the `programs` (separate processes talking to a live server on real time)."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if name != allowed and name not in programs and REAL_CLOCK.search(line):
                found.append(f"{name}:{n}: {line.strip()}")
    return found


def test_app_code_asks_its_clock_for_now() -> None:
    # app.core.time.utcnow() / local_today(): then tests can set the day.
    assert real_clock_readings("app", allowed="app/core/clock.py") == []


def test_tests_ask_the_suites_clock_for_now() -> None:
    # tests.clock.now() / site_today(): then a date run moves every test's "today".
    # The partner script is a client program of its own, run against a live server,
    # which keeps real time (as tests/ops do): its "today" must be the server's. A webhook's
    # signature carries the real time its receiver checks it against (Standard Webhooks).
    programs = ("tests/client/partner_script.py", "tests/examples/test_partner_client.py")
    assert real_clock_readings("tests", allowed="tests/unit/test_clock.py", programs=programs) == []

