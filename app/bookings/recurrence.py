"""RFC 5545 recurrence (`FREQ` `DAILY` to `YEARLY`), expanded in the site's local time
(an 18:00 booking stays at 18:00 across a DST change). Pure functions.

Expanding a rule is bounded work (habit 12): the rule is parsed and checked before
anything is expanded, no occurrence is looked for past `latest`, and every candidate
day and instant examined counts against `MAX_CANDIDATES`, matched or not. (dateutil's
expansion looks for a match up to the year 9999: seconds of CPU for a rule that never
matches.)"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 500
# Days and instants examined at most: ten years of days (the longest `max_advance_days`),
# a year's overrun and the instants of 500 occurrences fit; 10,000 checks take 10-20 ms.
MAX_CANDIDATES = 10_000

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # date.weekday() order
_INTEGER = re.compile(r"[+-]?\d{1,4}")
_DAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_LIMITS = frozenset({"FREQ", "UNTIL", "COUNT", "INTERVAL", "WKST"})
_BY_PARTS = frozenset(
    {
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
    }
)


class RecurrenceError(ValueError):
    """An RRULE this service does not accept, or cannot expand as asked; the message
    says why."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed RRULE. Empty sets: the part was not given."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # UTC
    bymonth: frozenset[int] = frozenset()
    byweekno: frozenset[int] = frozenset()
    byyearday: frozenset[int] = frozenset()
    bymonthday: frozenset[int] = frozenset()
    byweekday: frozenset[int] = frozenset()  # plain weekdays (0 = Monday)
    bynweekday: frozenset[tuple[int, int]] = frozenset()  # (weekday, nth), e.g. -1 SU
    byhour: frozenset[int] = frozenset()
    byminute: frozenset[int] = frozenset()
    bysetpos: frozenset[int] = frozenset()
    wkst: int = 0


# --- parsing ----------------------------------------------------------------------


