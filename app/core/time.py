"""Time zones, weekly hours and instants: the agreement's local rules are wall-clock
times in a site's IANA zone; instants are aware and stored in UTC."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from app.core import clock
from app.core.schemas import Documented

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "America/Los_Angeles"
WEEKLY_EXAMPLE: dict[str, JsonValue] = {
    "mon": [["06:00", "22:00"]], "sat": [["08:00", "18:00"]],
}
MINUTES_PER_DAY = 24 * 60

# Instants and dates outside these years are not bookings, and near datetime's limits a
# conversion to UTC would overflow.
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(2199, 12, 31)


# The IANA database's regions (its `Area/Location` names) and UTC. Not `localtime` (the
# host's own zone, whatever it is), `Factory` (no rules at all), `posixrules`, or the
# old names outside any region (`US/Pacific`, `EST5EDT`, `GB`).
ZONE_AREAS = (
    "Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
    "Europe/", "Indian/", "Pacific/", "Etc/",
)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(
        name for name in zoneinfo.available_timezones()
        if name == "UTC" or name.startswith(ZONE_AREAS)
    )


@lru_cache(maxsize=512)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _check_timezone(name: str) -> str:
    if name not in _known_zones():
        raise ValueError(
            f"not an IANA time zone of a region (e.g. America/Los_Angeles) or UTC: {name!r}"
        )
    return name


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_check_timezone),
    Field(
        description="An IANA time zone of a region (`Area/Location`, e.g. "
        "`America/Los_Angeles`) or `UTC`; never `localtime` or `Factory`",
        examples=[DEFAULT_TIMEZONE],
    ),
]


# The contract's only spellings (RFC 3339 section 5.6, `T` and `Z` in either case, ASCII
# digits): pydantic alone also reads Unix-epoch numbers and numeric strings, a space for
# `T`, `+0800`, a missing seconds field, and a date-time (at midnight) as a date.
_RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# What the document says of them (`Documented`): the same spellings, each field in its
# range, the years the server takes (1970-2199, as written). Not said: that 29 February
# exists only in leap years.
_YEAR = "(19[7-9][0-9]|2[01][0-9]{2})"
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-9]))"
)
DATE_PATTERN = f"^{_YEAR}-{_MONTH_DAY}$"
INSTANT_PATTERN = (
    f"^{_YEAR}-{_MONTH_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def _rfc3339_text(value: object) -> object:
    # A datetime comes from Python code (the demo loader), never from JSON or a query.
    if isinstance(value, datetime) or (
        isinstance(value, str) and _RFC3339_DATE_TIME.fullmatch(value)
    ):
        return value
    raise PydanticCustomError(
        "datetime_parsing",
        "must be an RFC 3339 date-time with an offset, e.g. 2027-01-12T18:00:00Z",
    )


def _check_instant(value: datetime) -> datetime:
    # The year as written (what a pattern can say); far from datetime's limits either way.
    if not (FIRST_DATE.year <= value.year <= LAST_DATE.year):
        raise ValueError(f"an instant's year is {FIRST_DATE.year} to {LAST_DATE.year}")
    return value.astimezone(UTC)


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(_check_instant),
    Documented(pattern=INSTANT_PATTERN),
    Field(
        description="RFC 3339 instant with an offset, in the years 1970 to 2199",
        examples=["2027-01-12T18:00:00-08:00"],
    ),
]


def _full_date_text(value: object) -> object:
    if (isinstance(value, date) and not isinstance(value, datetime)) or (
        isinstance(value, str) and _FULL_DATE.fullmatch(value)
    ):
        return value
    raise PydanticCustomError("date_parsing", "must be a date, YYYY-MM-DD")


def _check_date(value: date) -> date:
    if not (FIRST_DATE <= value <= LAST_DATE):
        raise ValueError(f"date must be from {FIRST_DATE} to {LAST_DATE}")
    return value


LocalDate = Annotated[
    date,
    BeforeValidator(_full_date_text),
    AfterValidator(_check_date),
    Documented(pattern=DATE_PATTERN),
    Field(
        description=f"YYYY-MM-DD, site-local, {FIRST_DATE} to {LAST_DATE}",
        examples=["2027-01-12"],
    ),
]


def parse_hhmm(text: str, *, is_end: bool) -> int:
    """'HH:MM' -> minutes after midnight; '24:00' only as an end."""
    # isascii: str.isdigit() also accepts other scripts' digits ("０８").
    if (
        len(text) != 5
        or text[2] != ":"
        or not (text.isascii() and text[:2].isdigit() and text[3:].isdigit())
    ):
        raise ValueError(f"{text!r} is not HH:MM")
    hours, minutes = int(text[:2]), int(text[3:])
    if hours == 24 and minutes == 0:
        if not is_end:
            raise ValueError("24:00 is allowed only as the end of a window")
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_day(windows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    spans = []
    for start, end in windows:
        s, e = parse_hhmm(start, is_end=False), parse_hhmm(end, is_end=True)
        if s >= e:
            raise ValueError(f"window {start}-{end}: start must be before end")
        spans.append((s, e))
    spans.sort()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise ValueError(
                f"windows {format_hhmm(s1)}-{format_hhmm(e1)} and "
                f"{format_hhmm(s2)}-{format_hhmm(e2)} overlap"
            )
    return [(format_hhmm(s), format_hhmm(e)) for s, e in spans]


# A window's start and end: `_check_day` reads them with `parse_hhmm` (its messages name
# what is wrong); the patterns document the same (tests/core/test_time.py).
START_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
END_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
_FIVE = StringConstraints(min_length=5, max_length=5)
StartHHMM = Annotated[str, _FIVE, Documented(pattern=START_PATTERN)]
EndHHMM = Annotated[str, _FIVE, Documented(pattern=END_PATTERN)]
DayWindows = Annotated[
    list[tuple[StartHHMM, EndHHMM]],
    Field(
        max_length=48,
        description='["HH:MM","HH:MM"] windows, start before end, not overlapping; '
        '"24:00" only as an end',
    ),
    AfterValidator(_check_day),
]


@with_config(ConfigDict(extra="forbid", json_schema_extra={"examples": [WEEKLY_EXAMPLE]}))
class WeeklyHours(TypedDict, total=False):
    """Weekday -> windows in the site's local time; a missing weekday has no window.
    One schema for open, reserved and custodial hours."""

    mon: DayWindows
    tue: DayWindows
    wed: DayWindows
    thu: DayWindows
    fri: DayWindows
    sat: DayWindows
    sun: DayWindows


# Weekly hours as rules use them: index 0 = Monday, windows in minutes.
WeeklyMinutes = tuple[tuple[tuple[int, int], ...], ...]
# Weekly hours as given: weekday -> ["HH:MM", "HH:MM"] windows, the weekdays checked
# (`WeeklyHours`) or not (stored JSON).
WeeklyWindows = WeeklyHours | Mapping[str, Sequence[Sequence[str]]]


def weekly_minutes(hours: WeeklyWindows) -> WeeklyMinutes:
    return tuple(
        tuple(
            (parse_hhmm(s, is_end=False), parse_hhmm(e, is_end=True))
            for s, e in hours.get(day, ())
        )
        for day in WEEKDAYS
    )


def normalize_weekly(hours: WeeklyWindows) -> dict[str, list[list[str]]]:
    """The stored JSON form: weekdays in order, windows sorted, empty days dropped."""
    return {day: [list(w) for w in hours[day]] for day in WEEKDAYS if hours.get(day)}


def utcnow() -> datetime:
    """Now, from the installed clock (`app.core.clock`): the one reading app code makes."""
    return clock.current().now()


def local_today(tz: zoneinfo.ZoneInfo) -> date:
    """Today's date on the wall clocks of `tz`."""
    return utcnow().astimezone(tz).date()


