"""The feeds' fast lane (`ics.calendar`) answers byte for byte what `icalendar`'s own
components serialize (`ics.calendar_of_components`), whatever the text and zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendars.ics import FeedEvent, calendar, calendar_of_components, fold
from app.calendars.rules import EVENT_STATUS, feed_window

T0 = datetime(2027, 3, 1, 2, tzinfo=UTC)
WINDOW = feed_window(T0.date())
ZONES = ("America/Los_Angeles", "America/New_York", "UTC", "Europe/Berlin",
         "America/Argentina/ComodRivadavia")
TEXT = st.text(st.characters(codec="utf-8"), max_size=200) | st.sampled_from(
    ["a\\Nb", "x" * 73 + "\\,", "é" * 40, "a;b,c\\d\r\ne\rf\ng", "€" * 25 + "x"]
)

events = st.builds(
    FeedEvent,
    booking_id=st.integers(1, 2**31 - 1),
    status=st.sampled_from(sorted(EVENT_STATUS)),
    start=st.integers(0, 400 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m)),
    end=st.integers(0, 400 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m + 1)),
    version=st.integers(1, 1000),
    updated_at=st.integers(0, 10**12).map(lambda us: T0 - timedelta(microseconds=us)),
    timezone=st.sampled_from(ZONES),
    summary=TEXT,
    description=st.none() | TEXT,
    location=st.none() | TEXT,
)


@settings(max_examples=150, deadline=None)
@given(name=TEXT, feed=st.lists(events, max_size=6))
def test_the_fast_lane_writes_what_icalendar_writes(name, feed):
    assert calendar(name, feed, window=WINDOW) == calendar_of_components(name, feed, window=WINDOW)


def test_a_year_of_one_space_is_written_byte_for_byte():
    feed = [
        FeedEvent(i, "confirmed", T0 + timedelta(hours=4 * i), T0 + timedelta(hours=4 * i + 2),
                  1, T0, "America/Los_Angeles")
        for i in range(2000)
    ]
    assert calendar("Gym (busy)", feed, window=WINDOW) == calendar_of_components(
        "Gym (busy)", feed, window=WINDOW
    )


def test_a_line_is_folded_before_75_octets():
    line = fold("SUMMARY:" + "é" * 80)
    assert all(len(part.encode()) <= 75 for part in line.split("\r\n"))