def parse_rrule(text: str) -> Rule:
    """One RRULE line (an `RRULE:` prefix allowed), checked against RFC 5545 section
    3.3.10 and this service's limits, before any expansion."""
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if not body or "\n" in body or "\r" in body:
        raise RecurrenceError("give one RRULE line, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    parts: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in body.split(";"))):
        name, sep, value = part.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if name == "DTSTART":
            raise RecurrenceError("the first occurrence is `start`; the RRULE carries no DTSTART")
        if not sep or not value:
            raise RecurrenceError(f"{part!r} is not NAME=VALUE")
        if name not in _LIMITS | _BY_PARTS:
            raise RecurrenceError(f"{name} is not an RRULE part")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq not in FREQUENCIES:
        raise RecurrenceError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("COUNT and UNTIL cannot both be given (RFC 5545)")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RecurrenceError("the RRULE needs COUNT or UNTIL")
    count = _positive(parts, "COUNT")
    if count is not None and count > MAX_OCCURRENCES:
        raise RecurrenceError(f"COUNT is at most {MAX_OCCURRENCES} (occurrences)")
    byweekday, bynweekday = _days(parts.get("BYDAY"), freq, parts.keys())
    if _numbers(parts, "BYSECOND", 0, 60) - {0}:
        raise RecurrenceError("occurrences start on whole minutes: BYSECOND can only be 0")
    rule = Rule(
        freq=freq,
        interval=_positive(parts, "INTERVAL") or 1,
        count=count,
        until=_until(parts.get("UNTIL")),
        bymonth=_numbers(parts, "BYMONTH", 1, 12, signed=False),
        byweekno=_numbers(parts, "BYWEEKNO", 1, 53),
        byyearday=_numbers(parts, "BYYEARDAY", 1, 366),
        bymonthday=_numbers(parts, "BYMONTHDAY", 1, 31),
        byweekday=byweekday,
        bynweekday=bynweekday,
        byhour=_numbers(parts, "BYHOUR", 0, 23, signed=False),
        byminute=_numbers(parts, "BYMINUTE", 0, 59, signed=False),
        bysetpos=_numbers(parts, "BYSETPOS", 1, 366),
        wkst=_weekday(parts.get("WKST", "MO"), "WKST"),
    )
    _check_combination(rule, parts)
    return rule


def _check_combination(rule: Rule, parts: dict[str, str]) -> None:
    """What RFC 5545 says a rule part MUST NOT be used with."""
    if rule.byweekno and rule.freq != "YEARLY":
        raise RecurrenceError("BYWEEKNO is only for FREQ=YEARLY")
    if rule.byyearday and rule.freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise RecurrenceError("BYYEARDAY is not for FREQ=DAILY, WEEKLY or MONTHLY")
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise RecurrenceError("BYMONTHDAY is not for FREQ=WEEKLY")
    if rule.bysetpos and not parts.keys() & (_BY_PARTS - {"BYSETPOS"}):
        raise RecurrenceError("BYSETPOS needs another BY part to choose from")


def _positive(parts: dict[str, str], name: str) -> int | None:
    value = parts.get(name)
    if value is None:
        return None
    if not (value.isdigit() and len(value) <= 9 and int(value) >= 1):
        raise RecurrenceError(f"{name} must be a positive integer")
    return int(value)


def _numbers(
    parts: dict[str, str], name: str, low: int, high: int, *, signed: bool = True
) -> frozenset[int]:
    """A BY part's list: each value in [low, high], or (signed parts) in [-high, -low]."""
    value = parts.get(name)
    if value is None:
        return frozenset()
    out = set()
    for item in value.split(","):
        n = int(item) if _INTEGER.fullmatch(item) else None
        if n is None or not (low <= n <= high or (signed and -high <= n <= -low)):
            span = f"{low} to {high}" + (f" or -{high} to -{low}" if signed else "")
            raise RecurrenceError(f"{name} takes a list of integers from {span}, not {item!r}")
        out.add(n)
    return frozenset(out)


def _weekday(value: str, name: str) -> int:
    if value not in WEEKDAYS:
        raise RecurrenceError(f"{name} must be one of {', '.join(WEEKDAYS)}, not {value!r}")
    return WEEKDAYS.index(value)


def _days(
    value: str | None, freq: str, given: Iterable[str]
) -> tuple[frozenset[int], frozenset[tuple[int, int]]]:
    """BYDAY: plain weekdays, and (weekday, nth) pairs where a number is allowed."""
    if value is None:
        return frozenset(), frozenset()
    given = frozenset(given)
    plain, nth = set(), set()
    for item in value.split(","):
        found = _DAY.fullmatch(item)
        if found is None:
            raise RecurrenceError(f"BYDAY takes weekdays such as TU or -1SU, not {item!r}")
        day = WEEKDAYS.index(found[2])
        if found[1] is None:
            plain.add(day)
            continue
        n = int(found[1])
        if freq not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in given:
            raise RecurrenceError(
                "a numbered BYDAY (such as 2TU) is only for FREQ=MONTHLY or YEARLY, "
                "without BYWEEKNO"
            )
        # Counted in the month (MONTHLY, or YEARLY with BYMONTH): at most 5; in a year, 53.
        most = 53 if freq == "YEARLY" and "BYMONTH" not in given else 5
        if not 1 <= abs(n) <= most:
            raise RecurrenceError(f"BYDAY {item}: a FREQ={freq} rule counts 1 to {most}")
        nth.add((day, n))
    return frozenset(plain), frozenset(nth)


def _until(value: str | None) -> datetime | None:
    if value is None:
        return None
    found = _UNTIL.fullmatch(value)
    try:
        if found is None:
            raise ValueError(value)
        year, month, day, hour, minute, second = map(int, found.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise RecurrenceError(
            f"UNTIL must be a UTC date and time such as 20270301T000000Z, not {value!r}"
        ) from None


# --- expansion --------------------------------------------------------------------


def expand(
    text: str,
    *,
    first_start: datetime,
    first_end: datetime,
    tz: ZoneInfo,
    latest: datetime,
    exdates: Sequence[datetime] = (),
) -> list[tuple[datetime, datetime]]:
    """The occurrences' (start, end) as UTC instants, exdates left out. Each keeps the
    first one's local wall-clock start and duration, so DST moves the instants, not the
    times. Refused: a rule giving more than `MAX_OCCURRENCES`, fewer than its COUNT, or
    one starting after `latest`; an occurrence whose local start or end does not exist
    (a spring-forward gap: the message names its date); too many candidates."""
    rule = parse_rrule(text)
    try:
        return _expand(rule, first_start, first_end, tz, latest, exdates)
    except RecurrenceError:
        raise
    except (OverflowError, ValueError):  # local times before the year 1 or after 9999
        raise RecurrenceError("the RRULE runs outside the years 1 to 9999") from None


def _expand(
    rule: Rule,
    first_start: datetime,
    first_end: datetime,
    tz: ZoneInfo,
    latest: datetime,
    exdates: Sequence[datetime],
) -> list[tuple[datetime, datetime]]:
    first = first_start.astimezone(tz).replace(tzinfo=None)
    if rule.until is not None and rule.until < first_start:
        raise RecurrenceError("UNTIL is before `start`")
    starts = _starts(rule, first, tz, latest)
    if not starts or starts[0] != first:
        raise RecurrenceError("`start` must be the RRULE's first occurrence (check BYDAY)")
    if rule.count is not None and len(starts) < rule.count:
        by = latest.astimezone(tz).date().isoformat()
        raise RecurrenceError(
            f"the RRULE gives {len(starts)} of its COUNT of {rule.count} occurrences by {by}: "
            "each must start within the days a booking may be made ahead"
        )
    wall = first_end.astimezone(tz).replace(tzinfo=None) - first
    if wall <= timedelta(0):  # a first occurrence across the fall-back hour: keep its length
        wall = first_end - first_start
    skip = {e.astimezone(UTC) for e in exdates}
    out = []
    if first_start.astimezone(UTC) not in skip:
        out.append((first_start.astimezone(UTC), first_end.astimezone(UTC)))
    for start in starts[1:]:
        utc_start = _utc(start, tz)
        if utc_start in skip:
            continue
        end = start + wall
        for name, wall_time in (("starts", start), ("ends", end)):
            if not _exists(wall_time, tz):
                raise RecurrenceError(
                    f"the occurrence of {start.date().isoformat()} {name} at "
                    f"{wall_time:%H:%M}, a time that does not exist in {tz.key} that day "
                    "(the clocks move forward); skip it with an exdate of "
                    f"{utc_start:%Y-%m-%dT%H:%M:%SZ}"
                )
        utc_end = _utc(end, tz)
        if utc_end <= utc_start:
            raise RecurrenceError(f"the occurrence of {start.date().isoformat()} has no length")
        out.append((utc_start, utc_end))
    if not out:
        raise RecurrenceError("the RRULE and exdates leave no occurrence")
    return out


def _starts(rule: Rule, first: datetime, tz: ZoneInfo, latest: datetime) -> list[datetime]:
    """The rule's starts (local wall-clock, from `first` on, exdates not applied), up
    to its COUNT or UNTIL. Work is bounded by `latest` (for COUNT: no later period is
    looked at; for UNTIL: an occurrence after `latest` is refused when found) and by
    `MAX_CANDIDATES`."""
    rule = _with_defaults(rule, first)
    times = sorted(time(h, m, first.second) for h in rule.byhour for m in rule.byminute)
    last_day = (rule.until if rule.until is not None else latest).astimezone(tz).date()
    examined = 0
    found: list[datetime] = []
    for days in _periods(rule, first.date(), last_day):
        examined += len(days)
        _check_budget(examined)
        matched = [d for d in days if _matches(rule, d)]
        if not matched:
            continue
        if rule.bysetpos:
            examined += len(matched) * len(times)
            _check_budget(examined)
            candidates: Iterable[datetime] = _chosen(rule, matched, times)
        else:
            candidates = (datetime.combine(d, t) for d in matched for t in times)
        for start in candidates:
            examined += 1
            _check_budget(examined)
            if start < first:
                continue
            if not found and start != first:
                # Nothing more to look for: `start` must be the first occurrence.
                return found
            instant = _utc(start, tz)
            if rule.until is not None and instant > rule.until:
                return found
            if instant > latest:
                raise RecurrenceError(
                    f"the occurrence of {start.date().isoformat()} starts after "
                    f"{latest.astimezone(tz):%Y-%m-%d %H:%M}, later than a booking may be "
                    "made ahead"
                )
            found.append(start)
            if len(found) == rule.count:
                return found
            if len(found) > MAX_OCCURRENCES:
                raise RecurrenceError(f"the RRULE gives more than {MAX_OCCURRENCES} occurrences")
    return found


def _check_budget(examined: int) -> None:
    if examined > MAX_CANDIDATES:
        raise RecurrenceError(
            f"expanding the RRULE takes more than {MAX_CANDIDATES} candidate days and times "
            "without reaching its end: give an earlier UNTIL, a smaller COUNT or fewer BY parts"
        )


def _with_defaults(rule: Rule, first: datetime) -> Rule:
    """RFC 5545: the parts not given are taken from the first occurrence (a WEEKLY rule
    repeats its weekday, a MONTHLY one its day of the month, a YEARLY one its date)."""
    rule = replace(
        rule,
        byhour=rule.byhour or frozenset({first.hour}),
        byminute=rule.byminute or frozenset({first.minute}),
    )
    if any((rule.byweekno, rule.byyearday, rule.bymonthday, rule.byweekday, rule.bynweekday)):
        return rule
    if rule.freq == "YEARLY":
        month = rule.bymonth or frozenset({first.month})
        return replace(rule, bymonth=month, bymonthday=frozenset({first.day}))
    if rule.freq == "MONTHLY":
        return replace(rule, bymonthday=frozenset({first.day}))
    if rule.freq == "WEEKLY":
        return replace(rule, byweekday=frozenset({first.weekday()}))
    return rule


def _periods(rule: Rule, first: date, last_day: date) -> Iterator[list[date]]:
    """The days of each period the rule steps through (`INTERVAL` apart), from the one
    holding `first` to the last one starting by `last_day`."""
    step, stop = rule.interval, last_day.toordinal()
    if rule.freq in ("DAILY", "WEEKLY"):
        length = 1 if rule.freq == "DAILY" else 7
        day = first.toordinal() - ((first.weekday() - rule.wkst) % 7 if length == 7 else 0)
        while day <= stop:
            yield [date.fromordinal(day + i) for i in range(length)]
            day += length * step
    elif rule.freq == "MONTHLY":
        month, last = first.year * 12 + first.month - 1, last_day.year * 12 + last_day.month - 1
        while month <= last:
            year, index = divmod(month, 12)
            yield _days_of(date(year, index + 1, 1), calendar.monthrange(year, index + 1)[1])
            month += step
    else:
        year = first.year
        while year <= last_day.year:
            yield _days_of(date(year, 1, 1), 365 + calendar.isleap(year))
            year += step


def _days_of(first: date, count: int) -> list[date]:
    start = first.toordinal()
    return [date.fromordinal(start + i) for i in range(count)]


def _matches(rule: Rule, d: date) -> bool:
    """Whether `d` passes every BY part of the rule (the period's days are the rest)."""
    if rule.bymonth and d.month not in rule.bymonth:
        return False
    if rule.bymonthday:
        from_end = d.day - _month_days(d) - 1
        if d.day not in rule.bymonthday and from_end not in rule.bymonthday:
            return False
    if rule.byyearday:
        year_day = d.timetuple().tm_yday
        from_end = year_day - 366 - calendar.isleap(d.year)
        if year_day not in rule.byyearday and from_end not in rule.byyearday:
            return False
    if rule.byweekno and not _in_weeks(rule, d):
        return False
    if rule.byweekday or rule.bynweekday:
        weekday = d.weekday()
        if weekday in rule.byweekday:
            return True
        if not rule.bynweekday:
            return False
        # The nth weekday of the month (MONTHLY, or YEARLY with BYMONTH), else of the year.
        if rule.freq == "MONTHLY" or rule.bymonth:
            day, days = d.day, _month_days(d)
        else:
            day, days = d.timetuple().tm_yday, 365 + calendar.isleap(d.year)
        nth, from_end = (day - 1) // 7 + 1, -((days - day) // 7 + 1)
        return (weekday, nth) in rule.bynweekday or (weekday, from_end) in rule.bynweekday
    return True


def _month_days(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def _week_one(year: int, wkst: int) -> date:
    """The first day of week 1: the first week (starting on `wkst`) with at least four
    days in the year (RFC 5545; ISO 8601 when the week starts on Monday)."""
    jan1 = date(year, 1, 1)
    back = (jan1.weekday() - wkst) % 7
    return jan1 - timedelta(days=back) if back <= 3 else jan1 + timedelta(days=7 - back)


def _in_weeks(rule: Rule, d: date) -> bool:
    year = d.year
    if d >= _week_one(year + 1, rule.wkst):
        year += 1
    elif d < _week_one(year, rule.wkst):
        year -= 1
    start = _week_one(year, rule.wkst)
    week = (d - start).days // 7 + 1
    weeks = (_week_one(year + 1, rule.wkst) - start).days // 7
    return week in rule.byweekno or week - weeks - 1 in rule.byweekno


def _chosen(rule: Rule, days: list[date], times: list[time]) -> list[datetime]:
    """BYSETPOS: the period's instants at the given positions (1 first, -1 last)."""
    instants = [datetime.combine(d, t) for d in days for t in times]
    n = len(instants)
    picked = {p - 1 if p > 0 else n + p for p in rule.bysetpos}
    return [instants[i] for i in sorted(picked) if 0 <= i < n]


def _utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant: in a fall-back fold the first of the two
    (RFC 5545 3.3.5); in a spring-forward gap, with the offset before the gap."""
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    return _utc(wall, tz).astimezone(tz).replace(tzinfo=None) == wall