def wall_to_utc(day: date, minute: int, tz: zoneinfo.ZoneInfo) -> datetime:
    """Wall-clock `minute` after local midnight of `day` (1440 = next midnight) as a
    UTC instant. Aware arithmetic in Python is wall-clock, so DST is honoured."""
    local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minute)
    return local.astimezone(UTC)


def local_days(start: datetime, end: datetime, tz: zoneinfo.ZoneInfo) -> list[date]:
    """The local dates an interval [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def merged_windows(windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Windows that touch or overlap become one (08-12 and 12-18 are 08-18), sorted: one
    pass after the sort (windows that come sorted cost one comparison each)."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(windows):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def day_windows_utc(
    day: date, weekly: WeeklyMinutes, tz: zoneinfo.ZoneInfo, *, merge_touching: bool = False
) -> tuple[tuple[datetime, datetime], ...]:
    """A date's weekly windows as UTC instants (memoized: every booking check asks)."""
    return _day_windows_utc(day, weekly[day.weekday()], tz, merge_touching)


@lru_cache(maxsize=8192)
def _day_windows_utc(
    day: date, windows: tuple[tuple[int, int], ...], tz: zoneinfo.ZoneInfo, merge_touching: bool
) -> tuple[tuple[datetime, datetime], ...]:
    spans = merged_windows(windows) if merge_touching else windows
    return tuple((wall_to_utc(day, s, tz), wall_to_utc(day, e, tz)) for s, e in spans)


def rfc3339(instant: datetime) -> str:
    """An instant as responses write it: UTC with `Z` (pydantic's form)."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
